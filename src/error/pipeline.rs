//! Failures of `pipeline`: whole jobs (demo, recovery, init and run): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A step of the demo failed (its name, and the failure).
    #[error("demo step {name}: {source}")]
    Step {
        name: String,
        #[source]
        source: Box<crate::Error>,
    },
    /// The demo's output directory could not be created.
    #[error("{}: cannot create: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The fit task ran without fitting.
    #[error("demo: the fit task returned no fit")]
    NoFit,
    /// A step of a run failed.
    #[error("run step {name}: {source}")]
    RunStep {
        name: String,
        #[source]
        source: Box<crate::Error>,
    },
    /// The configuration file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The configuration is not valid TOML.
    #[error("{}: not valid TOML: {msg}", path.display())]
    ConfigSyntax { path: PathBuf, msg: String },
    /// A key the configuration does not know (a typo would otherwise mean a default).
    #[error("{}: unknown key '{key}'", path.display())]
    ConfigUnknownKey { path: PathBuf, key: String },
    /// A required key is missing.
    #[error("{}: missing key '{key}'", path.display())]
    ConfigMissing { path: PathBuf, key: String },
    /// A key with a value of the wrong kind or out of range.
    #[error("{}: {key}: {hint}", path.display())]
    ConfigValue {
        path: PathBuf,
        key: String,
        hint: String,
    },
    /// A file the configuration names does not exist.
    #[error("{}: {key} names {}, which does not exist", path.display(), listed.display())]
    ConfigFileMissing {
        path: PathBuf,
        key: String,
        listed: PathBuf,
    },
    /// No observation in the folder `init` was given.
    #[error("{}: no cleaned event files nu<obsid>A01_cl.evt / nu<obsid>B01_cl.evt (.gz) here or in event_cl/", path.display())]
    NoObservation { path: PathBuf },
    /// More than one observation in the folder.
    #[error("{}: event files of several observations ({obsids}); give the folder of one", path.display())]
    SeveralObservations { path: PathBuf, obsids: String },
    /// A file the observation needs is missing.
    #[error("{}: no {what} for module {module} ({name}[.gz])", path.display())]
    ObservationFileMissing {
        path: PathBuf,
        what: String,
        module: String,
        name: String,
    },
    /// A module the configuration analyses has an event list without events.
    #[error("{}: module {module} has no events; to analyse the other module alone, list only it in [observation] modules of {}", path.display(), config.display())]
    ModuleWithoutEvents {
        path: PathBuf,
        module: String,
        config: PathBuf,
    },
    /// No background regions given or found.
    #[error("{}: no background region files bgd*.reg here or in bgd/; give bgdreg=FILE1,FILE2", path.display())]
    NoBackgroundRegions { path: PathBuf },
    /// `from=` or `only=` names no step of the run.
    #[error("no step of this run is named '{name}' (steps: {steps})")]
    UnknownStep { name: String, steps: String },
    /// The run's state file (`run.json`) cannot be written.
    #[error("{}: cannot write: {source}", path.display())]
    StateWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `batch`: the list of observation folders cannot be read.
    #[error("{}: cannot read the list of observations: {source}", path.display())]
    BatchListRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `batch`: the list names no observation folder.
    #[error("{}: lists no observation folder (one folder a line; # starts a comment)", path.display())]
    BatchListEmpty { path: PathBuf },
    /// `batch`: a line of the list names a folder that does not exist (1-based line).
    #[error("{}:{line}: {}: no such folder", path.display(), folder.display())]
    BatchListFolder {
        path: PathBuf,
        line: usize,
        folder: PathBuf,
    },
    /// `batch`: a folder listed twice (its products would be written by two jobs at once).
    #[error("{}:{line}: {} is listed twice (first on line {first})", path.display(), folder.display())]
    BatchListRepeated {
        path: PathBuf,
        line: usize,
        first: usize,
        folder: PathBuf,
    },
    /// `batch`: the template and this observation do not make a valid configuration.
    #[error("{}: for {}: {msg}", template.display(), observation.display())]
    BatchConfig {
        template: PathBuf,
        observation: PathBuf,
        msg: String,
    },
    /// `batch`: a job panicked (a bug; the other jobs went on).
    #[error("internal error (panic): {msg}")]
    BatchJobPanic { msg: String },
    /// `batch`: some observations failed (the table and the CSV say which and why).
    #[error("{failed} of {total} observations failed; summary in {}", csv.display())]
    BatchFailed {
        failed: usize,
        total: usize,
        csv: PathBuf,
    },
    /// `batch`: the summary file exists and is not a batch summary.
    #[error("{}: exists and is not a batch summary; give clobber=yes or out=OTHER.csv", path.display())]
    BatchSummaryExists { path: PathBuf },
}

impl PipelineError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PipelineError::CreateDir { path, .. }
            | PipelineError::ConfigRead { path, .. }
            | PipelineError::ConfigSyntax { path, .. }
            | PipelineError::ConfigUnknownKey { path, .. }
            | PipelineError::ConfigMissing { path, .. }
            | PipelineError::ConfigValue { path, .. }
            | PipelineError::ConfigFileMissing { path, .. }
            | PipelineError::NoObservation { path }
            | PipelineError::SeveralObservations { path, .. }
            | PipelineError::ObservationFileMissing { path, .. }
            | PipelineError::NoBackgroundRegions { path }
            | PipelineError::ModuleWithoutEvents { path, .. }
            | PipelineError::StateWrite { path, .. }
            | PipelineError::BatchListRead { path, .. }
            | PipelineError::BatchListEmpty { path }
            | PipelineError::BatchListFolder { path, .. }
            | PipelineError::BatchListRepeated { path, .. }
            | PipelineError::BatchSummaryExists { path } => Some(path),
            PipelineError::BatchConfig { template, .. } => Some(template),
            _ => None,
        }
    }
}
