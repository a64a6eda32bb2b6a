//! OGIP spectra (PHA type I, OGIP/92-007; type II rows addressed as `file{n}`).

use crate::error::{Error, Result};
use crate::io::fits::Fits;
use std::path::{Path, PathBuf};

/// A spectrum as loaded: per-channel counts and the keywords that matter for fitting.
#[derive(Debug, Clone)]
pub struct Spectrum {
    /// The file (and 1-based row for type II).
    pub path: PathBuf,
    pub row: Option<usize>,
    /// Channel numbers as in the file (first = TLMIN of CHANNEL, 0 for NuSTAR).
    pub channel: Vec<i64>,
    /// Counts per channel (RATE × EXPOSURE for rate spectra).
    pub counts: Vec<f64>,
    /// Statistical error per channel in counts, when POISSERR = F.
    pub stat_err: Option<Vec<f64>>,
    /// Fractional systematic error per channel.
    pub sys_err: Vec<f64>,
    /// OGIP quality flags (0 good, 1 bad, 2 dubious, 5 set bad by user).
    pub quality: Vec<i16>,
    /// OGIP grouping (+1 starts a group, −1 continues it).
    pub grouping: Vec<i16>,
    /// Exposure time (s).
    pub exposure: f64,
    pub backscal: f64,
    pub areascal: f64,
    /// Companion files named in the header ('none' removed).
    pub respfile: Option<String>,
    pub ancrfile: Option<String>,
    pub backfile: Option<String>,
    pub instrume: String,
}

fn file_key(f: &mut Fits, k: &str) -> Result<Option<String>> {
    Ok(f.opt_key_str(k)?
        .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("none")))
}

/// Split `file{n}` into the file and the 1-based type-II row.
pub fn split_row(spec: &str) -> Result<(PathBuf, Option<usize>)> {
    if let Some(open) = spec.rfind('{') {
        if spec.ends_with('}') {
            let n: usize = spec[open + 1..spec.len() - 1].trim().parse().map_err(|_| {
                Error::msg(format!(
                    "'{spec}': row number in braces is not a positive integer"
                ))
            })?;
            if n == 0 {
                return Err(Error::msg(format!("'{spec}': rows count from 1")));
            }
            return Ok((PathBuf::from(&spec[..open]), Some(n)));
        }
    }
    Ok((PathBuf::from(spec), None))
}

impl Spectrum {
    /// Read a spectrum; `spec` may be `file` or `file{n}` (row n of a type II file).
    pub fn read(spec: &str) -> Result<Spectrum> {
        let (path, row) = split_row(spec)?;
        Self::read_at(&path, row)
    }

    /// Read from `path` (row `row` for type II).
    pub fn read_at(path: &Path, row: Option<usize>) -> Result<Spectrum> {
        let mut f = Fits::open(path)?;
        let mut found = f.try_goto_named("SPECTRUM")?;
        if !found {
            for h in 2..=f.num_hdus()? {
                f.goto_hdu(h)?;
                if f.opt_key_str("HDUCLAS1")?
                    .is_some_and(|c| c.eq_ignore_ascii_case("SPECTRUM"))
                {
                    found = true;
                    break;
                }
            }
        }
        if !found {
            return Err(Error::file(path, "no SPECTRUM extension"));
        }
        let nrows = f.nrows()?;
        let ccol = f.col("CHANNEL")?;
        let per_row = f.col_repeat(ccol)?;
        let type2 = per_row > 1;
        let pick = |v: Vec<f64>, per_row: usize| -> Result<Vec<f64>> {
            match (type2, row) {
                (false, _) => Ok(v),
                (true, Some(r)) if r <= nrows => Ok(v[(r - 1) * per_row..r * per_row].to_vec()),
                (true, Some(r)) => Err(Error::file(
                    path,
                    format!("type II file has {nrows} rows, row {r} asked"),
                )),
                (true, None) => Err(Error::file(
                    path,
                    "type II spectrum file: give the row as file{n}",
                )),
            }
        };
        let channel: Vec<i64> = pick(f.read_col_f64("CHANNEL")?, per_row)?
            .iter()
            .map(|v| *v as i64)
            .collect();
        let n = channel.len();
        let exposure = f
            .opt_key_f64("EXPOSURE")?
            .ok_or_else(|| Error::file(path, "keyword EXPOSURE missing in SPECTRUM"))?;
        if !(exposure > 0.0) {
            return Err(Error::file(
                path,
                format!("EXPOSURE = {exposure}: must be positive"),
            ));
        }
        let (counts, is_rate) = if f.opt_col("COUNTS")?.is_some() {
            (pick(f.read_col_f64("COUNTS")?, per_row)?, false)
        } else if f.opt_col("RATE")?.is_some() {
            (
                pick(f.read_col_f64("RATE")?, per_row)?
                    .iter()
                    .map(|r| r * exposure)
                    .collect(),
                true,
            )
        } else {
            return Err(Error::file(path, "SPECTRUM has neither COUNTS nor RATE"));
        };
        if let Some(i) = counts
            .iter()
            .position(|c| !c.is_finite() || (*c < 0.0 && !is_rate))
        {
            return Err(Error::file(
                path,
                format!("channel {} has invalid counts {}", channel[i], counts[i]),
            ));
        }
        let poisserr = match f.opt_key_str("POISSERR")? {
            Some(v) => v.trim().eq_ignore_ascii_case("T"),
            None => !is_rate,
        };
        let stat_err = if poisserr {
            None
        } else if f.opt_col("STAT_ERR")?.is_some() {
            let e = pick(f.read_col_f64("STAT_ERR")?, per_row)?;
            Some(if is_rate {
                e.iter().map(|v| v * exposure).collect()
            } else {
                e
            })
        } else {
            return Err(Error::file(path, "POISSERR = F but no STAT_ERR column"));
        };
        let col_or_key = |f: &mut Fits, name: &str, default: f64| -> Result<Vec<f64>> {
            if f.opt_col(name)?.is_some() {
                pick(f.read_col_f64(name)?, per_row)
            } else {
                Ok(vec![f.opt_key_f64(name)?.unwrap_or(default); n])
            }
        };
        let sys_err = col_or_key(&mut f, "SYS_ERR", 0.0)?;
        let quality: Vec<i16> = col_or_key(&mut f, "QUALITY", 0.0)?
            .iter()
            .map(|v| *v as i16)
            .collect();
        let grouping: Vec<i16> = col_or_key(&mut f, "GROUPING", 1.0)?
            .iter()
            .map(|v| if *v == 0.0 { 1 } else { *v as i16 })
            .collect();
        let backscal = f.opt_key_f64("BACKSCAL")?.unwrap_or(1.0);
        let areascal = f.opt_key_f64("AREASCAL")?.unwrap_or(1.0);
        Ok(Spectrum {
            path: path.to_path_buf(),
            row,
            channel,
            counts,
            stat_err,
            sys_err,
            quality,
            grouping,
            exposure,
            backscal,
            areascal,
            respfile: file_key(&mut f, "RESPFILE")?,
            ancrfile: file_key(&mut f, "ANCRFILE")?,
            backfile: file_key(&mut f, "BACKFILE")?,
            instrume: f.opt_key_str("INSTRUME")?.unwrap_or_default(),
        })
    }

    /// Number of channels.
    pub fn len(&self) -> usize {
        self.channel.len()
    }

    /// True for a spectrum without channels.
    pub fn is_empty(&self) -> bool {
        self.channel.is_empty()
    }
}
