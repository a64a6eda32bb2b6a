//! The library's failures, the bottom layer of the crate: it imports none of the others,
//! so every layer can use it. Each layer has its own error enum here, named after it
//! ([`IoError`], [`NustarError`], [`SkyError`], [`SpectralError`], [`ModelError`] for
//! `bgmodel`, [`TaskError`], [`SimError`], [`PipelineError`], [`CliError`]); its variants
//! name what went wrong and carry the file (and 1-based line) the user can act on, and hold
//! only plain values (paths, numbers, text), never a type of the layer above. [`Error`] is
//! their union: every function returns it, `?` lifts a layer's error into it, tests match on
//! the variants, and the CLI prints its one-line `Display` and exits non-zero.

mod bgmodel;
mod cli;
mod io;
mod nustar;
mod pipeline;
mod sim;
mod sky;
mod spectral;
mod tasks;

pub use bgmodel::ModelError;
pub use cli::CliError;
pub use io::IoError;
pub use nustar::NustarError;
pub use pipeline::PipelineError;
pub use sim::SimError;
pub use sky::SkyError;
pub use spectral::SpectralError;
pub use tasks::TaskError;

use std::path::{Path, PathBuf};

/// Any failure: a layer's error, or the same located in a file the caller knows.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error(transparent)]
    Nustar(#[from] NustarError),
    #[error(transparent)]
    Sky(#[from] SkyError),
    #[error(transparent)]
    Spectral(#[from] SpectralError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Cli(#[from] CliError),
    /// A failure found by a function that did not know the file; `file` is the file the
    /// caller was reading (1-based `line` when it is a text file).
    #[error("{}: {source}", location(file, *line))]
    In {
        file: PathBuf,
        line: Option<usize>,
        source: Box<Error>,
    },
}

/// Result type used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

fn location(file: &Path, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{}:{l}", file.display()),
        None => file.display().to_string(),
    }
}

impl Error {
    /// The file the failure is located in, if it names one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io(e) => e.path(),
            Error::Nustar(e) => e.path(),
            Error::Sky(e) => e.path(),
            Error::Spectral(e) => e.path(),
            Error::Model(e) => e.path(),
            Error::Task(e) => e.path(),
            Error::Sim(e) => e.path(),
            Error::Pipeline(e) => e.path(),
            Error::Cli(e) => e.path(),
            Error::In { file, .. } => Some(file),
        }
    }

    /// Locate in `path` a failure that names no file yet (one that does is returned as is).
    pub fn in_file(self, path: impl AsRef<Path>) -> Self {
        self.locate(path, None)
    }

    /// Locate at a 1-based line of `path` a failure that names no file yet.
    pub fn at(self, path: impl AsRef<Path>, line: usize) -> Self {
        self.locate(path, Some(line))
    }

    fn locate(self, path: impl AsRef<Path>, line: Option<usize>) -> Self {
        if self.path().is_some() {
            return self;
        }
        Error::In {
            file: path.as_ref().to_path_buf(),
            line,
            source: Box::new(self),
        }
    }

    /// What is wrong, without the file and line in front (for a caller that words the
    /// location itself).
    pub fn message(&self) -> String {
        match self {
            Error::In { source, .. } => source.message(),
            e if e.path().is_none() => e.to_string(),
            e => {
                let full = e.to_string();
                let loc = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                full.strip_prefix(&loc)
                    .map(|rest| {
                        rest.trim_start_matches(|c: char| c == ':' || c.is_ascii_digit())
                            .trim_start()
                            .to_string()
                    })
                    .unwrap_or(full)
            }
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        IoError::Std { source: e }.into()
    }
}
