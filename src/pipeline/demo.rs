//! `demo`: the whole nuskybgd workflow on a simulated observation — `simulate` in the
//! archive layout, then `init` and `run` on it exactly as on a real observation (the
//! observation products, the fit, spec, simplify, image, bgdspec, absrmf, refspec, the
//! figures and the report) — with the time of each step and how well the fit recovered the
//! simulated background.
//!
//! Everything goes under one output directory: the observation in `<obsid>/event_cl`, the
//! products in `<obsid>/event_cl/bgd` with the originals' names; all paths handed between
//! the steps are absolute, so the save files work from any directory.

use crate::error::{PipelineError, Result};
use crate::nustar::caldb::Caldb;
use crate::pipeline::recovery::{coverage, recovered, Recovered, TrueNorms};
use crate::pipeline::run::init::{init, InitRequest};
use crate::pipeline::run::{run, RunRequest, Status};
use crate::spectral::stat::Statistic;
use crate::tasks::fit_task::FitSummary;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What the demo (or a recovery run) is asked to do.
#[derive(Debug, Clone)]
pub struct DemoRequest {
    /// Directory for everything; created if missing, must be empty unless `clobber`.
    pub outdir: PathBuf,
    pub seed: u64,
    /// Exposure of the simulated observation (s).
    pub exposure: f64,
    /// Fit statistic ("cstat" recovers normalisations without chi²'s low bias).
    pub statistic: Statistic,
    pub clobber: bool,
    /// Stop after the fit (recovery runs need nothing more).
    pub fit_only: bool,
    /// Take the calibration from `NUSKYBGD_AUXIL` and `$CALDB` when they are set (as the
    /// command does); false always uses the built-in synthetic instrument.
    pub env_calibration: bool,
}

/// The size of the demo's simulated observation.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum DemoScale {
    /// The small synthetic responses and the nominal event count (~1 per second of
    /// exposure per module): quick, and the recovery is exact in expectation.
    #[default]
    Small,
    /// Real size: full-size per-detector responses (`simulate responses=full`) and
    /// `counts` expected events per module (None: `sim::DEFAULT_FULL_COUNTS`, 300 k).
    Real { counts: Option<f64> },
}

impl DemoScale {
    /// Parse `small` or `real` (with the counts asked for, if any).
    pub fn parse(s: &str, counts: Option<f64>) -> Option<DemoScale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Some(DemoScale::Small),
            "real" => Some(DemoScale::Real { counts }),
            _ => None,
        }
    }
}

/// One step of the pipeline and how long it took.
#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub seconds: f64,
    /// One line on what it made.
    pub detail: String,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// The work folder: every product (`<outdir>/<obsid>/event_cl/bgd`).
    pub workdir: PathBuf,
    pub steps: Vec<Step>,
    /// (what, file) for the main products.
    pub products: Vec<(String, PathBuf)>,
    /// Every free background normalisation against its truth.
    pub recovery: Vec<Recovered>,
    /// Fit statistic and degrees of freedom.
    pub statistic: (f64, usize),
    /// Where the calibration came from (real auxil or the built-in synthetic instrument).
    pub calibration: String,
    /// The environment to run the tasks by hand on the demo's files with that calibration
    /// (`NUSKYBGD_AUXIL=… CALDB=…`).
    pub environment: String,
}

impl DemoReport {
    /// Total wall time of all steps (s).
    pub fn total_seconds(&self) -> f64 {
        self.steps.iter().map(|s| s.seconds).sum()
    }

    /// Fractions of the recovered normalisations within 1σ and 2σ of the truth.
    pub fn coverage(&self) -> (f64, f64) {
        coverage(&self.recovery)
    }
}

struct Timer {
    steps: Vec<Step>,
}

impl Timer {
    fn run<T>(&mut self, name: &str, f: impl FnOnce() -> Result<(T, String)>) -> Result<T> {
        let t0 = Instant::now();
        let (v, detail) = f().map_err(|e| PipelineError::Step {
            name: name.to_string(),
            source: Box::new(e),
        })?;
        self.steps.push(Step {
            name: name.to_string(),
            seconds: t0.elapsed().as_secs_f64(),
            detail,
        });
        Ok(v)
    }
}

fn abs(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Run the demo: simulate an observation in the archive layout, then `init` and `run` on it
/// (the same code path as a real observation), and compare the fit with the truth.
pub fn demo(req: &DemoRequest) -> Result<DemoReport> {
    demo_at(req, DemoScale::Small)
}

/// [`demo`] on an observation of size `scale`.
pub fn demo_at(req: &DemoRequest, scale: DemoScale) -> Result<DemoReport> {
    let root = abs(&req.outdir);
    let mut t = Timer { steps: Vec::new() };
    let sim = simulate_step(&mut t, req, scale, &root)?;
    let config = init(&InitRequest {
        obsdir: sim.obsdir.clone(),
        bgdreg: Vec::new(),
        srcreg: Vec::new(),
        statistic: req.statistic,
        // every fcxb norm free, so the recovery table has one row per spectrum
        fcxb_links: crate::pipeline::run::config::FcxbLinks::None,
        clobber: req.clobber,
    })?
    .config;
    let caldb = Caldb {
        root: sim.caldb.clone(),
    };
    let rr = RunRequest {
        until: req.fit_only.then(|| "fit".to_string()),
        ..RunRequest::new(config, sim.auxil.clone(), caldb)
    };
    let r = run(&rr, &mut |_, _, _, _| {})?;
    for s in r.steps.iter().filter(|s| s.status == Status::Ran) {
        t.steps.push(Step {
            name: s.name.clone(),
            seconds: s.seconds,
            detail: s.detail.clone(),
        });
    }
    let fitted = r.fit.as_ref().ok_or(PipelineError::NoFit)?;
    let (sess, fit) = fitted.fitted.as_ref().ok_or(PipelineError::NoFit)?;
    let truth = crate::sim::truth::Truth::read(&sim.truth)?;
    let expected = expected_norms(&truth, fitted)?;
    let recovery = recovered(sess, fit, &|k: usize| expected[k].clone());
    let statistic = fitted
        .fit
        .as_ref()
        .map(|f| (f.statistic, f.dof))
        .unwrap_or((f64::NAN, 0));
    Ok(DemoReport {
        workdir: r.workdir.clone(),
        steps: t.steps,
        products: products(&r.workdir, req.fit_only),
        recovery,
        statistic,
        calibration: calibration_line(&sim),
        environment: format!(
            "NUSKYBGD_AUXIL={} CALDB={}",
            sim.auxil.display(),
            sim.caldb.display()
        ),
    })
}

/// The main products in the work folder, as the report lists them.
fn products(w: &Path, fit_only: bool) -> Vec<(String, PathBuf)> {
    let mut v = vec![
        ("background model", "bgdparams.xcm"),
        ("fitted background model", "bgdparams_fit.xcm"),
        ("fit results", "bgdparams_fit.txt"),
    ];
    if !fit_only {
        v.extend([
            ("background + source spectra", "bgd_srcA.xcm"),
            ("source spectra, background frozen", "bgd_only_srcA.xcm"),
            ("background image 3-20 keV", "bgd_intn_A.fits"),
            ("background spectrum for the source", "srcA_sr_g30_bgd.pha"),
            ("background spectrum for the source", "srcB_sr_g30_bgd.pha"),
            ("reference spectra", "aperbgdA_det0.pha"),
            ("figures", "plots"),
            ("report", "report.html"),
        ]);
    }
    v.into_iter()
        .map(|(a, b)| (a.to_string(), w.join(b)))
        .collect()
}

/// Simulate the observation into `outdir` in the archive layout, with the calibration the
/// request asks for.
fn simulate_step(
    t: &mut Timer,
    req: &DemoRequest,
    scale: DemoScale,
    outdir: &Path,
) -> Result<crate::sim::SimSummary> {
    t.run("simulate", || {
        let (mut r, notes) = if req.env_calibration {
            crate::sim::SimRequest::from_env(outdir)
        } else {
            (crate::sim::SimRequest::new(outdir), Vec::new())
        };
        r.seed = req.seed;
        r.exposure = req.exposure;
        r.clobber = req.clobber;
        r.archive_layout = true;
        if let DemoScale::Real { counts } = scale {
            r.responses = crate::sim::Responses::Full;
            r.counts = counts;
        }
        let r = crate::sim::simulate(&r)?;
        let n: usize = r.modules.iter().map(|m| m.n_events).sum();
        let mut d = format!("{n} events");
        for note in notes {
            d += &format!("; {note}");
        }
        Ok((r, d))
    })
}

/// One line on where the calibration came from.
fn calibration_line(sim: &crate::sim::SimSummary) -> String {
    let kind = |synthetic: bool| if synthetic { "synthetic" } else { "real" };
    format!(
        "{} auxil {}, {} CALDB {}",
        kind(sim.auxil_synthetic),
        sim.auxil.display(),
        kind(sim.caldb_synthetic),
        sim.caldb.display()
    )
}

/// The simulated truth as expected fitted normalisations, one per background spectrum.
fn expected_norms(truth: &crate::sim::truth::Truth, fitted: &FitSummary) -> Result<Vec<TrueNorms>> {
    let mut expected = Vec::new();
    for w in &fitted.weights {
        let e = truth.expected_norms(w)?;
        expected.push(TrueNorms {
            apbgd: e.apbgd,
            apec: e.apec,
            lines: e.lines.to_vec(),
            fcxb: e.fcxb,
            intn: e.intn,
        });
    }
    Ok(expected)
}
