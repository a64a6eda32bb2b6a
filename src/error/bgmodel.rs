//! Failures of `bgmodel`: the background model (presets, bgdinfo, geometry, responses): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::Path;

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {}

impl ModelError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        match *self {}
    }
}
