//! The background workflow built on the sky layer and the spectral engine.
pub mod config;
pub mod model_build;
