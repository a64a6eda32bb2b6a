//! The background workflow built on the sky layer and the spectral engine.
pub mod absrmf;
pub mod bgdspec;
pub mod fit_task;
pub mod getspec;
pub mod image;
pub mod mkimgs;
pub mod refspec;
pub mod simplify;
pub mod spec;
