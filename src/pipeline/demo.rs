//! `demo`: the whole nuskybgd workflow on a simulated observation — simulate, then the
//! observation products (mkimgs, mkinstrmap, aspecthist, projbgd, getspec), the fit, and
//! everything built on it (spec, simplify, image, bgdspec, absrmf, refspec) — with the time
//! of each step and how well the fit recovered the simulated background.
//!
//! Every file goes under one output directory, named as a user running the tasks by hand
//! would have them; all paths handed between the steps are absolute, so the save files
//! work from any directory.

use crate::bgmodel::bgdinfo::{BgdInfo, ModuleImages};
use crate::error::{PipelineError, Result};
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::nustar::gti::Gti;
use crate::nustar::module::Module;
use crate::nustar::naming;
use crate::nustar::refpoint::read_refpoints;
use crate::pipeline::recovery::{coverage, recovered, Recovered, TrueNorms};
use crate::sky::aspecthist::{aspect_histogram, write_aspect_histogram};
use crate::spectral::stat::Statistic;
use crate::tasks::fit_task::{fit_task, FitRequest, FitSummary};
use crate::tasks::mkimgs::mkimgs;
use crate::tasks::mkinstrmap::{mkinstrmap, InstrmapRequest};
use crate::tasks::projbgd::{projbgd, ProjbgdRequest};
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
    pub steps: Vec<Step>,
    /// (what, file) for the main products.
    pub products: Vec<(String, PathBuf)>,
    /// Every free background normalisation against its truth.
    pub recovery: Vec<Recovered>,
    /// Fit statistic and degrees of freedom.
    pub statistic: (f64, usize),
    /// Where the calibration came from (real auxil or the built-in synthetic instrument).
    pub calibration: String,
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

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Run the demo.
pub fn demo(req: &DemoRequest) -> Result<DemoReport> {
    let dir = abs(&req.outdir);
    let mut t = Timer { steps: Vec::new() };
    let clobber = req.clobber;

    // 1. the observation
    let obsdir = dir.join("observation");
    let dir = dir.join("analysis");
    std::fs::create_dir_all(&dir).map_err(|e| PipelineError::CreateDir {
        path: dir.clone(),
        source: e,
    })?;
    let out = |name: &str| Output::new(&s(&dir.join(name)), clobber);
    let sim = t.run("simulate", || {
        let (mut r, notes) = if req.env_calibration {
            crate::sim::SimRequest::from_env(&obsdir)
        } else {
            (crate::sim::SimRequest::new(&obsdir), Vec::new())
        };
        r.seed = req.seed;
        r.exposure = req.exposure;
        r.clobber = clobber;
        let r = crate::sim::simulate(&r)?;
        let n: usize = r.modules.iter().map(|m| m.n_events).sum();
        let mut d = format!("{n} events");
        for note in notes {
            d += &format!("; {note}");
        }
        Ok((r, d))
    })?;
    let caldb = Caldb {
        root: sim.caldb.clone(),
    };
    let calibration = format!(
        "{} auxil {}, {} CALDB {}",
        if sim.auxil_synthetic {
            "synthetic"
        } else {
            "real"
        },
        sim.auxil.display(),
        if sim.caldb_synthetic {
            "synthetic"
        } else {
            "real"
        },
        sim.caldb.display()
    );
    let auxil = sim.auxil.clone();
    let modules = Module::ALL;

    // 2. observation products per module
    let mut refimg = PathBuf::new();
    let mut bgfiles = Vec::new();
    let mut regfiles = Vec::new();
    let mut src = Vec::new();
    for m in modules {
        let l = m.letter();
        let o = sim.module(m);
        let im = t.run(&format!("mkimgs {l}"), || {
            let r = mkimgs(
                &o.events,
                &s(&dir.join(format!("im{l}3to20keV"))),
                3.0,
                20.0,
                clobber,
            )?;
            let d = format!("{} events in 3-20 keV", r.sky_counts);
            Ok((r.sky_path, d))
        })?;
        if m == Module::A {
            refimg = im.clone();
        }
        let chip = t.run(&format!("mkinstrmap {l}"), || {
            let r = mkinstrmap(&InstrmapRequest {
                evt: o.events.clone(),
                usrbpix: Vec::new(),
                out: out(&naming::instrmap_file(m)),
                caldb: Some(caldb.clone()),
                auxil: Some(auxil.clone()),
            })?;
            let d = format!("active sub-pixels {:?}", r.active);
            Ok((r.out, d))
        })?;
        let asp = t.run(&format!("aspecthist {l}"), || {
            let rp = read_refpoints(&o.det1)?;
            let gti = Gti::read(&o.gti)?;
            let h = aspect_histogram(&rp, &gti)?;
            let p = out(&naming::aspecthist_file(m));
            write_aspect_histogram(&p, &h, &rp)?;
            let d = format!("{} samples, {}x{} px", h.n_used, h.image.nx, h.image.ny);
            Ok((p.path, d))
        })?;
        t.run(&format!("projbgd {l}"), || {
            let r = projbgd(&ProjbgdRequest {
                refimg: refimg.clone(),
                out: out(&naming::bgdap_file(m)),
                module: m,
                dets: vec![0, 1, 2, 3],
                chipmap: chip.clone(),
                aspect: asp.clone(),
                auxil: auxil.clone(),
            })?;
            let d = format!("aperture sum {:.1}", r.aperture_sum);
            Ok(((), d))
        })?;
        for reg in &o.bgd_regions {
            let (pha, _) = t.run(&format!("getspec {}", file_stem(reg)), || {
                getspec_one(&o.events, reg, &dir, &caldb, clobber)
            })?;
            bgfiles.push(pha);
            regfiles.push(reg.clone());
        }
        let (pha, rmf) = t.run(&format!("getspec {}", file_stem(&o.src_region)), || {
            getspec_one(&o.events, &o.src_region, &dir, &caldb, clobber)
        })?;
        src.push(SourceFiles {
            region: o.src_region.clone(),
            pha,
            rmf,
            events: o.events.clone(),
        });
    }

    // 3. bgdinfo.json
    let info_path = dir.join("bgdinfo.json");
    let images = |m: Module| {
        let bgdap = dir.join(naming::bgdap_file(m));
        let det = [0, 1, 2, 3].map(|d| naming::det_image_path(&bgdap, d, m));
        Some(ModuleImages { bgdap, det })
    };
    BgdInfo {
        bgfiles,
        regfiles,
        refimg,
        a: images(Module::A),
        b: images(Module::B),
        fcxb_links: Vec::new(),
        fix_line_ratios: true,
    }
    .write(&out("bgdinfo.json"))?;

    // 4. the fit
    let fitted: FitSummary = t.run("fit", || {
        let r = fit_task(&FitRequest {
            bgdinfo: info_path.clone(),
            savefile: out("bgdparams.xcm"),
            fit: true,
            statistic: req.statistic,
            solar_off: true,
            force: false,
            intn_port_scale: false,
            caldb: caldb.clone(),
            auxil: auxil.clone(),
        })?;
        let d = match &r.fit {
            Some(f) => format!("{} {:.2} for {} dof", req.statistic, f.statistic, f.dof),
            None => String::new(),
        };
        Ok((r, d))
    })?;
    let (sess, fit) = fitted.fitted.as_ref().ok_or(PipelineError::NoFit)?;
    let truth = crate::sim::truth::Truth::read(&sim.truth)?;
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
    let recovery = recovered(sess, fit, &|k: usize| expected[k].clone());
    let statistic = fitted
        .fit
        .as_ref()
        .map(|f| (f.statistic, f.dof))
        .unwrap_or((f64::NAN, 0));
    let mut products = vec![
        ("background model".to_string(), dir.join("bgdparams.xcm")),
        (
            "fitted background model".to_string(),
            dir.join("bgdparams_fit.xcm"),
        ),
        ("fit results".to_string(), dir.join("bgdparams_fit.txt")),
    ];
    if !req.fit_only {
        later_steps(
            &mut t,
            &dir,
            &info_path,
            &src,
            &caldb,
            &auxil,
            clobber,
            &mut products,
        )?;
    }
    Ok(DemoReport {
        steps: t.steps,
        products,
        recovery,
        statistic,
        calibration,
    })
}

/// A source region with its spectrum, RMF and event file.
struct SourceFiles {
    region: PathBuf,
    pha: PathBuf,
    rmf: PathBuf,
    events: PathBuf,
}

fn file_stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// getspec with group min 30 and CALDB RMFs, as the original's getspecnoarf; returns the
/// grouped spectrum.
fn getspec_one(
    evt: &Path,
    reg: &Path,
    dir: &Path,
    caldb: &Caldb,
    clobber: bool,
) -> Result<((PathBuf, PathBuf), String)> {
    let r = crate::tasks::getspec::getspec(&crate::tasks::getspec::GetspecRequest {
        evt: evt.to_path_buf(),
        reg: reg.to_path_buf(),
        outdir: dir.to_path_buf(),
        outprefix: None,
        group: crate::tasks::getspec::Grouping::Min(30),
        rmf: crate::bgmodel::detrmf::RmfSource::Caldb(caldb.clone()),
        clobber,
    })?;
    let d = format!("{} events, {} groups", r.events, r.groups);
    Ok(((r.grouped, r.rmf), d))
}

/// Counts of a spectrum in 3–20 keV by XSPEC's ignore rule on ungrouped channels.
fn counts_3_20(pha: &Path, rmf: &Path) -> Result<f64> {
    let sp = crate::spectral::ogip::pha::Spectrum::read_at(pha, None)?;
    let r = crate::spectral::ogip::rmf::Rmf::read(rmf)?;
    let band = crate::bgmodel::bands::noticed_channels(&sp, &r.e_min, &r.e_max, 3.0, 20.0);
    Ok(sp
        .counts
        .iter()
        .zip(&band)
        .filter(|(_, b)| **b)
        .map(|(c, _)| c)
        .sum())
}

/// spec, simplify, image, bgdspec, absrmf and refspec on the fitted model.
#[allow(clippy::too_many_arguments)]
fn later_steps(
    t: &mut Timer,
    dir: &Path,
    info: &Path,
    src: &[SourceFiles],
    caldb: &Caldb,
    auxil: &Path,
    clobber: bool,
    products: &mut Vec<(String, PathBuf)>,
) -> Result<()> {
    let fitted = dir.join("bgdparams_fit.xcm");
    let bg = BgdInfo::read(info)?;
    let spec_xcm = dir.join(crate::tasks::spec::default_name(&src[0].region));
    t.run("spec", || {
        let w = crate::tasks::spec::spec_task(&crate::tasks::spec::SpecRequest {
            bgdinfo: info.to_path_buf(),
            xcm: fitted.clone(),
            regions: src.iter().map(|x| x.region.clone()).collect(),
            phas: src.iter().map(|x| x.pha.clone()).collect(),
            savefile: Output::new(&s(&spec_xcm), clobber),
            caldb: caldb.clone(),
            auxil: auxil.to_path_buf(),
        })?;
        Ok(((), format!("{} files", w.len())))
    })?;
    products.push(("background + source spectra".into(), spec_xcm.clone()));
    let only = dir.join(crate::tasks::simplify::simplified_name(&spec_xcm));
    t.run("simplify", || {
        let text = crate::tasks::simplify::simplify(&spec_xcm, &bg.bgfiles)?;
        Output::new(&s(&only), clobber).write_text(&text)?;
        Ok(((), "background frozen".to_string()))
    })?;
    products.push(("source spectra, background frozen".into(), only));
    let prefix = format!("{}/img3to20_", s(dir));
    let imgs = t.run("image", || {
        let w = crate::tasks::image::image_task(&crate::tasks::image::ImageRequest {
            bgdinfo: info.to_path_buf(),
            xcm: fitted.clone(),
            emin: 3.0,
            emax: 20.0,
            prefix: prefix.clone(),
            clobber,
            auxil: auxil.to_path_buf(),
        })?;
        let d = format!("{} images", w.len());
        Ok((w, d))
    })?;
    for (p, _) in imgs
        .iter()
        .filter(|(p, _)| s(p).ends_with("_A.fits") || s(p).ends_with("_B.fits"))
    {
        products.push(("background image 3-20 keV".into(), p.clone()));
    }
    for SourceFiles {
        region: reg,
        pha,
        rmf,
        ..
    } in src
    {
        let name = format!("bgdspec {}", file_stem(reg));
        let r = t.run(&name, || {
            let r = crate::tasks::bgdspec::bgdspec(&crate::tasks::bgdspec::BgdspecRequest {
                bgdinfo: info.to_path_buf(),
                xcm: fitted.clone(),
                region: reg.clone(),
                pha: pha.clone(),
                expfactor: 100.0,
                poisson: false,
                seed: crate::tasks::bgdspec::DEFAULT_SEED,
                out: None,
                clobber,
                caldb: caldb.clone(),
                auxil: auxil.to_path_buf(),
            })?;
            let predicted: f64 = r.components.iter().map(|c| c.band_3_20).sum();
            let observed = counts_3_20(pha, rmf)?;
            let d = format!(
                "3-20 keV: predicted background {predicted:.1} counts, observed {observed:.0} (source-free region)"
            );
            Ok((r, d))
        })?;
        products.push(("background spectrum for the source".into(), r.output));
    }
    let rdir = dir.join("refspec");
    for (m, f) in Module::ALL.iter().zip(src) {
        let l = m.letter();
        let evt = f.events.clone();
        t.run(&format!("absrmf {l}"), || {
            let r = crate::tasks::absrmf::absrmf(&crate::tasks::absrmf::AbsrmfRequest {
                evt,
                outprefix: s(&rdir.join("det")),
                rmf: crate::bgmodel::detrmf::RmfSource::Caldb(caldb.clone()),
                detabs: crate::bgmodel::detrmf::DetabsSource::Caldb(caldb.clone()),
                clobber,
            })?;
            Ok(((), format!("{} RMFs", r.outputs.len())))
        })?;
    }
    t.run("refspec", || {
        let r = crate::tasks::refspec::refspec(&crate::tasks::refspec::RefspecRequest {
            dir: rdir.clone(),
            mods: Module::ALL.to_vec(),
            dets: vec![0, 1, 2, 3],
            auxil: auxil.to_path_buf(),
            clobber,
        })?;
        Ok((
            (),
            format!("{} pairs of reference spectra", r.written.len()),
        ))
    })?;
    products.push(("reference spectra".into(), rdir));
    Ok(())
}
