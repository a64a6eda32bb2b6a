//! The spectral engine: OGIP spectra and responses, XSPEC models, folding, statistics, fitting, .xcm files.
pub mod expr;
pub mod fit;
pub mod grouping;
pub mod models;
pub mod ogip;
pub mod optimal;
pub mod params;
pub mod plotdata;
pub mod rmf_ops;
pub mod run;
pub mod session;
pub mod stat;
pub mod xcm;
