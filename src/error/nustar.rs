//! Failures of `nustar`: an observation's files, CALDB and auxil: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum NustarError {
    /// Reading a file failed.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A PHA file to be fixed in place is gzip-compressed.
    #[error("{}: is gzip-compressed; decompress it first (phafix rewrites the file in place)", path.display())]
    Gzipped { path: PathBuf },
    /// Renaming the fixed temporary file onto the original failed.
    #[error("{}: cannot replace: {source}", path.display())]
    Replace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file lacks the extension (or image) it must hold; `what` describes it.
    #[error("{}: no {what}", path.display())]
    MissingExtension { path: PathBuf, what: String },
    /// The auxiliary-directory environment variable `var` is not set.
    #[error("{var} is not set: point it at the nuskybgd auxil directory (the one holding nomapbgdparams.dat and detA_det1.img.gz)")]
    AuxilUnset { var: String },
    /// The auxiliary-directory environment variable `var` names no directory.
    #[error("{}: {var} does not name a directory", path.display())]
    AuxilNotDir { path: PathBuf, var: String },
    /// A file of the auxiliary directory is absent.
    #[error("{}: auxiliary file not found", path.display())]
    AuxilMissing { path: PathBuf },
    /// The file's TELESCOP is not NuSTAR.
    #[error("{}: TELESCOP is '{telescop}', not NuSTAR", path.display())]
    NotNustar { path: PathBuf, telescop: String },
    /// The HDU `here` has a TELESCOP that is not NuSTAR.
    #[error("{}: {here}: TELESCOP is '{telescop}', not NuSTAR", path.display())]
    NotNustarHdu {
        path: PathBuf,
        here: String,
        telescop: String,
    },
    /// The HDU `here` has an INSTRUME that is not FPMA or FPMB.
    #[error("{}: {here}: INSTRUME is '{instrume}', expected FPMA or FPMB", path.display())]
    BadInstrume {
        path: PathBuf,
        here: String,
        instrume: String,
    },
    /// A BADPIX file that names no module.
    #[error("{}: BADPIX file names no module (INSTRUME FPMA/FPMB)", path.display())]
    NoModule { path: PathBuf },
    /// A DET1 map of the wrong size (pixels); `expected` words what was wanted.
    #[error("{}: {expected}, found {nx}x{ny}", path.display())]
    WrongMapSize {
        path: PathBuf,
        expected: String,
        nx: usize,
        ny: usize,
    },
    /// An instrument-map pixel (1-based DET1 x, y) that is not a label 0 (inactive) to 4.
    #[error("{}: instrument map pixel ({x}, {y}) is {value}; labels are 0 (inactive) and 1-4 (DET0-DET3)", path.display())]
    BadMapLabel {
        path: PathBuf,
        x: usize,
        y: usize,
        value: f64,
    },
    /// An instrument map without an active pixel.
    #[error("{}: instrument map has no active pixel (all labels 0)", path.display())]
    NoActivePixel { path: PathBuf },
    /// The PIXPOS PDF column does not hold 7x7 values per row.
    #[error("{}: PDF column must hold 7x7 values per row", path.display())]
    BadPdfShape { path: PathBuf },
    /// A GTI extension with no intervals.
    #[error("{}: GTI extension {name} is empty", path.display())]
    EmptyGti { path: PathBuf, name: String },
    /// A GTI row (1-based) whose START is after its STOP, or not finite.
    #[error("{}: GTI extension {name} row {row}: START {start} is after STOP {stop}", path.display())]
    BadGtiRow {
        path: PathBuf,
        name: String,
        row: usize,
        start: f64,
        stop: f64,
    },
    /// No header of the file has DATE-OBS.
    #[error("{}: no DATE-OBS keyword (needed for the CALDB lookups)", path.display())]
    NoDateObs { path: PathBuf },
    /// The CALDB index file is absent.
    #[error("{}: CALDB index not found (is $CALDB set to the CALDB root?)", path.display())]
    CaldbIndexMissing { path: PathBuf },
    /// A DATE-OBS that is not an ISO date.
    #[error("DATE-OBS '{date_obs}' is not an ISO date")]
    BadDateObs { date_obs: String },
    /// The CALDB index has no good entry for the query (`what`: the instrument, and the
    /// detector and boundary when asked, e.g. `FPMA DET0 with CAL_CBD …`).
    #[error("{}: no {cnam} entry for {what} valid on {date_obs} (CAL_QUAL = 0)", path.display())]
    NoCaldbEntry {
        path: PathBuf,
        cnam: String,
        what: String,
        date_obs: String,
    },
    /// A calibration file listed in the CALDB index is absent.
    #[error("{}: CALDB index lists this {cnam} file but it is missing", path.display())]
    CaldbFileMissing { path: PathBuf, cnam: String },
    /// `$CALDB` is not set.
    #[error("$CALDB is not set: point it at the HEASoft calibration database")]
    CaldbUnset,
}

impl NustarError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use NustarError::*;
        match self {
            AuxilUnset { .. } | BadDateObs { .. } | CaldbUnset => None,
            Read { path, .. }
            | Gzipped { path }
            | Replace { path, .. }
            | MissingExtension { path, .. }
            | AuxilNotDir { path, .. }
            | AuxilMissing { path }
            | NotNustar { path, .. }
            | NotNustarHdu { path, .. }
            | BadInstrume { path, .. }
            | NoModule { path }
            | WrongMapSize { path, .. }
            | BadPdfShape { path }
            | BadMapLabel { path, .. }
            | NoActivePixel { path }
            | EmptyGti { path, .. }
            | BadGtiRow { path, .. }
            | NoDateObs { path }
            | CaldbIndexMissing { path }
            | NoCaldbEntry { path, .. }
            | CaldbFileMissing { path, .. } => Some(path),
        }
    }
}
