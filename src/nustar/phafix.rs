//! phafix: strip directories from the file names a spectrum points at (RESPFILE, ANCRFILE,
//! BACKFILE, CORRFILE), so XSPEC finds the files beside the spectrum wherever it is moved.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use std::path::Path;

/// Keywords naming companion files.
pub const FILE_KEYS: [&str; 4] = ["RESPFILE", "ANCRFILE", "BACKFILE", "CORRFILE"];

/// One keyword changed: (HDU number 1-based, keyword, old value, new value).
pub type Change = (usize, String, String, String);

/// The file name without directories (`a/b/c.rmf` → `c.rmf`); unchanged when none.
pub fn strip_dirs(v: &str) -> &str {
    v.rsplit('/').next().unwrap_or(v)
}

/// Rewrite `pha` in place (through a temporary copy renamed over it) with directories
/// stripped from the companion-file keywords of every SPECTRUM HDU. Returns the changes;
/// the file is left untouched when there are none. Compressed files are refused: the
/// result could not be written back under the same name.
pub fn phafix(pha: &Path) -> Result<Vec<Change>> {
    let bytes = std::fs::read(pha).map_err(|source| NustarError::Read {
        path: pha.to_path_buf(),
        source,
    })?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(NustarError::Gzipped {
            path: pha.to_path_buf(),
        }
        .into());
    }
    let mut changes = Vec::new();
    {
        let mut f = Fits::open(pha)?;
        for h in 1..=f.num_hdus()? {
            f.goto_hdu(h)?;
            if !is_spectrum(&mut f)? {
                continue;
            }
            for k in FILE_KEYS {
                if let Some(v) = f.opt_key_str(k)? {
                    let new = strip_dirs(&v);
                    if new != v {
                        changes.push((h, k.to_string(), v.clone(), new.to_string()));
                    }
                }
            }
        }
        if changes.is_empty() && !spectrum_present(&mut f)? {
            return Err(NustarError::MissingExtension {
                path: pha.to_path_buf(),
                what: "SPECTRUM extension (HDUCLAS1 or EXTNAME 'SPECTRUM')".into(),
            }
            .into());
        }
    }
    if changes.is_empty() {
        return Ok(changes);
    }
    let tmp = crate::io::output::edited_copy(pha, |f| {
        for (h, k, _, new) in &changes {
            f.goto_hdu(*h)?;
            f.set_key_str(k, new, "")?;
            f.history(&format!("nuskybgd phafix: {k} directories removed"))?;
        }
        Ok(())
    })?;
    std::fs::rename(&tmp, pha).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        NustarError::Replace {
            path: pha.to_path_buf(),
            source: e,
        }
    })?;
    Ok(changes)
}

fn is_spectrum(f: &mut Fits) -> Result<bool> {
    let class = f.opt_key_str("HDUCLAS1")?.unwrap_or_default();
    Ok(class.eq_ignore_ascii_case("SPECTRUM") || f.extname()?.eq_ignore_ascii_case("SPECTRUM"))
}

fn spectrum_present(f: &mut Fits) -> Result<bool> {
    for h in 1..=f.num_hdus()? {
        f.goto_hdu(h)?;
        if is_spectrum(f)? {
            return Ok(true);
        }
    }
    Ok(false)
}
