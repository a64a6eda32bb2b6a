//! OGIP spectra (PHA type I, OGIP/92-007; type II rows addressed as `file{n}`): the reader
//! and the writer.

use super::common_keys;
use crate::error::{Error, Result, SpectralError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
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
                Error::from(SpectralError::BadSpectrumName {
                    spec: spec.to_string(),
                    msg: "row number in braces is not a positive integer".into(),
                })
            })?;
            if n == 0 {
                return Err(Error::from(SpectralError::BadSpectrumName {
                    spec: spec.to_string(),
                    msg: "rows count from 1".into(),
                }));
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
        let exposure = t.f.opt_key_f64("EXPOSURE")?.ok_or_else(|| {
            Error::from(SpectralError::BadSpectrum {
                path: std::path::PathBuf::from(path),
                msg: ("keyword EXPOSURE missing in SPECTRUM").into(),
            })
        })?;
        if !(exposure > 0.0) {
            return Err(Error::from(SpectralError::BadSpectrum {
                path: std::path::PathBuf::from(path),
                msg: format!("EXPOSURE = {exposure}: must be positive"),
            }));
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
pub fn goto_spectrum(f: &mut Fits, path: &Path) -> Result<()> {
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
    Err(Error::from(SpectralError::MissingExtension {
        path: std::path::PathBuf::from(path),
        msg: ("no SPECTRUM extension").into(),
    }))
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
        // every column holds as many values per row as CHANNEL: they are read side by side
        self.f.expect_repeat(name, self.per_row)?;
        let v = self.f.read_col_f64(name)?;
        let (nrows, per_row) = (self.nrows, self.per_row);
        match (per_row > 1, self.row) {
            (false, _) => Ok(v),
            (true, Some(r)) if r <= nrows => Ok(v[(r - 1) * per_row..r * per_row].to_vec()),
            (true, Some(r)) => Err(Error::from(SpectralError::BadSpectrum {
                path: std::path::PathBuf::from(self.path),
                msg: format!("type II file has {nrows} rows, row {r} asked"),
            })),
            (true, None) => Err(Error::from(SpectralError::BadSpectrum {
                path: std::path::PathBuf::from(self.path),
                msg: ("type II spectrum file: give the row as file{n}").into(),
            })),
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
        return Err(Error::from(SpectralError::MissingExtension {
            path: std::path::PathBuf::from(t.path),
            msg: ("SPECTRUM has neither COUNTS nor RATE").into(),
        }));
    };
    if let Some(i) = counts
        .iter()
        .position(|c| !c.is_finite() || (*c < 0.0 && !is_rate))
    {
        return Err(Error::from(SpectralError::BadSpectrum {
            path: std::path::PathBuf::from(t.path),
            msg: format!("channel {} has invalid counts {}", channel[i], counts[i]),
        }));
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
        return Err(Error::from(SpectralError::BadSpectrum {
            path: std::path::PathBuf::from(t.path),
            msg: ("POISSERR = F but no STAT_ERR column").into(),
        }));
    }
    let e = t.col("STAT_ERR")?;
    Ok(Some(if is_rate {
        e.iter().map(|v| v * exposure).collect()
    } else {
        e
    }))
}

/// A spectrum to write. Channels are numbered from 0 (NuSTAR's PI), one row each.
#[derive(Debug, Clone, Default)]
pub struct PhaOut {
    /// FPMA or FPMB.
    pub instrume: String,
    /// Counts per channel; written as integers (COUNTS 1J) when `integer_counts`, else as
    /// real numbers (COUNTS 1D: a noise-free model spectrum).
    pub counts: Vec<f64>,
    pub integer_counts: bool,
    /// OGIP quality (0 good) and grouping (+1 starts a group, −1 continues it); columns
    /// written only when given.
    pub quality: Option<Vec<i16>>,
    pub grouping: Option<Vec<i16>>,
    /// Exposure (s) and livetime (s).
    pub exposure: f64,
    pub livetime: Option<f64>,
    pub backscal: f64,
    pub areascal: f64,
    /// Companion files (None writes 'none').
    pub respfile: Option<String>,
    pub ancrfile: Option<String>,
    pub backfile: Option<String>,
    /// Further string keywords for both headers (DATE-OBS, OBS_ID, OBJECT, …).
    pub keys: Vec<(String, String)>,
    /// Further numeric keywords for both headers (RA_NOM, …).
    pub num_keys: Vec<(String, f64)>,
    pub history: Vec<String>,
}

impl PhaOut {
    /// A spectrum with OGIP defaults (BACKSCAL = AREASCAL = 1, integer counts).
    pub fn new(instrume: &str, counts: Vec<f64>, exposure: f64) -> PhaOut {
        PhaOut {
            instrume: instrume.to_string(),
            counts,
            integer_counts: true,
            exposure,
            backscal: 1.0,
            areascal: 1.0,
            ..Default::default()
        }
    }
}

fn none_or(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("none")
}

/// Write `pha` to `out` (temporary name, then renamed; an existing file only with clobber).
pub fn write_pha(out: &Output, pha: &PhaOut) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(&Image::zeros(0, 0), 8)?;
        common_keys(f, &pha.instrume)?;
        user_keys(f, pha)?;
        let mut cols = vec![
            ("CHANNEL", "1J", ""),
            (
                "COUNTS",
                if pha.integer_counts { "1J" } else { "1D" },
                "count",
            ),
        ];
        if pha.quality.is_some() {
            cols.push(("QUALITY", "1I", ""));
        }
        if pha.grouping.is_some() {
            cols.push(("GROUPING", "1I", ""));
        }
        f.create_table("SPECTRUM", &cols, pha.counts.len())?;
        spectrum_keys(f, pha)?;
        user_keys(f, pha)?;
        spectrum_columns(f, pha)?;
        for h in &pha.history {
            f.history(h)?;
        }
        f.write_date()?;
        f.write_checksum()
    })
}

/// The caller's own keywords (in the primary HDU and again in SPECTRUM).
fn user_keys(f: &mut Fits, pha: &PhaOut) -> Result<()> {
    for (k, v) in &pha.keys {
        f.set_key_str(k, v, "")?;
    }
    for (k, v) in &pha.num_keys {
        f.set_key_f64(k, *v, "")?;
    }
    Ok(())
}

/// The OGIP keywords of a SPECTRUM extension (channels 0 to N−1, Poisson errors).
fn spectrum_keys(f: &mut Fits, pha: &PhaOut) -> Result<()> {
    let n = pha.counts.len();
    common_keys(f, &pha.instrume)?;
    for (k, v) in [
        ("HDUCLASS", "OGIP"),
        ("HDUCLAS1", "SPECTRUM"),
        ("HDUCLAS2", "TOTAL"),
        ("HDUCLAS3", "COUNT"),
        ("HDUVERS", "1.2.1"),
        ("CHANTYPE", "PI"),
    ] {
        f.set_key_str(k, v, "")?;
    }
    f.set_key_i64("DETCHANS", n as i64, "number of channels")?;
    f.set_key_i64("TLMIN1", 0, "first channel")?;
    f.set_key_i64("TLMAX1", n as i64 - 1, "last channel")?;
    f.set_key_bool("POISSERR", true, "Poisson errors apply")?;
    f.set_key_f64("EXPOSURE", pha.exposure, "exposure time (s)")?;
    if let Some(l) = pha.livetime {
        f.set_key_f64("LIVETIME", l, "live time (s)")?;
    }
    f.set_key_f64("AREASCAL", pha.areascal, "area scaling")?;
    f.set_key_f64("BACKSCAL", pha.backscal, "background scaling")?;
    f.set_key_f64("CORRSCAL", 0.0, "correction scaling")?;
    f.set_key_str("RESPFILE", none_or(&pha.respfile), "redistribution matrix")?;
    f.set_key_str("ANCRFILE", none_or(&pha.ancrfile), "ancillary response")?;
    f.set_key_str("BACKFILE", none_or(&pha.backfile), "background spectrum")?;
    f.set_key_str("CORRFILE", "none", "correction spectrum")?;
    if pha.quality.is_none() {
        f.set_key_i64("QUALITY", 0, "all channels good")?;
    }
    if pha.grouping.is_none() {
        f.set_key_i64("GROUPING", 0, "no grouping")?;
    }
    Ok(())
}

/// CHANNEL, COUNTS and, when given, QUALITY and GROUPING.
fn spectrum_columns(f: &mut Fits, pha: &PhaOut) -> Result<()> {
    f.write_col_i64(1, &(0..pha.counts.len() as i64).collect::<Vec<_>>())?;
    if pha.integer_counts {
        let c: Vec<i64> = pha.counts.iter().map(|c| c.round() as i64).collect();
        f.write_col_i64(2, &c)?;
    } else {
        f.write_col_f64(2, &pha.counts)?;
    }
    // QUALITY and GROUPING, when present, are the next columns in that order
    for (c, col) in (3..).zip([&pha.quality, &pha.grouping].into_iter().flatten()) {
        f.write_col_i64(c, &col.iter().map(|v| *v as i64).collect::<Vec<_>>())?;
    }
    Ok(())
}
