//! One error type for the library: every failure names the file (when there is one) and
//! says what is wrong in one line, so the CLI can print it and exit non-zero.

use std::fmt;
use std::path::{Path, PathBuf};

/// A failure with the file it concerns and a one-line description.
#[derive(Debug)]
pub struct Error {
    /// The file the problem is in, when there is one.
    pub file: Option<PathBuf>,
    /// 1-based line number inside `file` (text inputs such as regions or .xcm files).
    pub line: Option<usize>,
    /// What is wrong, in words a user can act on.
    pub msg: String,
}

/// Result type used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error not tied to a file (bad argument, inconsistent request).
    pub fn msg(msg: impl Into<String>) -> Self {
        Error {
            file: None,
            line: None,
            msg: msg.into(),
        }
    }

    /// An error about a file.
    pub fn file(path: impl AsRef<Path>, msg: impl Into<String>) -> Self {
        Error {
            file: Some(path.as_ref().to_path_buf()),
            line: None,
            msg: msg.into(),
        }
    }

    /// An error at a line of a text file.
    pub fn at_line(path: impl AsRef<Path>, line: usize, msg: impl Into<String>) -> Self {
        Error {
            file: Some(path.as_ref().to_path_buf()),
            line: Some(line),
            msg: msg.into(),
        }
    }

    /// Attach a file to an error that has none yet.
    pub fn in_file(mut self, path: impl AsRef<Path>) -> Self {
        if self.file.is_none() {
            self.file = Some(path.as_ref().to_path_buf());
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(p), Some(l)) => write!(f, "{}:{}: {}", p.display(), l, self.msg),
            (Some(p), None) => write!(f, "{}: {}", p.display(), self.msg),
            _ => write!(f, "{}", self.msg),
        }
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::msg(e.to_string())
    }
}
