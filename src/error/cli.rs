//! Failures of `cli`: command lines (arguments, values): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A `--word` option that is neither `--key=value` nor followed by its value.
    #[error("malformed option '{word}'")]
    MalformedOption { word: String },
    /// The same `key=` given twice.
    #[error("argument '{key}' given twice")]
    Repeated { key: String },
    /// A required `key=` is absent.
    #[error("missing required argument {key}=")]
    MissingRequired { key: String },
    /// A positional argument is absent.
    #[error("missing argument {what}")]
    MissingPositional { what: String },
    /// A yes/no argument has another value.
    #[error("{key}={value}: expected yes or no")]
    NotYesNo { key: String, value: String },
    /// `statistic=` is neither chi nor cstat.
    #[error("statistic={value}: use chi or cstat")]
    BadStatistic { value: String },
    /// A numeric argument does not parse.
    #[error("{key}={value}: not a number")]
    NotANumber { key: String, value: String },
    /// A positional argument is not an energy (keV).
    #[error("{what} = '{value}' is not an energy in keV")]
    NotAnEnergy { what: String, value: String },
    /// Keys the task does not know (joined with ", ").
    #[error("unknown argument(s): {keys}")]
    UnknownKeys { keys: String },
    /// More positional arguments than the task takes (joined with " ").
    #[error("unexpected argument(s): {args}")]
    ExtraPositional { args: String },
    /// An argument's value is outside what it accepts; `hint` says what is.
    #[error("{key}={value}: {hint}")]
    BadValue {
        key: String,
        value: String,
        hint: String,
    },
    /// A character of `mods=` is not a module letter.
    /// A file a `key=` argument names does not exist.
    #[error("{key}={}: not found", path.display())]
    NotFound { key: String, path: PathBuf },
    /// No event file of the observation under the directory the user gave.
    #[error("{}: no event file nu{obsid}A01_cl.evt or nu{obsid}B01_cl.evt (.gz) here, in {obsid}/event_cl or in event_cl", dir.display())]
    NoEventFiles { dir: PathBuf, obsid: String },
    /// The band lists of `mkimgs DIR OBSID ELOWS EHIGHS` differ in length.
    #[error("{lows} lower and {highs} upper band edges: give them in pairs")]
    BandLists { lows: usize, highs: usize },
    /// A name `install-scripts` would make exists and is not a link to this program.
    #[error("{}: exists and is not a link to nuskybgd; not replaced (use clobber=yes)", path.display())]
    ScriptExists { path: PathBuf },
    /// The script links cannot be made.
    #[error("{}: cannot make the link: {source}", path.display())]
    Link {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("mods: '{item}' is not a module (A or B)")]
    BadModule { item: char },
    /// A character of `dets=` is not a detector digit.
    #[error("dets: '{item}' is not a detector (0-3)")]
    BadDetector { item: char },
    /// A model parameter given on the command line is not a number.
    #[error("parameter '{value}' is not a number")]
    BadParameter { value: String },
    /// A file named on the command line could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line (1-based) of an energy-grid file does not start with an energy.
    #[error("{}:{line}: '{value}' is not an energy", path.display())]
    NotAnEnergyLine {
        path: PathBuf,
        line: usize,
        value: String,
    },
}

impl CliError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            CliError::Read { path, .. }
            | CliError::NotAnEnergyLine { path, .. }
            | CliError::NotFound { path, .. }
            | CliError::NoEventFiles { dir: path, .. }
            | CliError::ScriptExists { path }
            | CliError::Link { path, .. } => Some(path),
            _ => None,
        }
    }
}
