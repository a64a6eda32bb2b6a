//! Detector RMFs with the detector absorption folded in (the port's `absrmf`):
//! R'(E_i, c) = Σ_d w_d · DETABS_d(E_i) · R_d(E_i, c), each **energy row** scaled by the
//! transmission at the row's energy (the port scaled the channel axis of fixed-width
//! matrices, SPEC §8.3).

use crate::bgmodel::detrmf::{
    detector_rmf_paths, read_detector_rmfs, Detabs, DetabsSource, RmfSource,
};
use crate::error::{Result, TaskError};
use crate::io::output::{check_all, parent_dir, Output};
use crate::nustar::events::EventFile;
use crate::spectral::ogip::rmf::write_rmf_shared;
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::rmf_ops::weighted_sum_scaled;
use std::path::PathBuf;

/// Σ_d w_d · DETABS_d(E_row) · RMF_d with the non-negative weights normalised to sum 1.
/// `rmfs[d]` and `detabs[d]` may be None where `w[d]` is 0.
pub fn absorbed_rmf(
    rmfs: &[Option<&Rmf>; 4],
    detabs: &[Option<&Detabs>; 4],
    w: [f64; 4],
) -> Result<Rmf> {
    if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(TaskError::BadWeights { weights: w }.into());
    }
    let total: f64 = w.iter().sum();
    if !(total > 0.0) {
        return Err(TaskError::ZeroWeights.into());
    }
    let (mut used, mut wv, mut factors) = (Vec::new(), Vec::new(), Vec::new());
    for d in 0..4 {
        if w[d] == 0.0 {
            continue;
        }
        let (Some(r), Some(a)) = (rmfs[d], detabs[d]) else {
            return Err(TaskError::WeightWithoutResponse {
                det: d,
                weight: w[d],
            }
            .into());
        };
        factors.push(a.on_rmf(r));
        used.push(r);
        wv.push(w[d] / total);
    }
    weighted_sum_scaled(&used, &wv, &factors)
}

/// What to make.
#[derive(Debug, Clone)]
pub struct AbsrmfRequest {
    /// Event file (for INSTRUME and DATE-OBS).
    pub evt: PathBuf,
    /// Output prefix: files `<outprefix><d><M>.rmf`; a leading `!` replaces existing files;
    /// missing directories are created.
    pub outprefix: String,
    pub rmf: RmfSource,
    pub detabs: DetabsSource,
    pub clobber: bool,
}

/// Files written, DET0..DET3.
#[derive(Debug, Clone)]
pub struct AbsrmfSummary {
    pub outputs: [PathBuf; 4],
    pub rmf_files: [PathBuf; 4],
    pub detabs_files: [PathBuf; 4],
}

/// Write the four absorbed detector RMFs (one-hot weights).
pub fn absrmf(req: &AbsrmfRequest) -> Result<AbsrmfSummary> {
    let ev = EventFile::open(&req.evt)?;
    let m = ev.module;
    let date_obs = match crate::tasks::getspec::card_value(&ev.cards, "DATE-OBS") {
        Some(Ok(d)) => d,
        _ => {
            return Err(TaskError::NoEventKeyword {
                path: req.evt.clone(),
                key: "DATE-OBS".into(),
                why: String::new(),
            }
            .into())
        }
    };
    let base = Output::new(&req.outprefix, req.clobber);
    let prefix = base.path.to_string_lossy().into_owned();
    if prefix.is_empty() {
        return Err(TaskError::EmptyOutprefix.into());
    }
    let outs: Vec<Output> = (0..4)
        .map(|d| base.sibling(format!("{prefix}{d}{}.rmf", m.letter())))
        .collect();
    let dir = parent_dir(&outs[0].path);
    let paths = detector_rmf_paths(&req.rmf, m, &date_obs)?;
    let detabs = (0..4)
        .map(|d| Detabs::load(&req.detabs, m, d, &date_obs))
        .collect::<Result<Vec<_>>>()?;
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir).map_err(|source| TaskError::CreateDir {
            path: dir.clone(),
            source,
        })?;
    }
    check_all(&outs)?;
    let rmfs = read_detector_rmfs(&paths, [true; 4])?;
    for d in 0..4 {
        let mut w = [0.0; 4];
        w[d] = 1.0;
        let r: [Option<&Rmf>; 4] = std::array::from_fn(|k| rmfs[k].as_deref());
        let a: [Option<&Detabs>; 4] = std::array::from_fn(|k| Some(&detabs[k]));
        let mut out = absorbed_rmf(&r, &a, w)?;
        out.path = outs[d].path.clone();
        let hist = vec![
            format!("nuskybgd absrmf: DET{d} RMF {}", paths[d].display()),
            format!(
                "each energy row times DETABS at its energy from {}",
                detabs[d].path.display()
            ),
            "detector weights 0-3 (normalised): ".to_string()
                + &w.iter()
                    .map(|v| format!("{v}"))
                    .collect::<Vec<_>>()
                    .join(" "),
        ];
        write_rmf_shared(&outs[d], &out, m.instrume(), &hist)?;
    }
    Ok(AbsrmfSummary {
        outputs: std::array::from_fn(|d| outs[d].path.clone()),
        rmf_files: paths,
        detabs_files: std::array::from_fn(|d| detabs[d].path.clone()),
    })
}
