//! The DET1 reference point track (`nu<obsid><M>_det1.fits`, extension DET1_REFPOINT): where
//! the DET1 reference point fell on the sky grid as a function of time.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use crate::nustar::module::Module;
use std::path::Path;

/// DET1 reference-point samples, in file order.
#[derive(Debug, Clone)]
pub struct RefPoints {
    /// Sample times (s, mission time).
    pub time: Vec<f64>,
    /// Sky X of the DET1 reference point (1-based sky pixel coordinates).
    pub x: Vec<f64>,
    /// Sky Y of the DET1 reference point (1-based sky pixel coordinates).
    pub y: Vec<f64>,
    /// Module from INSTRUME.
    pub module: Module,
    /// Header records of the REFPOINT extension (for copying keywords).
    pub cards: Vec<String>,
}

/// Check TELESCOP/INSTRUME of the current HDU and return the module.
pub fn nustar_module(f: &mut Fits) -> Result<Module> {
    let here = f.here();
    let tel = f.opt_key_str("TELESCOP")?.unwrap_or_default();
    if !tel.eq_ignore_ascii_case("NuSTAR") {
        return Err(NustarError::NotNustarHdu {
            path: f.path().to_path_buf(),
            here,
            telescop: tel,
        }
        .into());
    }
    let ins = f.opt_key_str("INSTRUME")?.unwrap_or_default();
    Module::from_instrume(&ins).ok_or_else(|| {
        NustarError::BadInstrume {
            path: f.path().to_path_buf(),
            here,
            instrume: ins.clone(),
        }
        .into()
    })
}

/// Read the DET1_REFPOINT extension of a det1 file. A file without one is an error.
pub fn read_refpoints(path: &Path) -> Result<RefPoints> {
    let mut f = Fits::open(path)?;
    let n = f.num_hdus()?;
    let mut found = false;
    for h in 2..=n {
        f.goto_hdu(h)?;
        let name = f.extname()?.to_ascii_uppercase();
        let class = f.opt_key_str("HDUCLAS1")?.unwrap_or_default();
        if name == "DET1_REFPOINT"
            || (name.ends_with("_REFPOINT")
                && class.eq_ignore_ascii_case("TEMPORALDATA")
                && f.opt_col("X_DET1")?.is_some())
        {
            found = true;
            break;
        }
    }
    if !found {
        return Err(NustarError::MissingExtension {
            path: path.to_path_buf(),
            what: "DET1_REFPOINT extension (is this the nu<obsid><M>_det1.fits file?)".into(),
        }
        .into());
    }
    let module = nustar_module(&mut f)?;
    let time = f.read_scalar_col_f64("TIME")?;
    let x = f.read_scalar_col_f64("X_DET1")?;
    let y = f.read_scalar_col_f64("Y_DET1")?;
    let cards = f.cards()?;
    Ok(RefPoints {
        time,
        x,
        y,
        module,
        cards,
    })
}
