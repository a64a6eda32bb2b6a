//! Per-detector calibration inputs shared by getspec and absrmf: the detector RMFs (CALDB
//! GRPRMF, or one user file for all detectors) and the detector absorption curves (CALDB
//! DETABS, or a user file with one extension per detector).

use crate::error::{ModelError, Result};
use crate::io::fits::Fits;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::ogip::store::read_rmf;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// CAL_CBD boundary selecting the nominal-depth-cut GRPRMF entries.
pub const GRPRMF_BOUNDARY: &str = "DEPTHCUT(NOMINAL)";

/// Where detector RMFs come from.
#[derive(Debug, Clone)]
pub enum RmfSource {
    /// CALDB GRPRMF: index rows DETNAM = DET0..DET3 with CAL_CBD containing
    /// `DEPTHCUT(NOMINAL)`; extension CAL_XNO of the listed file has a string column RMFFILE
    /// whose first row names the RMF, in the same directory.
    Caldb(Caldb),
    /// One RMF used for every detector.
    File(PathBuf),
}

/// Where detector absorption (DETABS) comes from.
#[derive(Debug, Clone)]
pub enum DetabsSource {
    /// CALDB DETABS for DETNAM = DETd (extension CAL_XNO, else d+1).
    Caldb(Caldb),
    /// A DETABS-format file: extension d+1 (HDU d+2) holds detector d.
    File(PathBuf),
}

/// RMF file of each detector 0..3 for module `m` observed at `date_obs`.
pub fn detector_rmf_paths(src: &RmfSource, m: Module, date_obs: &str) -> Result<[PathBuf; 4]> {
    let caldb = match src {
        RmfSource::File(p) => {
            if !p.is_file() {
                return Err(ModelError::RmfNotFound { path: p.clone() }.into());
            }
            return Ok([p.clone(), p.clone(), p.clone(), p.clone()]);
        }
        RmfSource::Caldb(c) => c,
    };
    let mut out: Vec<PathBuf> = Vec::new();
    for d in 0..4 {
        let cal = caldb.lookup_boundary(
            "GRPRMF",
            m.instrume(),
            Some(&format!("DET{d}")),
            date_obs,
            GRPRMF_BOUNDARY,
        )?;
        let ext = if cal.ext > 0 { cal.ext } else { d + 1 };
        let mut f = Fits::open(&cal.path)?;
        f.goto_hdu(ext + 1)?;
        let names = f.read_col_str("RMFFILE")?;
        let name =
            names
                .first()
                .filter(|n| !n.is_empty())
                .ok_or_else(|| ModelError::EmptyGrpRmf {
                    path: cal.path.clone(),
                    ext,
                })?;
        let dir = cal.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let p = dir.join(name);
        if !p.is_file() {
            return Err(ModelError::GrpRmfTargetMissing {
                path: p,
                grprmf: cal.path.clone(),
                det: d,
            }
            .into());
        }
        out.push(p);
    }
    Ok(out.try_into().expect("four detectors"))
}

/// Read the RMFs of the detectors whose `wanted` flag is set (each distinct file once, and
/// once per process while it is unchanged: [`read_rmf`]).
/// Entries of unwanted detectors are None.
pub fn read_detector_rmfs(
    paths: &[PathBuf; 4],
    wanted: [bool; 4],
) -> Result<[Option<Arc<Rmf>>; 4]> {
    let mut out: [Option<Arc<Rmf>>; 4] = Default::default();
    for d in 0..4 {
        if !wanted[d] {
            continue;
        }
        let earlier = (0..d).find(|&k| out[k].is_some() && paths[k] == paths[d]);
        out[d] = Some(match earlier {
            Some(k) => out[k].clone().expect("read above"),
            None => read_rmf(&paths[d])?,
        });
    }
    Ok(out)
}

/// A detector absorption curve: transmission per energy bin (keV bins).
#[derive(Debug, Clone)]
pub struct Detabs {
    pub path: PathBuf,
    pub energy_lo: Vec<f64>,
    pub energy_hi: Vec<f64>,
    pub value: Vec<f64>,
}

impl Detabs {
    /// Read HDU `hdu` (1-based, primary = 1) of a DETABS file.
    pub fn read(path: &Path, hdu: usize) -> Result<Detabs> {
        let mut f = Fits::open(path)?;
        f.goto_hdu(hdu)?;
        let d = Detabs {
            path: path.to_path_buf(),
            energy_lo: f.read_scalar_col_f64("ENERG_LO")?,
            energy_hi: f.read_scalar_col_f64("ENERG_HI")?,
            value: f.read_scalar_col_f64("DETABS")?,
        };
        if d.value.is_empty() {
            return Err(ModelError::EmptyDetabs {
                path: path.into(),
                hdu,
            }
            .into());
        }
        Ok(d)
    }

    /// Detector absorption of detector `d` for module `m`.
    pub fn load(src: &DetabsSource, m: Module, d: usize, date_obs: &str) -> Result<Detabs> {
        match src {
            DetabsSource::File(p) => Detabs::read(p, d + 2),
            DetabsSource::Caldb(c) => {
                let cal = c.lookup("DETABS", m.instrume(), Some(&format!("DET{d}")), date_obs)?;
                let ext = if cal.ext > 0 { cal.ext } else { d + 1 };
                Detabs::read(&cal.path, ext + 1)
            }
        }
    }

    /// Transmission at the centre of each energy row of `rmf`: the table value of the bin
    /// when the grids coincide, else linear interpolation between bin centres (held
    /// constant beyond the ends).
    pub fn on_rmf(&self, rmf: &Rmf) -> Vec<f64> {
        let mid: Vec<f64> = (0..self.value.len())
            .map(|i| 0.5 * (self.energy_lo[i] + self.energy_hi[i]))
            .collect();
        let same = self.value.len() == rmf.energy_lo.len()
            && (0..mid.len()).all(|i| {
                (self.energy_lo[i] - rmf.energy_lo[i]).abs() <= 1e-5 * rmf.energy_lo[i].abs()
                    && (self.energy_hi[i] - rmf.energy_hi[i]).abs() <= 1e-5 * rmf.energy_hi[i].abs()
            });
        if same {
            return self.value.clone();
        }
        (0..rmf.energy_lo.len())
            .map(|e| {
                let x = 0.5 * (rmf.energy_lo[e] + rmf.energy_hi[e]);
                let k = mid.partition_point(|m| *m < x);
                if k == 0 {
                    self.value[0]
                } else if k >= mid.len() {
                    self.value[mid.len() - 1]
                } else {
                    let t = (x - mid[k - 1]) / (mid[k] - mid[k - 1]);
                    self.value[k - 1] + t * (self.value[k] - self.value[k - 1])
                }
            })
            .collect()
    }
}
