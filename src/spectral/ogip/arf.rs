//! Ancillary responses (the SPECRESP extension, effective area in cm² per energy bin):
//! the reader, checked against its RMF as XSPEC does, and the one ARF writer.

use super::rmf::Rmf;
use crate::error::{Error, Result, SpectralError};
use crate::io::fits::Fits;
use std::path::{Path, PathBuf};

/// An ancillary response: effective area (cm²) per energy bin.
#[derive(Debug, Clone)]
pub struct Arf {
    pub path: PathBuf,
    pub energy_lo: Vec<f64>,
    pub energy_hi: Vec<f64>,
    pub area: Vec<f64>,
}

impl Arf {
    /// Read an ARF (extension SPECRESP).
    pub fn read(path: &Path) -> Result<Arf> {
        let mut f = Fits::open(path)?;
        if !f.try_goto_named("SPECRESP")? {
            return Err(Error::from(SpectralError::MissingExtension {
                path: std::path::PathBuf::from(path),
                msg: ("no SPECRESP extension: not an ARF").into(),
            }));
        }
        Ok(Arf {
            path: path.to_path_buf(),
            energy_lo: f.read_scalar_col_f64("ENERG_LO")?,
            energy_hi: f.read_scalar_col_f64("ENERG_HI")?,
            area: f.read_scalar_col_f64("SPECRESP")?,
        })
    }

    /// XSPEC's check: the ARF must have one row per RMF energy bin (energies are not
    /// compared: some released ARFs store them with reduced precision).
    pub fn check_against(&self, rmf: &Rmf) -> Result<()> {
        if self.area.len() != rmf.energy_lo.len() {
            return Err(Error::from(SpectralError::Mismatch {
                path: std::path::PathBuf::from(&self.path),
                msg: format!(
                    "ARF has {} energy bins but the RMF {} has {}",
                    self.area.len(),
                    rmf.path.display(),
                    rmf.energy_lo.len()
                ),
            }));
        }
        Ok(())
    }
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
