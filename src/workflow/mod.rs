//! The background workflow built on the sky layer and the spectral engine.
pub mod absrmf;
pub mod arf;
pub mod bgdspec;
pub mod config;
pub mod demo;
pub mod detrmf;
pub mod fit_task;
pub mod geometry;
pub mod getspec;
pub mod image;
pub mod model_build;
pub mod recovery;
pub mod refspec;
pub mod simplify;
pub mod spec;
