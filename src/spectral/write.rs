//! Writing OGIP spectra (PHA type I, OGIP/92-007), redistribution matrices (OGIP
//! CAL/GEN/92-002: MATRIX with variable-length rows, then EBOUNDS) and ancillary responses
//! (the SPECRESP extension of an ARF, the one ARF writer), in the layout HEASoft's tools
//! write and XSPEC, Sherpa and astropy read.

use crate::error::Result;
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::spectral::response::Rmf;

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
    let mut c = 3;
    for col in [&pha.quality, &pha.grouping].into_iter().flatten() {
        f.write_col_i64(c, &col.iter().map(|v| *v as i64).collect::<Vec<_>>())?;
        c += 1;
    }
    Ok(())
}

fn common_keys(f: &mut Fits, instrume: &str) -> Result<()> {
    f.set_key_str("TELESCOP", "NuSTAR", "mission")?;
    f.set_key_str("INSTRUME", instrume, "focal plane module")
}

/// Append an ARF's SPECRESP extension (ENERG_LO, ENERG_HI, SPECRESP in cm², TELESCOP,
/// INSTRUME and the OGIP HDUCLASn keywords) after the primary HDU the caller wrote; the
/// caller adds HISTORY and CHECKSUM as it needs. `instrume` None leaves INSTRUME out (a
/// curve shared by both modules). All three columns have the same length.
pub fn write_specresp(
    f: &mut Fits,
    energy_lo: &[f64],
    energy_hi: &[f64],
    specresp: &[f64],
    instrume: Option<&str>,
) -> Result<()> {
    f.create_table(
        "SPECRESP",
        &[
            ("ENERG_LO", "1E", "keV"),
            ("ENERG_HI", "1E", "keV"),
            ("SPECRESP", "1E", "cm**2"),
        ],
        specresp.len(),
    )?;
    f.set_key_str("TELESCOP", "NuSTAR", "")?;
    if let Some(ins) = instrume {
        f.set_key_str("INSTRUME", ins, "")?;
    }
    for (k, v) in [
        ("HDUCLASS", "OGIP"),
        ("HDUCLAS1", "RESPONSE"),
        ("HDUCLAS2", "SPECRESP"),
        ("HDUVERS", "1.1.0"),
    ] {
        f.set_key_str(k, v, "")?;
    }
    f.write_col_f64(1, energy_lo)?;
    f.write_col_f64(2, energy_hi)?;
    f.write_col_f64(3, specresp)
}

/// Write an RMF: MATRIX (ENERG_LO, ENERG_HI, N_GRP, F_CHAN, N_CHAN, MATRIX with
/// variable-length rows holding each row's stored runs) and EBOUNDS. Channel numbers in
/// F_CHAN start at `rmf.first_channel` (TLMIN4).
pub fn write_rmf(out: &Output, rmf: &Rmf, instrume: &str, history: &[String]) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(&Image::zeros(0, 0), 8)?;
        common_keys(f, instrume)?;
        write_matrix(f, rmf, instrume)?;
        for h in history {
            f.history(h)?;
        }
        f.write_date()?;
        f.write_checksum()?;
        write_ebounds(f, rmf, instrume)?;
        f.write_checksum()
    })
}

/// The MATRIX extension: one row per energy bin, each row's stored runs as channel groups.
fn write_matrix(f: &mut Fits, rmf: &Rmf, instrume: &str) -> Result<()> {
    f.create_table(
        "MATRIX",
        &[
            ("ENERG_LO", "1E", "keV"),
            ("ENERG_HI", "1E", "keV"),
            ("N_GRP", "1I", ""),
            ("F_CHAN", "PJ", ""),
            ("N_CHAN", "PJ", ""),
            ("MATRIX", "PE", ""),
        ],
        rmf.energy_lo.len(),
    )?;
    common_keys(f, instrume)?;
    response_keys(f, "RSP_MATRIX", Some("REDIST"), "1.3.0")?;
    f.set_key_i64("DETCHANS", rmf.nchan as i64, "number of channels")?;
    f.set_key_i64("TLMIN4", rmf.first_channel, "first channel")?;
    let last = rmf.first_channel + rmf.nchan as i64 - 1;
    f.set_key_i64("TLMAX4", last, "last channel")?;
    f.set_key_f64("LO_THRES", 0.0, "lower threshold of stored values")?;
    f.write_col_f64(1, &rmf.energy_lo)?;
    f.write_col_f64(2, &rmf.energy_hi)?;
    let ngrp: Vec<i64> = rmf.rows.iter().map(|r| r.len() as i64).collect();
    f.write_col_i64(3, &ngrp)?;
    for (r, runs) in rmf.rows.iter().enumerate() {
        if runs.is_empty() {
            continue;
        }
        let fch: Vec<f64> = runs
            .iter()
            .map(|(c0, _)| (*c0 as i64 + rmf.first_channel) as f64)
            .collect();
        let nch: Vec<f64> = runs.iter().map(|(_, v)| v.len() as f64).collect();
        let m: Vec<f64> = runs.iter().flat_map(|(_, v)| v.iter().copied()).collect();
        f.write_cell_f64(4, r, &fch)?;
        f.write_cell_f64(5, r, &nch)?;
        f.write_cell_f64(6, r, &m)?;
    }
    Ok(())
}

/// The EBOUNDS extension: channel numbers from `rmf.first_channel` and their energy range.
fn write_ebounds(f: &mut Fits, rmf: &Rmf, instrume: &str) -> Result<()> {
    f.create_table(
        "EBOUNDS",
        &[
            ("CHANNEL", "1J", ""),
            ("E_MIN", "1E", "keV"),
            ("E_MAX", "1E", "keV"),
        ],
        rmf.e_min.len(),
    )?;
    common_keys(f, instrume)?;
    response_keys(f, "EBOUNDS", None, "1.2.0")?;
    f.set_key_i64("DETCHANS", rmf.nchan as i64, "number of channels")?;
    let chan: Vec<i64> = (0..rmf.e_min.len() as i64)
        .map(|c| c + rmf.first_channel)
        .collect();
    f.write_col_i64(1, &chan)?;
    f.write_col_f64(2, &rmf.e_min)?;
    f.write_col_f64(3, &rmf.e_max)
}

/// OGIP class keywords of a response extension (HDUCLAS1 RESPONSE), PI channels.
fn response_keys(f: &mut Fits, class2: &str, class3: Option<&str>, vers: &str) -> Result<()> {
    f.set_key_str("HDUCLASS", "OGIP", "")?;
    f.set_key_str("HDUCLAS1", "RESPONSE", "")?;
    f.set_key_str("HDUCLAS2", class2, "")?;
    if let Some(c) = class3 {
        f.set_key_str("HDUCLAS3", c, "")?;
    }
    f.set_key_str("HDUVERS", vers, "")?;
    f.set_key_str("CHANTYPE", "PI", "")
}
