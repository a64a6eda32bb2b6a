//! NuSTAR event lists (EVENTS extension of `nu<obsid><M>01_cl.evt[.gz]`).

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use crate::nustar::module::Module;
use crate::nustar::refpoint::nustar_module;
use std::path::{Path, PathBuf};

/// An open event list positioned at its EVENTS extension.
pub struct EventFile {
    /// The file.
    pub path: PathBuf,
    /// Module from INSTRUME.
    pub module: Module,
    /// Header records of the EVENTS extension.
    pub cards: Vec<String>,
    fits: Fits,
}

/// Sky-pixel WCS of the X/Y columns (from TCTYPn, TCRPXn, TCRVLn, TCDLTn).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnWcs {
    pub ctype: [String; 2],
    pub crpix: [f64; 2],
    pub crval: [f64; 2],
    pub cdelt: [f64; 2],
    /// Legal X and Y range (TLMINn..TLMAXn; 1..1000 when absent), 1-based sky pixels.
    pub tlmin: [i64; 2],
    pub tlmax: [i64; 2],
}

impl ColumnWcs {
    /// Pixels along axis `i` (0 = X): TLMAX − TLMIN + 1, exact (widened: keyword extremes
    /// once overflowed the subtraction).
    pub fn pixels(&self, i: usize) -> i128 {
        i128::from(self.tlmax[i]) - i128::from(self.tlmin[i]) + 1
    }

    /// 0-based pixel index along axis `i` of column value `v`: v − TLMIN, exact.
    pub fn index(&self, i: usize, v: i64) -> i128 {
        i128::from(v) - i128::from(self.tlmin[i])
    }
}

impl EventFile {
    /// Open an event file and check that it is a NuSTAR FPMA/FPMB event list.
    pub fn open(path: &Path) -> Result<EventFile> {
        let mut fits = Fits::open(path)?;
        if !fits.try_goto_named("EVENTS")? {
            return Err(NustarError::MissingExtension {
                path: path.to_path_buf(),
                what: "EVENTS extension (is this an event file?)".into(),
            }
            .into());
        }
        let module = nustar_module(&mut fits)?;
        let cards = fits.cards()?;
        Ok(EventFile {
            path: path.to_path_buf(),
            module,
            cards,
            fits,
        })
    }

    /// Number of events.
    pub fn len(&mut self) -> Result<usize> {
        self.fits.nrows()
    }

    /// True when the list has no events.
    pub fn is_empty(&mut self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// An integer column (PI, X, Y, DET1X, RAWX, DET_ID, GRADE …), one value per event
    /// (a vector column is an error); nulls read as 0.
    pub fn column_i64(&mut self, name: &str) -> Result<Vec<i64>> {
        self.fits.read_scalar_col_i64(name)
    }

    /// A floating column (TIME …), one value per event.
    pub fn column_f64(&mut self, name: &str) -> Result<Vec<f64>> {
        self.fits.read_scalar_col_f64(name)
    }

    /// A header keyword of the EVENTS extension, as a number, if present.
    pub fn key_f64(&mut self, key: &str) -> Result<Option<f64>> {
        self.fits.opt_key_f64(key)
    }

    /// The sky WCS carried by the X and Y column keywords.
    pub fn sky_wcs(&mut self) -> Result<ColumnWcs> {
        let cx = self.fits.col("X")?;
        let cy = self.fits.col("Y")?;
        let mut w = ColumnWcs {
            ctype: [String::new(), String::new()],
            crpix: [0.0; 2],
            crval: [0.0; 2],
            cdelt: [0.0; 2],
            tlmin: [1; 2],
            tlmax: [1000; 2],
        };
        for (i, c) in [cx, cy].into_iter().enumerate() {
            w.ctype[i] = self.fits.key_str(&format!("TCTYP{c}"))?;
            w.crpix[i] = self.fits.key_f64(&format!("TCRPX{c}"))?;
            w.crval[i] = self.fits.key_f64(&format!("TCRVL{c}"))?;
            w.cdelt[i] = self.fits.key_f64(&format!("TCDLT{c}"))?;
            w.tlmin[i] = self.fits.opt_key_i64(&format!("TLMIN{c}"))?.unwrap_or(1);
            w.tlmax[i] = self.fits.opt_key_i64(&format!("TLMAX{c}"))?.unwrap_or(1000);
        }
        Ok(w)
    }
}
