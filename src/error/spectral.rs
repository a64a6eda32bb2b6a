//! Failures of `spectral`: the spectral engine (models, data, fits, save files): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum SpectralError {
    /// An OGIP file lacks the extension its kind needs (`msg` names it).
    #[error("{}: {msg}", path.display())]
    MissingExtension { path: PathBuf, msg: String },
    /// An RMF's matrix or grids are inconsistent (rows and groups 1-based in `msg`).
    #[error("{}: {msg}", path.display())]
    BadRmf { path: PathBuf, msg: String },
    /// A spectrum file's SPECTRUM table is unusable (keyword, column, row or counts).
    #[error("{}: {msg}", path.display())]
    BadSpectrum { path: PathBuf, msg: String },
    /// A `file{n}` spectrum name whose row (1-based) is not valid.
    #[error("'{spec}': {msg}")]
    BadSpectrumName { spec: String, msg: String },
    /// Two files (response, background, spectrum) that do not fit together.
    #[error("{}: {msg}", path.display())]
    Mismatch { path: PathBuf, msg: String },
    /// Two lists (channels, weights, parameters) of different lengths.
    #[error("{msg}")]
    CountMismatch { msg: String },
    /// A background spectrum (`name` as given) that cannot be read.
    #[error("{}: background spectrum {name} cannot be read: {}", path.display(), inner.message())]
    BackgroundUnreadable {
        path: PathBuf,
        name: String,
        #[source]
        inner: Box<crate::Error>,
    },
    /// A background whose scale (exposure × area × backscal ratio) is not usable.
    #[error("{}: background scale {scale}: check EXPOSURE, AREASCAL, BACKSCAL", path.display())]
    BadBackgroundScale { path: PathBuf, scale: f64 },
    /// A grouping or notice token that is not what was `expected`.
    #[error("'{text}' is not {expected}")]
    BadRange { text: String, expected: String },
    /// A fit asked with nothing to fit (`what` says what is missing).
    #[error("{what}")]
    NothingToFit { what: String },
    /// The statistic is not finite at the start values.
    #[error("the statistic is {value} at the start values: cannot fit")]
    BadStartStatistic { value: f64 },
    /// A fit found poor; its result is not written.
    #[error("{}: fit {summary} (statistic {statistic}); nothing written (force=yes writes it anyway)", path.display())]
    FitRejected {
        path: PathBuf,
        summary: String,
        statistic: String,
    },
    /// A source (1-based `number`) whose model cannot be evaluated as asked.
    #[error("source {number}{msg}")]
    BadSource { number: usize, msg: String },
    /// No response attached to the source asked for.
    #[error("no response for this source")]
    NoResponse,
    /// A background with non-Poisson counts used with the W-statistic (bin 1-based).
    #[error("spectrum {spectrum} ({file}): background {background} has {counts} counts in bin {bin}: the W-statistic (cstat with a background) needs Poisson counts; use statistic pgstat or chi")]
    NotPoisson {
        spectrum: usize,
        file: String,
        background: String,
        counts: f64,
        bin: usize,
    },
    /// A model expression that does not parse or combine.
    #[error("{msg}")]
    BadExpression { msg: String },
    /// A model component name not known.
    #[error("unknown model component '{name}'")]
    UnknownComponent { name: String },
    /// A model component not known, met when evaluating.
    #[error("cannot evaluate unknown model component '{name}'")]
    CannotEvaluate { name: String },
    /// A model component whose evaluation failed.
    #[error("{name}: {}", inner.message())]
    ComponentFailed {
        name: String,
        #[source]
        inner: Box<crate::Error>,
    },
    /// An energy grid (keV) that a model cannot be evaluated on.
    #[error("{msg}")]
    BadGrid { msg: String },
    /// AtomDB line file whose temperatures differ from those of its coco file.
    #[error("{}: temperatures differ from those of {}", path.display(), coco.display())]
    AtomDbMismatch { path: PathBuf, coco: PathBuf },
    /// No AtomDB found (`searched`: the places looked in).
    #[error("apec needs AtomDB (apec_v*_coco.fits and apec_v*_line.fits); none found in {searched} (set ATOMDB, or switch the apec component off)")]
    NoAtomDb { searched: String },
    /// A parameter link that does not parse or uses an unknown function.
    #[error("{msg}")]
    BadLink { msg: String },
    /// A link cycle through a parameter (1-based `index`).
    #[error("link cycle through parameter {index} ({name})")]
    LinkCycle { index: usize, name: String },
    /// A link (from 1-based parameter `index`) to a parameter that does not exist.
    #[error("parameter {index} links to {target} which does not exist")]
    DanglingLink { index: usize, target: String },
    /// A newpar command that cannot be applied.
    #[error("newpar: {msg}")]
    BadNewpar { msg: String },
    /// A save-file line (1-based) that is wrong.
    #[error("{}:{line}: {msg}", path.display())]
    BadLine {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// A save-file line (1-based) whose command failed.
    #[error("{}:{line}: {}", path.display(), inner.message())]
    LineFailed {
        path: PathBuf,
        line: usize,
        #[source]
        inner: Box<crate::Error>,
    },
    /// A save file that cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl SpectralError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use SpectralError::*;
        match self {
            MissingExtension { path, .. }
            | BadRmf { path, .. }
            | BadSpectrum { path, .. }
            | Mismatch { path, .. }
            | BackgroundUnreadable { path, .. }
            | BadBackgroundScale { path, .. }
            | FitRejected { path, .. }
            | AtomDbMismatch { path, .. }
            | BadLine { path, .. }
            | LineFailed { path, .. }
            | Unreadable { path, .. } => Some(path),
            _ => None,
        }
    }
}
