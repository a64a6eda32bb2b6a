//! nuskybgd: NuSTAR sky-background modelling, a native reimplementation of the IDL tool and
//! its Python port. Layers, bottom up; each uses only those below it:
//! `error` (one error enum per layer, and their union) → `io` (FITS, images, outputs) → `nustar` (one observation's files, CALDB/auxil, `Module`) →
//! `sky` (images on the sky and detector) and `spectral` (the XSPEC-like engine) →
//! `bgmodel` (the background model: presets, bgdinfo, region weights, ARF, detector RMFs,
//! bands, constants, the model as a value) → `tasks` (one file per command) → `sim` (synthetic
//! observations) → `pipeline` (demo, recovery) → the thin `cli` on top.

pub mod bgmodel;
pub mod cli;
pub mod error;
pub mod io;
pub mod nustar;
pub mod pipeline;
pub mod sim;
pub mod sky;
pub mod spectral;
pub mod tasks;

pub use error::{Error, Result};
