//! `plot`: for any save file (ours or XSPEC's), each spectrum as XSPEC's `setplot energy;
//! plot ldata delchi` shows it (data with errors, the total model and every source, a
//! residual panel), display-rebinned as `setplot rebin`, and one overview per module.

use crate::error::{Result, TaskError};
use crate::io::figure::{self, FigureSet, Format, SpectrumFigure};
use crate::io::output::Output;
use crate::spectral::plotdata::{Residuals, SpectrumPlot};
use std::path::PathBuf;

/// What plot is asked to draw.
#[derive(Debug, Clone)]
pub struct PlotRequest {
    /// The save file (its spectra, responses and model at its parameter values).
    pub xcm: PathBuf,
    /// Prefix of every figure: `<prefix>spec<N>.png`, `<prefix>FPMA.png`.
    pub prefix: String,
    /// `setplot rebin MINSIG MAXBINS` for the display; None plots the bins as they are.
    pub rebin: Option<(f64, usize)>,
    pub residuals: Residuals,
    pub format: Format,
    pub clobber: bool,
}

/// What plot drew.
#[derive(Debug, Clone)]
pub struct PlotSummary {
    /// One figure per spectrum: (data set number, file written, its χ² over the bins shown).
    pub spectra: Vec<(usize, PathBuf, f64)>,
    /// One overview per module (INSTRUME), in module order.
    pub overviews: Vec<PathBuf>,
}

/// Figure size of one spectrum (pixels).
pub const SPECTRUM_SIZE: (u32, u32) = (900, 640);

/// Draw every spectrum of the save file and one overview per module.
pub fn plot(req: &PlotRequest) -> Result<PlotSummary> {
    let sess = crate::spectral::run::load(&req.xcm, true)?;
    let mut plots = Vec::new();
    for di in 0..sess.data.len() {
        let p = SpectrumPlot::of(&sess, di)?;
        plots.push(match req.rebin {
            Some((sig, n)) => p.rebinned(sig, n),
            None => p,
        });
    }
    if plots.iter().all(|p| p.bins.is_empty()) {
        return Err(TaskError::NothingToPlot {
            path: req.xcm.clone(),
        }
        .into());
    }
    let ext = req.format.ext();
    let mut out = PlotSummary {
        spectra: Vec::new(),
        overviews: Vec::new(),
    };
    let outputs: Vec<Output> = plots
        .iter()
        .map(|p| {
            Output::new(
                &format!("{}spec{}.{ext}", req.prefix, p.number),
                req.clobber,
            )
        })
        .collect();
    crate::io::output::check_all(&outputs)?;
    for (p, o) in plots.iter().zip(&outputs) {
        let fig = SpectrumFigure {
            title: format!(
                "spectrum {}: {} ({})",
                p.number,
                file_name(&p.file),
                p.instrume
            ),
            sets: vec![figure_set(p, req.residuals, true)],
            residual_label: residual_label(req.residuals),
        };
        let (w, h) = SPECTRUM_SIZE;
        o.write_bytes(&figure::spectrum(&fig, w, h, req.format)?)?;
        out.spectra.push((p.number, o.path.clone(), chi2(p)));
    }
    for inst in instruments(&plots) {
        let sets: Vec<FigureSet> = plots
            .iter()
            .filter(|p| p.instrume == inst)
            .map(|p| figure_set(p, req.residuals, false))
            .collect();
        let fig = SpectrumFigure {
            title: format!("{inst}: {} spectra", sets.len()),
            sets,
            residual_label: residual_label(req.residuals),
        };
        let o = Output::new(&format!("{}{inst}.{ext}", req.prefix), req.clobber);
        let (w, h) = SPECTRUM_SIZE;
        o.write_bytes(&figure::spectrum(&fig, w, h, req.format)?)?;
        out.overviews.push(o.path);
    }
    Ok(out)
}

fn file_name(f: &str) -> String {
    std::path::Path::new(f)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| f.to_string())
}

/// The instruments of the spectra, in first-seen order.
fn instruments(plots: &[SpectrumPlot]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in plots {
        let i = if p.instrume.is_empty() {
            "spectra".to_string()
        } else {
            p.instrume.clone()
        };
        if !v.contains(&i) {
            v.push(i);
        }
    }
    v
}

fn residual_label(r: Residuals) -> Option<String> {
    match r {
        Residuals::Delchi => Some("(data−model)/error".into()),
        Residuals::Ratio => Some("ratio".into()),
        Residuals::None => None,
    }
}

/// The figure's view of one spectrum: rates per keV, the total and (when `sources`) each
/// source with any counts.
fn figure_set(p: &SpectrumPlot, residuals: Residuals, sources: bool) -> FigureSet {
    let data = p
        .bins
        .iter()
        .map(|b| {
            [
                b.e_lo,
                b.e_hi,
                p.rate(b, b.counts),
                p.rate(b, b.variance.sqrt()),
            ]
        })
        .collect();
    let mut lines = vec![(
        "model".to_string(),
        p.bins.iter().map(|b| p.rate(b, b.model_total())).collect(),
    )];
    if sources {
        for (si, name) in p.sources.iter().enumerate() {
            let ys: Vec<f64> = p.bins.iter().map(|b| p.rate(b, b.model[si])).collect();
            if ys.iter().any(|y| *y > 0.0) {
                lines.push((name.clone(), ys));
            }
        }
    }
    FigureSet {
        label: file_name(&p.file),
        data,
        lines,
        residual: p.residuals(residuals),
    }
}

/// χ² of the bins shown (Gaussian errors), the figure's check on the fit.
fn chi2(p: &SpectrumPlot) -> f64 {
    p.bins
        .iter()
        .filter(|b| b.variance > 0.0)
        .map(|b| (b.counts - b.model_total()).powi(2) / b.variance)
        .sum()
}
