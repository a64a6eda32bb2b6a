//! Failures of `sim`: synthetic observations: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// A truth file has no entry for the module (its letter, A or B).
    #[error("truth has no module {letter}")]
    NoModule { letter: String },
    /// A file or directory could not be read, written, created or removed.
    #[error("{}: {source}", path.display())]
    Fs {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A truth file is not JSON.
    #[error("{}: not valid JSON: {source}", path.display())]
    BadJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A truth file lacks a field (or it has the wrong type).
    #[error("{}: truth file: {what} missing or malformed", path.display())]
    TruthField { path: PathBuf, what: String },
    /// A gzip-compressed file could not be encoded.
    #[error("{}: cannot compress: {source}", path.display())]
    Compress {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A scale factor (`apscale=` …) is negative or not finite.
    #[error("{name}={value}: must be a finite number >= 0")]
    BadScale { name: String, value: f64 },
    /// An observation ID that cannot be part of a file name.
    #[error("obsid={obsid}: use 1-20 letters or digits (NuSTAR's are 11 digits)")]
    BadObsid { obsid: String },
    /// The exposure (s) is under 100 s.
    #[error("exposure={exposure}: must be at least 100 s")]
    ShortExposure { exposure: f64 },
    /// The exposure (s) times the largest scale asks for more events than a simulation
    /// draws (`limit`, exposure × scale in s: about one event per second per module at unit
    /// scales).
    #[error("exposure={exposure} with scales up to {scale}: at most {limit:e} s of exposure times the largest scale (about that many events per module); nothing written")]
    TooManyEvents {
        exposure: f64,
        scale: f64,
        limit: f64,
    },
    /// `counts=` (expected events per module) is not a number from 1 to `limit`.
    #[error(
        "counts={counts}: expected events per module must be from 1 to {limit:e}; nothing written"
    )]
    BadCounts { counts: f64, limit: f64 },
    /// The output path exists and is a file.
    #[error("{}: exists and is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    /// The output directory has files and clobber is off.
    #[error(
        "{}: output directory is not empty; nothing written (use clobber=yes to replace its files)",
        path.display()
    )]
    OutputNotEmpty { path: PathBuf },
    /// The auxil directory given has no `ratios.json`.
    #[error("{}: auxil directory has no ratios.json", path.display())]
    NoRatios { path: PathBuf },
    /// The simulated background region is too small or covers the detectors too thinly
    /// (`coverage` in percent).
    #[error(
        "{}: internal: background region has {pixels} pixels, {coverage:.1}% detector coverage",
        path.display()
    )]
    ThinBackgroundRegion {
        path: PathBuf,
        pixels: usize,
        coverage: f64,
    },
    /// Not four detector RMFs were read.
    #[error("four RMFs")]
    RmfCount,
    /// An RMF's energy grid or channel count does not match the transmission curves and
    /// diag.rmf.
    #[error(
        "{}: RMF has {energies} energies and {channels} channels; the transmission curves have {curve_energies} energies and diag.rmf {diag_channels} channels",
        path.display()
    )]
    RmfMismatch {
        path: PathBuf,
        energies: usize,
        channels: usize,
        curve_energies: usize,
        diag_channels: usize,
    },
    /// A `ratios.json` model (apbgd, intn) has no components.
    #[error("ratios.json: {model} has no components")]
    NoComponents { model: String },
    /// A `ratios.json` component lacks a numeric parameter.
    #[error("ratios.json: {component} has no numeric '{key}'")]
    MissingParameter { component: String, key: String },
    /// A `ratios.json` component lacks its detector factors.
    #[error("ratios.json: {component} has no ifactors")]
    NoIfactors { component: String },
    /// The intbgd model has not apec + `lines` components.
    #[error("ratios.json: intbgd has {found} components, expected apec + {lines} lines")]
    IntbgdComponents { found: usize, lines: usize },
}

impl SimError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            SimError::Fs { path, .. }
            | SimError::BadJson { path, .. }
            | SimError::TruthField { path, .. }
            | SimError::Compress { path, .. }
            | SimError::NotADirectory { path }
            | SimError::OutputNotEmpty { path }
            | SimError::NoRatios { path }
            | SimError::ThinBackgroundRegion { path, .. }
            | SimError::RmfMismatch { path, .. } => Some(path),
            _ => None,
        }
    }
}
