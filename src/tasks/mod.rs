//! The tasks, one file per command, built on the background model (`bgmodel`), the sky
//! layer and the spectral engine. No task imports `sim` or `pipeline`.
pub mod absrmf;
pub mod bgdspec;
pub mod fit_task;
pub mod getspec;
pub mod image;
pub mod mkimgs;
pub mod mkinstrmap;
pub mod plot;
pub mod projbgd;
pub mod refspec;
pub mod simplify;
pub mod spec;
