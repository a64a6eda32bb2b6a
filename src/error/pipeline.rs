//! Failures of `pipeline`: whole jobs (demo, recovery): each variant names what went wrong and
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
}

impl PipelineError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            PipelineError::CreateDir { path, .. } => Some(path),
            _ => None,
        }
    }
}
