//! Good time intervals (OGIP GTI extensions: START, STOP in seconds).

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use std::path::Path;

/// Good time intervals [start, stop) in mission seconds, sorted by start.
#[derive(Debug, Clone, PartialEq)]
pub struct Gti {
    pub start: Vec<f64>,
    pub stop: Vec<f64>,
}

impl Gti {
    /// Total good time (s).
    pub fn total(&self) -> f64 {
        self.start.iter().zip(&self.stop).map(|(a, b)| b - a).sum()
    }

    /// Read the first GTI extension (HDUCLAS1 = 'GTI', or EXTNAME GTI/STDGTI) of a file.
    /// An extension without rows is an error: nothing would be selected.
    pub fn read(path: &Path) -> Result<Gti> {
        let mut f = Fits::open(path)?;
        let n = f.num_hdus()?;
        for h in 2..=n {
            f.goto_hdu(h)?;
            let class = f.opt_key_str("HDUCLAS1")?.unwrap_or_default();
            let name = f.extname()?.to_ascii_uppercase();
            if class.eq_ignore_ascii_case("GTI") || name == "GTI" || name == "STDGTI" {
                let start = f.read_scalar_col_f64("START")?;
                let stop = f.read_scalar_col_f64("STOP")?;
                if start.is_empty() {
                    return Err(NustarError::EmptyGti {
                        path: path.to_path_buf(),
                        name: name.to_string(),
                    }
                    .into());
                }
                check_rows(path, &name, &start, &stop)?;
                let mut idx: Vec<usize> = (0..start.len()).collect();
                idx.sort_by(|&a, &b| start[a].total_cmp(&start[b]));
                return Ok(Gti {
                    start: idx.iter().map(|&i| start[i]).collect(),
                    stop: idx.iter().map(|&i| stop[i]).collect(),
                });
            }
        }
        Err(NustarError::MissingExtension {
            path: path.to_path_buf(),
            what: "GTI extension (HDUCLAS1 = 'GTI')".into(),
        }
        .into())
    }
}

/// Refuse a GTI row whose START is after its STOP (or either is not finite): it selects
/// no time, and the product it leads to would blame another file.
fn check_rows(path: &Path, name: &str, start: &[f64], stop: &[f64]) -> Result<()> {
    for (row, (&a, &b)) in start.iter().zip(stop).enumerate() {
        if !(a.is_finite() && b.is_finite() && a <= b) {
            return Err(NustarError::BadGtiRow {
                path: path.to_path_buf(),
                name: name.to_string(),
                row: row + 1,
                start: a,
                stop: b,
            }
            .into());
        }
    }
    Ok(())
}
