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
        goto_spectrum(&mut f, path)?;
        let mut t = Rows::new(f, path, row)?;
        let channel: Vec<i64> = t.col("CHANNEL")?.iter().map(|v| *v as i64).collect();
        let n = channel.len();
        let exposure = t
            .f
            .opt_key_f64("EXPOSURE")?
            .ok_or_else(|| Error::file(path, "keyword EXPOSURE missing in SPECTRUM"))?;
        if !(exposure > 0.0) {
            return Err(Error::file(
                path,
                format!("EXPOSURE = {exposure}: must be positive"),
            ));
        }
        let (counts, is_rate) = read_counts(&mut t, &channel, exposure)?;
        let stat_err = read_stat_err(&mut t, is_rate, exposure)?;
        let sys_err = t.col_or_key("SYS_ERR", 0.0, n)?;
        let quality = t.col_or_key("QUALITY", 0.0, n)?;
        let grouping = t.col_or_key("GROUPING", 1.0, n)?;
        let f = &mut t.f;
        Ok(Spectrum {
            path: path.to_path_buf(),
            row,
            channel,
            counts,
            stat_err,
            sys_err,
            quality: quality.iter().map(|v| *v as i16).collect(),
            // 0 is not an OGIP grouping value; older writers meant "starts a group"
            grouping: grouping
                .iter()
                .map(|v| if *v == 0.0 { 1 } else { *v as i16 })
                .collect(),
            exposure,
            backscal: f.opt_key_f64("BACKSCAL")?.unwrap_or(1.0),
            areascal: f.opt_key_f64("AREASCAL")?.unwrap_or(1.0),
            respfile: file_key(f, "RESPFILE")?,
            ancrfile: file_key(f, "ANCRFILE")?,
            backfile: file_key(f, "BACKFILE")?,
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

/// Move to the SPECTRUM extension: by name, else the first HDU with HDUCLAS1 = SPECTRUM.
fn goto_spectrum(f: &mut Fits, path: &Path) -> Result<()> {
    if f.try_goto_named("SPECTRUM")? {
        return Ok(());
    }
    for h in 2..=f.num_hdus()? {
        f.goto_hdu(h)?;
        if f.opt_key_str("HDUCLAS1")?
            .is_some_and(|c| c.eq_ignore_ascii_case("SPECTRUM"))
        {
            return Ok(());
        }
    }
    Err(Error::file(path, "no SPECTRUM extension"))
}

/// The SPECTRUM table read as one spectrum: the whole column of a type I file, or the
/// vector cell of row `row` (1-based) of a type II file.
struct Rows<'a> {
    f: Fits,
    path: &'a Path,
    row: Option<usize>,
    nrows: usize,
    /// Elements of a CHANNEL cell: 1 for type I, the channel count for type II.
    per_row: usize,
}

impl<'a> Rows<'a> {
    fn new(mut f: Fits, path: &'a Path, row: Option<usize>) -> Result<Rows<'a>> {
        let nrows = f.nrows()?;
        let ccol = f.col("CHANNEL")?;
        let per_row = f.col_repeat(ccol)?;
        Ok(Rows {
            f,
            path,
            row,
            nrows,
            per_row,
        })
    }

    /// Column `name` of this spectrum.
    fn col(&mut self, name: &str) -> Result<Vec<f64>> {
        let v = self.f.read_col_f64(name)?;
        let (nrows, per_row) = (self.nrows, self.per_row);
        match (per_row > 1, self.row) {
            (false, _) => Ok(v),
            (true, Some(r)) if r <= nrows => Ok(v[(r - 1) * per_row..r * per_row].to_vec()),
            (true, Some(r)) => Err(Error::file(
                self.path,
                format!("type II file has {nrows} rows, row {r} asked"),
            )),
            (true, None) => Err(Error::file(
                self.path,
                "type II spectrum file: give the row as file{n}",
            )),
        }
    }

    fn has(&mut self, name: &str) -> Result<bool> {
        Ok(self.f.opt_col(name)?.is_some())
    }

    /// Column `name`, else keyword `name` for every channel, else `default`.
    fn col_or_key(&mut self, name: &str, default: f64, n: usize) -> Result<Vec<f64>> {
        if self.has(name)? {
            self.col(name)
        } else {
            Ok(vec![self.f.opt_key_f64(name)?.unwrap_or(default); n])
        }
    }
}

/// Counts per channel (RATE × EXPOSURE for a rate spectrum), checked finite and, for
/// counts, not negative; and whether the file held rates.
fn read_counts(t: &mut Rows, channel: &[i64], exposure: f64) -> Result<(Vec<f64>, bool)> {
    let (counts, is_rate) = if t.has("COUNTS")? {
        (t.col("COUNTS")?, false)
    } else if t.has("RATE")? {
        let r = t.col("RATE")?;
        (r.iter().map(|r| r * exposure).collect(), true)
    } else {
        return Err(Error::file(t.path, "SPECTRUM has neither COUNTS nor RATE"));
    };
    if let Some(i) = counts
        .iter()
        .position(|c| !c.is_finite() || (*c < 0.0 && !is_rate))
    {
        return Err(Error::file(
            t.path,
            format!("channel {} has invalid counts {}", channel[i], counts[i]),
        ));
    }
    Ok((counts, is_rate))
}

/// STAT_ERR in counts when POISSERR = F (default: F for rates, T for counts).
fn read_stat_err(t: &mut Rows, is_rate: bool, exposure: f64) -> Result<Option<Vec<f64>>> {
    let poisserr = match t.f.opt_key_str("POISSERR")? {
        Some(v) => v.trim().eq_ignore_ascii_case("T"),
        None => !is_rate,
    };
    if poisserr {
        return Ok(None);
    }
    if !t.has("STAT_ERR")? {
        return Err(Error::file(t.path, "POISSERR = F but no STAT_ERR column"));
    }
    let e = t.col("STAT_ERR")?;
    Ok(Some(if is_rate {
        e.iter().map(|v| v * exposure).collect()
    } else {
        e
    }))
}
