//! Spectra the tests write: [`PhaFixture`] builds a PHA type I file through the library's
//! own writer (`spectral::ogip::pha::write_pha`, every OGIP keyword), or, with
//! [`PhaFixture::bare`], only the columns and keywords the test gives (for the malformed
//! inputs the readers must refuse); [`write_pha_type_ii`] writes a PHA type II file.

use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::module::Module;
use nuskybgd::spectral::ogip::pha::{write_pha, PhaOut};
use std::path::Path;

/// A spectrum to write, built one field at a time:
/// `PhaFixture::new(Module::A).counts(&c).exposure(t).respfile("x.rmf").write(&path)`.
#[derive(Debug, Clone)]
pub struct PhaFixture {
    pha: PhaOut,
    /// None: no EXPOSURE keyword (bare files only).
    exposure: Option<f64>,
    extname: String,
    bare: bool,
}

impl PhaFixture {
    /// An empty spectrum of `module` with the library's defaults (EXPOSURE 1 s, BACKSCAL
    /// and AREASCAL 1, integer counts, companion files 'none').
    pub fn new(module: Module) -> PhaFixture {
        PhaFixture {
            pha: PhaOut::new(module.instrume(), Vec::new(), 1.0),
            exposure: Some(1.0),
            extname: "SPECTRUM".into(),
            bare: false,
        }
    }

    /// INSTRUME other than a module's (a spectrum of another instrument).
    pub fn instrume(mut self, instrume: &str) -> Self {
        self.pha.instrume = instrume.into();
        self
    }

    /// Counts per channel, channels numbered from 0.
    pub fn counts(mut self, counts: &[f64]) -> Self {
        self.pha.counts = counts.to_vec();
        self
    }

    /// Counts written as real numbers (COUNTS 1D), not rounded to integers.
    pub fn real_counts(mut self) -> Self {
        self.pha.integer_counts = false;
        self
    }

    pub fn exposure(mut self, seconds: f64) -> Self {
        self.exposure = Some(seconds);
        self
    }

    /// No EXPOSURE keyword at all (only with [`bare`](Self::bare)).
    pub fn no_exposure(mut self) -> Self {
        self.exposure = None;
        self
    }

    pub fn backscal(mut self, backscal: f64) -> Self {
        self.pha.backscal = backscal;
        self
    }

    pub fn respfile(mut self, name: &str) -> Self {
        self.pha.respfile = Some(name.into());
        self
    }

    pub fn ancrfile(mut self, name: &str) -> Self {
        self.pha.ancrfile = Some(name.into());
        self
    }

    pub fn backfile(mut self, name: &str) -> Self {
        self.pha.backfile = Some(name.into());
        self
    }

    /// OGIP grouping (+1 starts a group, −1 continues it).
    pub fn grouping(mut self, grouping: &[i16]) -> Self {
        self.pha.grouping = Some(grouping.to_vec());
        self
    }

    /// OGIP quality (0 good).
    pub fn quality(mut self, quality: &[i16]) -> Self {
        self.pha.quality = Some(quality.to_vec());
        self
    }

    /// A further string keyword (DATE-OBS, OBS_ID, …).
    pub fn key(mut self, name: &str, value: &str) -> Self {
        self.pha.keys.push((name.into(), value.into()));
        self
    }

    /// Name of the table extension (SPECTRUM unless given; only with
    /// [`bare`](Self::bare)).
    pub fn extname(mut self, name: &str) -> Self {
        self.extname = name.into();
        self
    }

    /// Write only what was given: CHANNEL and COUNTS (1J), HDUCLAS1 = SPECTRUM, and the
    /// EXPOSURE, RESPFILE, ANCRFILE, BACKFILE and further keywords that were set — no
    /// TELESCOP/INSTRUME, BACKSCAL or other OGIP defaults.
    pub fn bare(mut self) -> Self {
        self.bare = true;
        self
    }

    /// Write the spectrum to `path` (an existing file is replaced).
    pub fn write(&self, path: &Path) {
        let out = Output::new(path.to_str().unwrap(), true);
        if !self.bare {
            assert_eq!(self.extname, "SPECTRUM", "extname is for bare spectra only");
            let exposure = self.exposure.expect("no_exposure is for bare spectra only");
            write_pha(
                &out,
                &PhaOut {
                    exposure,
                    ..self.pha.clone()
                },
            )
            .unwrap();
            return;
        }
        let p = &self.pha;
        out.write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                &self.extname,
                &[("CHANNEL", "1J", ""), ("COUNTS", "1J", "count")],
                p.counts.len(),
            )?;
            f.set_key_str("HDUCLAS1", "SPECTRUM", "")?;
            if let Some(e) = self.exposure {
                f.set_key_f64("EXPOSURE", e, "")?;
            }
            for (k, v) in [
                ("RESPFILE", &p.respfile),
                ("ANCRFILE", &p.ancrfile),
                ("BACKFILE", &p.backfile),
            ] {
                if let Some(v) = v {
                    f.set_key_str(k, v, "")?;
                }
            }
            for (k, v) in &p.keys {
                f.set_key_str(k, v, "")?;
            }
            f.write_col_i64(1, &(0..p.counts.len() as i64).collect::<Vec<_>>())?;
            f.write_col_i64(
                2,
                &p.counts
                    .iter()
                    .map(|c| c.round() as i64)
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap();
    }
}

/// A PHA type II file at `path`: one row per spectrum (SPEC_NUM from 1), each row's
/// counts in channels 0.., HDUCLAS1 = SPECTRUM and one EXPOSURE for all rows.
pub fn write_pha_type_ii(path: &Path, exposure: f64, rows: &[&[i64]]) {
    let n = rows.first().map_or(0, |r| r.len());
    assert!(rows.iter().all(|r| r.len() == n), "rows of equal length");
    let repeat = format!("{n}J");
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "SPECTRUM",
                &[
                    ("SPEC_NUM", "1J", ""),
                    ("CHANNEL", repeat.as_str(), ""),
                    ("COUNTS", repeat.as_str(), "count"),
                ],
                rows.len(),
            )?;
            f.set_key_str("HDUCLAS1", "SPECTRUM", "")?;
            f.set_key_f64("EXPOSURE", exposure, "")?;
            f.write_col_i64(1, &(1..=rows.len() as i64).collect::<Vec<_>>())?;
            f.write_col_i64(
                2,
                &rows.iter().flat_map(|_| 0..n as i64).collect::<Vec<_>>(),
            )?;
            f.write_col_i64(3, &rows.concat())
        })
        .unwrap();
}
