//! Failures of `sky`: images, masks, aspect histograms, projection: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum SkyError {
    /// A mask's reference image is not 2-D.
    #[error("{}: reference image must be 2-D (NAXIS = {naxis})", path.display())]
    RefImageNot2d { path: PathBuf, naxis: i64 },
    /// A region that covers no pixel of the `nx`x`ny` reference image.
    #[error("{}: region lies wholly off the {nx}x{ny} reference image", path.display())]
    RegionOffImage { path: PathBuf, nx: usize, ny: usize },
    /// No reference-point sample in good time lands on the sky grid.
    #[error("no reference-point samples fall inside the good time intervals on the sky grid ({n_dropped} in good time were off the grid)")]
    NoSamplesOnGrid { n_dropped: usize },
    /// An aspect histogram's X_OFF/Y_OFF (0-based sky-grid cell) is off the grid.
    #[error("{}: {key} = {value} is off the 1000x1000 sky grid", path.display())]
    OffsetOffGrid {
        path: PathBuf,
        key: String,
        value: i64,
    },
    /// A cropped aspect histogram without its placement keyword (X_OFF or Y_OFF).
    #[error("{}: keyword {key} missing: a {nx}x{ny} aspect histogram must say where it lies on the 1000x1000 sky grid (X_OFF/Y_OFF, as aspecthist writes them)", path.display())]
    NoOffset {
        path: PathBuf,
        key: String,
        nx: usize,
        ny: usize,
    },
    /// An aspect histogram with no dwell time, or negative/non-finite values.
    #[error("{}: aspect histogram is empty or has negative/non-finite values", path.display())]
    BadAspectHistogram { path: PathBuf },
    /// A reference image that is not a `grid`x`grid` sky image.
    #[error("{}: reference image must be a {grid}x{grid} sky image, found NAXIS={naxis} {nx}x{ny}", path.display())]
    NotSkyGrid {
        path: PathBuf,
        grid: usize,
        naxis: i64,
        nx: usize,
        ny: usize,
    },
    /// A reference image whose 1-based `axis` is not TAN.
    #[error("{}: no TAN sky WCS: CTYPE{axis} is '{ctype}' (expected RA---TAN/DEC--TAN)", path.display())]
    NotTan {
        path: PathBuf,
        axis: usize,
        ctype: String,
    },
    /// A reference image whose pixel (deg) is not NuSTAR's sky pixel `expected` (deg).
    #[error("{}: CDELT{axis} = {cdelt} deg is not NuSTAR's sky pixel ({expected:.7e} deg = 2.4581 arcsec)", path.display())]
    WrongSkyPixel {
        path: PathBuf,
        axis: usize,
        cdelt: f64,
        expected: f64,
    },
    /// A reference image without the roll angle PA_PNT.
    #[error("{}: keyword PA_PNT (roll angle) missing in the primary header", path.display())]
    NoRollAngle { path: PathBuf },
    /// An aspect histogram that sums to no exposure.
    #[error("aspect histogram has no exposure")]
    NoExposure,
    /// A DET1 image that is not 360x360 pixels.
    #[error("DET1 images must be 360x360, found {nx}x{ny}")]
    Det1Size { nx: usize, ny: usize },
    /// Reading a text parameter file failed.
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A value at a 1-based line of a parameter file that is not a number.
    #[error("{}:{line}: '{text}' is not a number", path.display())]
    NotANumber {
        path: PathBuf,
        line: usize,
        text: String,
    },
    /// A parameter file with the wrong count of numbers.
    #[error("{}: expected {expected} numbers, found {found}", path.display())]
    WrongCount {
        path: PathBuf,
        expected: usize,
        found: usize,
    },
    /// A module (letter) whose detector rotation is not 0.
    #[error("{}: detector rotation {rot} for module {module} is not supported (all released files have 0)", path.display())]
    Rotation {
        path: PathBuf,
        rot: f64,
        module: String,
    },
    /// An aperture image that is not 576x576 pixels.
    #[error("{}: aperture image is {nx}x{ny}, expected 576x576", path.display())]
    ApertureSize { path: PathBuf, nx: usize, ny: usize },
}

impl SkyError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use SkyError::*;
        match self {
            NoSamplesOnGrid { .. } | NoExposure | Det1Size { .. } => None,
            RefImageNot2d { path, .. }
            | RegionOffImage { path, .. }
            | OffsetOffGrid { path, .. }
            | NoOffset { path, .. }
            | BadAspectHistogram { path }
            | NotSkyGrid { path, .. }
            | NotTan { path, .. }
            | WrongSkyPixel { path, .. }
            | NoRollAngle { path }
            | Read { path, .. }
            | NotANumber { path, .. }
            | WrongCount { path, .. }
            | Rotation { path, .. }
            | ApertureSize { path, .. } => Some(path),
        }
    }
}
