//! The apbgd ARF of a region: Be-window (and thermal blanket) transmission times the
//! detector absorption averaged with the region's detector fractions. A dimensionless
//! transmission (≤ 1; labelled cm² as ARFs are): aperture photons do not pass the optics.
//!
//! Transmission from CALDB BEABSPAR (column ATT) when the CALDB has it, else the auxiliary
//! `be.arf` (what the IDL original used); detector absorption from CALDB DETABS (one
//! extension per detector).

use crate::error::{ModelError, Result};
use crate::io::fits::Fits;
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::spectral::ogip::arf::write_specresp;
use std::path::{Path, PathBuf};

/// Transmission curves of one module on the 4096-bin response grid.
#[derive(Debug, Clone)]
pub struct ArfInputs {
    pub energy_lo: Vec<f64>,
    pub energy_hi: Vec<f64>,
    /// Be window (+ blanket) transmission.
    pub be: Vec<f64>,
    /// Detector absorption (transmission) of DET0..DET3.
    pub detabs: [Vec<f64>; 4],
    /// Where they came from (for HISTORY).
    pub sources: Vec<String>,
}

fn col(path: &Path, hdu: usize, name: &str) -> Result<Vec<f64>> {
    let mut f = Fits::open(path)?;
    f.goto_hdu(hdu)?;
    f.read_col_f64(name)
}

impl ArfInputs {
    /// Gather the curves for module `m` observed on `date_obs`.
    pub fn load(caldb: &Caldb, auxil: &Path, m: Module, date_obs: &str) -> Result<ArfInputs> {
        let ins = m.instrume();
        let template = auxil.join("template.arf");
        let energy_lo = col(&template, 2, "ENERG_LO")?;
        let energy_hi = col(&template, 2, "ENERG_HI")?;
        let n = energy_lo.len();
        let mut sources = Vec::new();
        let be = match caldb
            .lookup("BEABSPAR", "FPM", None, date_obs)
            .or_else(|_| caldb.lookup("BEABSPAR", ins, None, date_obs))
        {
            Ok(f) => {
                sources.push(format!("Be transmission: {}", f.path.display()));
                col(&f.path, 2, "ATT")?
            }
            Err(_) => {
                let p = auxil.join("be.arf");
                sources.push(format!(
                    "Be transmission: {} (no BEABSPAR in the CALDB)",
                    p.display()
                ));
                col(&p, 2, "SPECRESP")?
            }
        };
        let da = caldb.lookup("DETABS", ins, Some("DET0"), date_obs)?;
        sources.push(format!("detector absorption: {}", da.path.display()));
        let detabs = [
            col(&da.path, 2, "DETABS")?,
            col(&da.path, 3, "DETABS")?,
            col(&da.path, 4, "DETABS")?,
            col(&da.path, 5, "DETABS")?,
        ];
        for (what, v) in
            std::iter::once(("Be transmission", &be)).chain(detabs.iter().map(|d| ("DETABS", d)))
        {
            if v.len() != n {
                return Err(ModelError::GridRows {
                    what: what.into(),
                    rows: v.len(),
                    grid: n,
                }
                .into());
            }
        }
        Ok(ArfInputs {
            energy_lo,
            energy_hi,
            be,
            detabs,
            sources,
        })
    }

    /// Transmission for detector fractions `w`: (with detector absorption, without).
    pub fn curves(&self, w: [f64; 4]) -> (Vec<f64>, Vec<f64>) {
        let with: Vec<f64> = (0..self.be.len())
            .map(|i| self.be[i] * (0..4).map(|d| w[d] * self.detabs[d][i]).sum::<f64>())
            .collect();
        (with, self.be.clone())
    }
}

/// `<spectrum without extension>_nsb.arf` and `_nsb_nodetabs.arf`, beside the spectrum.
pub fn arf_names(pha: &Path) -> (PathBuf, PathBuf) {
    let stem = pha
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let dir = pha.parent().map(Path::to_path_buf).unwrap_or_default();
    (
        dir.join(format!("{stem}_nsb.arf")),
        dir.join(format!("{stem}_nsb_nodetabs.arf")),
    )
}

/// Write one apbgd ARF (SPECRESP extension by `spectral::ogip::arf::write_specresp`, with
/// the HISTORY of its inputs and a checksum).
pub fn write_arf(
    out: &Output,
    inp: &ArfInputs,
    area: &[f64],
    m: Module,
    history: &[String],
) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(&crate::io::image::Image::zeros(0, 0), 8)?;
        write_specresp(f, &inp.energy_lo, &inp.energy_hi, area, Some(m.instrume()))?;
        for h in history.iter().chain(&inp.sources) {
            f.history(h)?;
        }
        f.write_checksum()
    })
}
