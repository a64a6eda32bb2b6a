//! Output files the HEASoft way: an existing file is kept unless the user asked to replace
//! it (`clobber=yes` or a leading `!` on the name), and every file is written under a
//! temporary name in the same directory and renamed into place only when complete.

use crate::error::{Error, IoError, Result};
use crate::io::fits::Fits;
use std::path::{Path, PathBuf};

/// Where an output goes and whether an existing file there may be replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Final path (any leading `!` removed).
    pub path: PathBuf,
    /// True when an existing file may be replaced.
    pub clobber: bool,
}

impl Output {
    /// Interpret a user-given output name: a leading `!` means "replace if it exists".
    pub fn new(name: &str, clobber: bool) -> Output {
        match name.strip_prefix('!') {
            Some(rest) => Output {
                path: PathBuf::from(rest),
                clobber: true,
            },
            None => Output {
                path: PathBuf::from(name),
                clobber,
            },
        }
    }

    /// An output at `path` with the same clobber setting as `self` (for files written beside
    /// a main output).
    pub fn sibling(&self, path: impl Into<PathBuf>) -> Output {
        Output {
            path: path.into(),
            clobber: self.clobber,
        }
    }

    /// Fail if the file exists and may not be replaced, or its directory does not exist.
    pub fn check(&self) -> Result<()> {
        if self.path.as_os_str().is_empty() {
            return Err(IoError::EmptyOutputName.into());
        }
        if self.path.exists() && !self.clobber {
            return Err(IoError::OutputExists {
                path: self.path.clone(),
            }
            .into());
        }
        if self.path.is_dir() {
            return Err(IoError::OutputIsDirectory {
                path: self.path.clone(),
            }
            .into());
        }
        let dir = parent_dir(&self.path);
        if !dir.is_dir() {
            return Err(IoError::OutputDirMissing {
                path: self.path.clone(),
            }
            .into());
        }
        Ok(())
    }

    fn temp_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        parent_dir(&self.path).join(format!(".{name}.tmp{}", std::process::id()))
    }

    /// Write a FITS file through `fill` (which receives a new, empty file) and rename it
    /// into place. On any error the temporary file is removed and nothing is left behind.
    pub fn write_fits<F>(&self, fill: F) -> Result<()>
    where
        F: FnOnce(&mut Fits) -> Result<()>,
    {
        self.check()?;
        let tmp = self.temp_path();
        let _ = std::fs::remove_file(&tmp);
        let result = (|| {
            let mut f = Fits::create(&tmp)?;
            fill(&mut f)?;
            f.close()
        })();
        self.finish(&tmp, result)
    }

    /// Write a text file atomically.
    pub fn write_text(&self, text: &str) -> Result<()> {
        self.write_bytes(text.as_bytes())
    }

    /// Write `bytes` (a PNG, say) atomically, as `write_text` does.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<()> {
        self.check()?;
        let tmp = self.temp_path();
        let result = std::fs::write(&tmp, bytes).map_err(|source| {
            IoError::Write {
                path: tmp.clone(),
                source,
            }
            .into()
        });
        self.finish(&tmp, result)
    }

    fn finish(&self, tmp: &Path, result: Result<()>) -> Result<()> {
        match result {
            Ok(()) => std::fs::rename(tmp, &self.path).map_err(|e| {
                let _ = std::fs::remove_file(tmp);
                IoError::MoveIntoPlace {
                    path: self.path.clone(),
                    source: e,
                }
                .into()
            }),
            Err(e) => {
                let _ = std::fs::remove_file(tmp);
                Err(self.named(e, tmp).in_file(&self.path))
            }
        }
    }

    /// A failure met on the hidden temporary file `tmp`, reported against the output the
    /// user named (a read-only folder, say, is about that output).
    fn named(&self, e: Error, tmp: &Path) -> Error {
        let path = self.path.clone();
        match e {
            Error::Io(IoError::CannotCreate { path: p, status }) if p == tmp => {
                IoError::CannotCreate { path, status }.into()
            }
            Error::Io(IoError::Write { path: p, source }) if p == tmp => {
                IoError::Write { path, source }.into()
            }
            Error::Io(IoError::Cfitsio {
                path: p,
                what,
                status,
            }) if p == tmp => IoError::Cfitsio { path, what, status }.into(),
            Error::Io(IoError::NonFiniteKeyword {
                path: p,
                key,
                value,
            }) if p == tmp => IoError::NonFiniteKeyword { path, key, value }.into(),
            other => other,
        }
    }
}

/// An edited copy of an existing FITS file: `path` is copied to a temporary name in its
/// directory and `edit` applied to the copy, which is returned for the caller to rename
/// over `path` once everything else it does has succeeded (the original is untouched until
/// then). On error the copy is removed.
pub fn edited_copy<F>(path: &Path, edit: F) -> Result<PathBuf>
where
    F: FnOnce(&mut Fits) -> Result<()>,
{
    let bytes = std::fs::read(path).map_err(|source| IoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent_dir(path).join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        std::fs::write(&tmp, &bytes).map_err(|source| IoError::Write {
            path: tmp.clone(),
            source,
        })?;
        let mut f = Fits::open_rw(&tmp)?;
        edit(&mut f)?;
        f.close()
    })();
    match result {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e.in_file(path))
        }
    }
}

/// Directory holding `path` ("." for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Check a whole set of outputs before writing any of them, so a task that writes several
/// files either refuses up front or writes them all.
pub fn check_all(outputs: &[Output]) -> Result<()> {
    outputs.iter().try_for_each(Output::check)
}

/// Refuse any output that is one of the task's `inputs` (the same file, by device and inode,
/// whatever the spelling of the path): with clobber=yes it would be replaced while being
/// read. Always refused, clobber or not.
pub fn check_not_inputs(outputs: &[Output], inputs: &[&Path]) -> Result<()> {
    for out in outputs {
        let Ok(o) = std::fs::metadata(&out.path) else {
            continue;
        };
        for input in inputs {
            if std::fs::metadata(input).is_ok_and(|i| same_file(&o, &i)) {
                return Err(IoError::OutputIsInput {
                    path: out.path.clone(),
                    input: input.to_path_buf(),
                }
                .into());
            }
        }
    }
    Ok(())
}

/// True when two metadata describe the same file.
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bang_prefix_means_clobber() {
        let o = Output::new("!x.fits", false);
        assert_eq!(o.path, PathBuf::from("x.fits"));
        assert!(o.clobber);
        let o = Output::new("y.fits", false);
        assert!(!o.clobber);
    }

    #[test]
    fn existing_file_is_kept_unless_clobber() {
        let dir = std::env::temp_dir().join(format!("nsb_out_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.txt");
        std::fs::write(&p, "old").unwrap();
        let o = Output::new(p.to_str().unwrap(), false);
        assert!(o.write_text("new").is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        Output::new(p.to_str().unwrap(), true)
            .write_text("new")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        // a failed write leaves neither the target nor a temporary behind
        let q = dir.join("b.fits");
        let r = Output::new(q.to_str().unwrap(), false)
            .write_fits(|_| Err(IoError::EmptyOutputName.into()));
        assert!(r.is_err());
        assert!(!q.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
