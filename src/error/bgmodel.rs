//! Failures of `bgmodel`: the background model (presets, bgdinfo, geometry, responses): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A save file's item (at 1-based `line`) that does not fit the background model's
    /// layout (one spectrum per `data` command, its files after it).
    #[error("{}:{line}: {msg}", path.display())]
    SaveFile {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// The model has no source (`model N:name`) of this name.
    #[error("the model has no source named {name}")]
    NoSource { name: String },
}

impl ModelError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ModelError::SaveFile { path, .. } => Some(path),
            ModelError::NoSource { .. } => None,
        }
    }
}
