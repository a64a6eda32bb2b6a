//! Failures of `tasks`: the commands' requests and their files: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::Path;

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {}

impl TaskError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match *self {}
    }
}
