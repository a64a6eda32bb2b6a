//! apec: collisional plasma emission from AtomDB tables. The tables
//! (`apec_v*_coco.fits`, `apec_v*_line.fits`) are searched in `$ATOMDB`, HEASoft's
//! `spectral/modelData` (`$HEADAS/../spectral/modelData`), and `$NUSKYBGD_ATOMDB`; without
//! them evaluation fails with the places searched (XSPEC would silently return zeros).

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Directories searched for AtomDB files, in order.
pub fn search_paths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for var in ["NUSKYBGD_ATOMDB", "ATOMDB"] {
        if let Some(p) = std::env::var_os(var) {
            v.push(PathBuf::from(p));
        }
    }
    if let Some(h) = std::env::var_os("HEADAS") {
        v.push(PathBuf::from(h).join("../spectral/modelData"));
    }
    v
}

/// The AtomDB continuum and line files, if any directory holds both.
pub fn find_atomdb() -> Option<(PathBuf, PathBuf)> {
    for d in search_paths() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let coco = names
            .iter()
            .rev()
            .find(|n| n.starts_with("apec_v") && n.ends_with("_coco.fits"));
        let line = names
            .iter()
            .rev()
            .find(|n| n.starts_with("apec_v") && n.ends_with("_line.fits"));
        if let (Some(c), Some(l)) = (coco, line) {
            return Some((d.join(c), d.join(l)));
        }
    }
    None
}

/// apec(kT, Abundanc, Redshift). Needs AtomDB; see the module documentation.
pub fn apec(_p: &[f64], _e: &[f64], _out: &mut [f64]) -> Result<()> {
    let searched: Vec<String> = search_paths()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    match find_atomdb() {
        None => Err(Error::msg(format!(
            "apec needs AtomDB (apec_v*_coco.fits and apec_v*_line.fits); none found in {} (set ATOMDB, or switch the apec component off)",
            if searched.is_empty() { "$ATOMDB, $NUSKYBGD_ATOMDB or $HEADAS/../spectral/modelData (none set)".to_string() } else { searched.join(", ") }
        ))),
        Some((c, _)) => Err(Error::file(c, "AtomDB found, but evaluating apec from it is not implemented yet")),
    }
}
