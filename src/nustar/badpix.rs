//! Bad-pixel lists (BADPIX extensions: RAWX, RAWY, TIME, TIME_STOP, BADFLAG; one extension
//! per detector, DETNAM DET0..DET3) from event files, the CALDB and users.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use crate::nustar::module::Module;
use std::path::{Path, PathBuf};

/// BADFLAG bit (0-based from the first bit of the 16-bit field) meaning "disabled on
/// board"; the IDL original tests the second byte for the value 2.
pub const FLAG_DISABLED_BIT: usize = 14;

/// One bad pixel of one detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPixel {
    /// Detector 0..3.
    pub det: u8,
    /// Raw pixel (0..31 each).
    pub rawx: u8,
    pub rawy: u8,
}

/// The pixels a file marks bad for a module, and what it held.
#[derive(Debug, Clone)]
pub struct BadPixels {
    pub file: PathBuf,
    pub pixels: Vec<BadPixel>,
    /// Rows read (bad or not).
    pub rows: usize,
}

/// Read the BADPIX extensions of `path` for module `m`. A row's pixel is bad when its bad
/// interval covers more than 80% of the extension's TSTART–TSTOP span, when the extension
/// gives no span (CALDB and user lists: every listed pixel is bad, as in the IDL original,
/// where the missing span reads as 0), or when its "disabled on board" flag is set.
/// A list without TIME_STOP (the CALDB layout) marks its pixels bad for all time.
/// Returns None when the file is for the other module (skipped, as the original does).
pub fn read_badpix(path: &Path, m: Module) -> Result<Option<BadPixels>> {
    let mut f = Fits::open(path)?;
    let tel = f.opt_key_str("TELESCOP")?;
    if let Some(t) = &tel {
        if !t.eq_ignore_ascii_case("NuSTAR") {
            return Err(NustarError::NotNustar {
                path: path.to_path_buf(),
                telescop: t.to_string(),
            }
            .into());
        }
    }
    let mut module = f
        .opt_key_str("INSTRUME")?
        .and_then(|s| Module::from_instrume(&s));
    let mut out = BadPixels {
        file: path.to_path_buf(),
        pixels: Vec::new(),
        rows: 0,
    };
    let mut seen = 0;
    for h in 2..=f.num_hdus()? {
        f.goto_hdu(h)?;
        if !f.extname()?.to_ascii_uppercase().contains("BADPIX") {
            continue;
        }
        let detnam = f.opt_key_str("DETNAM")?.unwrap_or_default();
        let Some(det) = detnam
            .strip_prefix("DET")
            .and_then(|d| d.parse::<u8>().ok())
            .filter(|d| *d < 4)
        else {
            continue;
        };
        if module.is_none() {
            module = f
                .opt_key_str("INSTRUME")?
                .and_then(|s| Module::from_instrume(&s));
        }
        if module.is_some_and(|x| x != m) {
            return Ok(None);
        }
        seen += 1;
        let span = match (f.opt_key_f64("TSTART")?, f.opt_key_f64("TSTOP")?) {
            (Some(a), Some(b)) => Some(b - a),
            _ => None,
        };
        out.rows += read_rows(&mut f, det, span, &mut out.pixels)?;
    }
    if module.is_none() && seen > 0 {
        return Err(NustarError::NoModule {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(Some(out))
}

/// Add the bad pixels of the current BADPIX extension (detector `det`, `span` its
/// TSTART–TSTOP length in s) to `pixels`; returns the number of rows read.
fn read_rows(
    f: &mut Fits,
    det: u8,
    span: Option<f64>,
    pixels: &mut Vec<BadPixel>,
) -> Result<usize> {
    let rawx = f.read_scalar_col_i64("RAWX")?;
    let rawy = f.read_scalar_col_i64("RAWY")?;
    let t0 = f.read_scalar_col_f64("TIME")?;
    // CALDB-format lists have no TIME_STOP: the interval never ends
    let t1 = match f.opt_col("TIME_STOP")? {
        Some(_) => f.read_scalar_col_f64("TIME_STOP")?,
        None => vec![f64::INFINITY; rawx.len()],
    };
    let (flags, nbits) = f.read_col_bits("BADFLAG")?;
    for i in 0..rawx.len() {
        let disabled =
            nbits > FLAG_DISABLED_BIT && (flags[i] >> (nbits - 1 - FLAG_DISABLED_BIT)) & 1 == 1;
        let long = match span {
            Some(s) => t1[i] - t0[i] > 0.8 * s,
            None => true,
        };
        if (long || disabled) && (0..32).contains(&rawx[i]) && (0..32).contains(&rawy[i]) {
            pixels.push(BadPixel {
                det,
                rawx: rawx[i] as u8,
                rawy: rawy[i] as u8,
            });
        }
    }
    Ok(rawx.len())
}

/// One row of a BADPIX extension to write: a raw pixel of one detector and its bad interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadPixelRow {
    /// Detector 0..3 (the extension DETNAM DET0..DET3 it goes into).
    pub det: u8,
    /// Raw pixel, 0..31 each.
    pub rawx: i64,
    pub rawy: i64,
    /// Start of the bad interval (s, mission time; 0 in CALDB lists).
    pub time: f64,
    /// End of the bad interval (s, mission time); written only with a TIME_STOP column.
    pub time_stop: f64,
    /// The 16 BADFLAG bits, first bit most significant (value 1 = "bad in the list",
    /// value 2 = bit [`FLAG_DISABLED_BIT`], "disabled on board").
    pub flag: u16,
}

/// How the BADPIX extensions are laid out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BadpixLayout {
    /// Write a TIME_STOP column (observation and user lists); CALDB lists have none.
    pub time_stop: bool,
    /// TSTART and TSTOP keywords (s) of every extension: the observation's span.
    pub span: Option<(f64, f64)>,
    /// TELESCOP and INSTRUME keywords in every extension (beside the primary header's).
    pub module: Option<Module>,
}

/// Append four BADPIX extensions (DET0..DET3, in that order) holding `rows`, each
/// detector's rows in the order given, laid out as `layout` says; `each` adds keywords or
/// records to every extension after its columns are written.
pub fn write_badpix_extensions(
    f: &mut Fits,
    rows: &[BadPixelRow],
    layout: &BadpixLayout,
    mut each: impl FnMut(&mut Fits) -> Result<()>,
) -> Result<()> {
    let mut cols = vec![
        ("RAWX", "1B", "pixel"),
        ("RAWY", "1B", "pixel"),
        ("TIME", "1D", "s"),
    ];
    if layout.time_stop {
        cols.push(("TIME_STOP", "1D", "s"));
    }
    cols.push(("BADFLAG", "16X", ""));
    for det in 0..4u8 {
        let mine: Vec<&BadPixelRow> = rows.iter().filter(|r| r.det == det).collect();
        f.create_table("BADPIX", &cols, mine.len())?;
        if let Some(m) = layout.module {
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", m.instrume(), "")?;
        }
        f.set_key_str("DETNAM", &format!("DET{det}"), "")?;
        if let Some((t0, t1)) = layout.span {
            f.set_key_f64("TSTART", t0, "")?;
            f.set_key_f64("TSTOP", t1, "")?;
        }
        f.write_col_i64(1, &mine.iter().map(|r| r.rawx).collect::<Vec<_>>())?;
        f.write_col_i64(2, &mine.iter().map(|r| r.rawy).collect::<Vec<_>>())?;
        f.write_col_f64(3, &mine.iter().map(|r| r.time).collect::<Vec<_>>())?;
        if layout.time_stop {
            f.write_col_f64(4, &mine.iter().map(|r| r.time_stop).collect::<Vec<_>>())?;
        }
        let flags: Vec<u64> = mine.iter().map(|r| r.flag as u64).collect();
        f.write_col_bits(cols.len(), &flags, 16)?;
        each(f)?;
    }
    Ok(())
}
