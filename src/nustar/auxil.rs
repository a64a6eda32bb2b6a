//! The user's nuskybgd auxiliary directory (`NUSKYBGD_AUXIL`): calibration files shipped with
//! the original tool (aperture images, nomapbgdparams.dat, ratios.json, fcxb ARFs, the IDL
//! pixel/detector maps). The project never carries copies of them.

use crate::error::{NustarError, Result};
use std::path::PathBuf;

/// Environment variable naming the auxiliary directory.
pub const AUXIL_ENV: &str = "NUSKYBGD_AUXIL";

/// The auxiliary directory, from `NUSKYBGD_AUXIL`; an error says how to set it.
pub fn auxil_dir() -> Result<PathBuf> {
    let Some(v) = std::env::var_os(AUXIL_ENV) else {
        return Err(NustarError::AuxilUnset {
            var: AUXIL_ENV.to_string(),
        }
        .into());
    };
    let p = PathBuf::from(v);
    if !p.is_dir() {
        return Err(NustarError::AuxilNotDir {
            path: p,
            var: AUXIL_ENV.to_string(),
        }
        .into());
    }
    Ok(p)
}

/// Path of a file in the auxiliary directory, which must exist.
pub fn auxil_file(name: &str) -> Result<PathBuf> {
    let p = auxil_dir()?.join(name);
    if !p.is_file() {
        return Err(NustarError::AuxilMissing { path: p }.into());
    }
    Ok(p)
}
