//! The `projbgd` task at file level: read the reference image, instrument map, aspect
//! histogram and auxiliary aperture pattern; write the projected aperture image and the
//! per-detector images beside it.

use crate::error::{Result, TaskError};
use crate::io::output::{check_all, Output};
use crate::nustar::module::Module;
use crate::nustar::naming::det_image_path;
use crate::sky::projected::{projbgd_history, write_projected, ProjbgdInputs};
use std::path::PathBuf;

/// Inputs of one projbgd run.
#[derive(Debug, Clone)]
pub struct ProjbgdRequest {
    /// Reference sky image (defines grid, WCS and roll).
    pub refimg: PathBuf,
    /// Aperture image output; detector images go beside it as `det{d}{M}im.fits`.
    pub out: Output,
    pub module: Module,
    /// Detectors, 0-based (the command's `det=1234` means DET0..DET3).
    pub dets: Vec<usize>,
    /// Instrument map (mkinstrmap output).
    pub chipmap: PathBuf,
    /// Aspect histogram (aspecthist output).
    pub aspect: PathBuf,
    /// Auxiliary directory holding the aperture pattern.
    pub auxil: PathBuf,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct ProjbgdSummary {
    pub written: Vec<PathBuf>,
    /// Total of the aperture image (sky pixels × template units).
    pub aperture_sum: f64,
    /// Sum of each detector image (≈ that detector's active pixel count).
    pub det_sums: Vec<(usize, f64)>,
}

/// Run projbgd: refuse before writing anything if any output exists without clobber.
pub fn projbgd(req: &ProjbgdRequest) -> Result<ProjbgdSummary> {
    if req.dets.is_empty() || req.dets.iter().any(|d| *d > 3) {
        return Err(TaskError::BadDetectorList.into());
    }
    let det_outs: Vec<Output> = req
        .dets
        .iter()
        .map(|&d| {
            req.out
                .sibling(det_image_path(&req.out.path, d, req.module))
        })
        .collect();
    let mut all = vec![req.out.clone()];
    all.extend(det_outs.iter().cloned());
    check_all(&all)?;
    let inputs = [&req.refimg, &req.chipmap, &req.aspect].map(|p| p.as_path());
    crate::io::output::check_not_inputs(&all, &inputs)?;

    let inputs = ProjbgdInputs::read(
        &req.refimg,
        &req.chipmap,
        &req.aspect,
        &req.auxil,
        req.module,
    )?;
    let p = inputs
        .project(&req.dets)
        .map_err(|e| e.in_file(&req.aspect))?;
    let history = projbgd_history(req.module, &req.dets, &req.aspect, &req.chipmap);
    let written = write_projected(&req.out, &det_outs, &p, &inputs.refimg.cards, &history)?;
    Ok(ProjbgdSummary {
        written,
        aperture_sum: p.aperture.sum(),
        det_sums: p.dets.iter().map(|(d, i)| (*d, i.sum())).collect(),
    })
}
