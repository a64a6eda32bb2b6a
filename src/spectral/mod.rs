//! The spectral engine: OGIP spectra and responses, XSPEC models, folding, statistics, fitting, .xcm files.
pub mod expr;
pub mod grouping;
pub mod models;
pub mod pha;
pub mod response;
pub mod stat;
pub mod xcm;
