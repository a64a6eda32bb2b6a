//! nuskybgd: NuSTAR sky-background modelling, a native reimplementation of the IDL tool and
//! its Python port. Layers, bottom up: `io` (FITS, images, outputs), `obs` (one
//! observation's files, CALDB/auxil), `sky` (images on the sky and detector), `spectral`
//! (the XSPEC-like engine), `workflow`, and the thin `cli` on top.

pub mod bgmodel;
pub mod cli;
pub mod error;
pub mod io;
pub mod obs;
pub mod pipeline;
pub mod sim;
pub mod sky;
pub mod spectral;
#[doc(hidden)]
pub mod testing;
pub mod workflow;

pub use error::{Error, Result};
