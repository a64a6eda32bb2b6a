//! The background workflow built on the sky layer and the spectral engine.
pub mod arf;
pub mod bgdspec;
pub mod config;
pub mod fit_task;
pub mod geometry;
pub mod image;
pub mod model_build;
pub mod simplify;
pub mod spec;
