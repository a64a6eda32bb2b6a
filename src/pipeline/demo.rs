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
use crate::sim::ModuleFiles;
use crate::sky::aspecthist::{aspect_histogram, write_aspect_histogram};
use crate::spectral::stat::Statistic;
use crate::tasks::fit_task::{fit_task, FitRequest, FitSummary};
use crate::tasks::mkimgs::{mkimgs, MkimgsRequest};
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

/// The demo between its steps: where the analysis goes, the calibration, the step log.
struct Run {
    t: Timer,
    /// The analysis directory (absolute).
    dir: PathBuf,
    caldb: Caldb,
    auxil: PathBuf,
    clobber: bool,
}

/// What the observation products give the fit and the later steps.
#[derive(Default)]
struct Observed {
    /// Module A's 3–20 keV sky image, the reference image of every projection.
    refimg: PathBuf,
    /// Background spectra and their regions, in pairs.
    bgfiles: Vec<PathBuf>,
    regfiles: Vec<PathBuf>,
    /// Module A's then B's source region.
    src: Vec<SourceFiles>,
}

/// Run the demo.
pub fn demo(req: &DemoRequest) -> Result<DemoReport> {
    let root = abs(&req.outdir);
    let dir = root.join("analysis");
    std::fs::create_dir_all(&dir).map_err(|e| PipelineError::CreateDir {
        path: dir.clone(),
        source: e,
    })?;
    let mut t = Timer { steps: Vec::new() };
    let sim = simulate_step(&mut t, req, &root.join("observation"))?;
    let mut run = Run {
        t,
        dir,
        caldb: Caldb {
            root: sim.caldb.clone(),
        },
        auxil: sim.auxil.clone(),
        clobber: req.clobber,
    };
    let mut obs = Observed::default();
    for m in Module::ALL {
        run.module_products(sim.module(m), &mut obs)?;
    }
    let info_path = run.write_bgdinfo(&obs)?;
    let fitted = run.fit(&info_path, req.statistic)?;
    let (sess, fit) = fitted.fitted.as_ref().ok_or(PipelineError::NoFit)?;
    let truth = crate::sim::truth::Truth::read(&sim.truth)?;
    let expected = expected_norms(&truth, &fitted)?;
    let recovery = recovered(sess, fit, &|k: usize| expected[k].clone());
    let statistic = fitted
        .fit
        .as_ref()
        .map(|f| (f.statistic, f.dof))
        .unwrap_or((f64::NAN, 0));
    let mut products = run.fit_products();
    if !req.fit_only {
        run.later_steps(&info_path, &obs.src, &mut products)?;
    }
    Ok(DemoReport {
        steps: run.t.steps,
        products,
        recovery,
        statistic,
        calibration: calibration_line(&sim),
    })
}

/// Simulate the observation into `obsdir`, with the calibration the request asks for.
fn simulate_step(
    t: &mut Timer,
    req: &DemoRequest,
    obsdir: &Path,
) -> Result<crate::sim::SimSummary> {
    t.run("simulate", || {
        let (mut r, notes) = if req.env_calibration {
            crate::sim::SimRequest::from_env(obsdir)
        } else {
            (crate::sim::SimRequest::new(obsdir), Vec::new())
        };
        r.seed = req.seed;
        r.exposure = req.exposure;
        r.clobber = req.clobber;
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

impl Run {
    /// An output in the analysis directory.
    fn out(&self, name: &str) -> Output {
        Output::new(&s(&self.dir.join(name)), self.clobber)
    }

    /// mkimgs, mkinstrmap, aspecthist, projbgd and getspec for one module.
    fn module_products(&mut self, o: &ModuleFiles, obs: &mut Observed) -> Result<()> {
        let m = o.module;
        let im = self.sky_image(o)?;
        if m == Module::A {
            obs.refimg = im;
        }
        let chip = self.instrmap(o)?;
        let asp = self.aspecthist(o)?;
        self.projbgd(m, &obs.refimg, &chip, &asp)?;
        for reg in &o.bgd_regions {
            let (pha, _) = self.getspec(&o.events, reg)?;
            obs.bgfiles.push(pha);
            obs.regfiles.push(reg.clone());
        }
        let (pha, rmf) = self.getspec(&o.events, &o.src_region)?;
        obs.src.push(SourceFiles {
            module: m,
            region: o.src_region.clone(),
            pha,
            rmf,
            events: o.events.clone(),
        });
        Ok(())
    }

    /// The module's 3–20 keV sky image.
    fn sky_image(&mut self, o: &ModuleFiles) -> Result<PathBuf> {
        let l = o.module.letter();
        let stem = s(&self.dir.join(format!("im{l}3to20keV")));
        let clobber = self.clobber;
        self.t.run(&format!("mkimgs {l}"), || {
            let r = mkimgs(&MkimgsRequest {
                evt: o.events.clone(),
                outname: stem.clone(),
                elow: 3.0,
                ehigh: 20.0,
                clobber,
            })?;
            let d = format!("{} events in 3-20 keV", r.sky_counts);
            Ok((r.sky_path, d))
        })
    }

    /// The module's instrument map.
    fn instrmap(&mut self, o: &ModuleFiles) -> Result<PathBuf> {
        let req = InstrmapRequest {
            evt: o.events.clone(),
            usrbpix: Vec::new(),
            out: self.out(&naming::instrmap_file(o.module)),
            caldb: Some(self.caldb.clone()),
            auxil: Some(self.auxil.clone()),
            dryrun: false,
        };
        self.t
            .run(&format!("mkinstrmap {}", o.module.letter()), || {
                let r = mkinstrmap(&req)?;
                let d = format!("active sub-pixels {:?}", r.active);
                Ok((r.out, d))
            })
    }

    /// The module's aspect histogram.
    fn aspecthist(&mut self, o: &ModuleFiles) -> Result<PathBuf> {
        let p = self.out(&naming::aspecthist_file(o.module));
        self.t
            .run(&format!("aspecthist {}", o.module.letter()), || {
                let rp = read_refpoints(&o.det1)?;
                let gti = Gti::read(&o.gti)?;
                let h = aspect_histogram(&rp, &gti)?;
                write_aspect_histogram(&p, &h, &rp)?;
                let d = format!("{} samples, {}x{} px", h.n_used, h.image.nx, h.image.ny);
                Ok((p.path.clone(), d))
            })
    }

    /// The module's aperture and detector images on the reference image.
    fn projbgd(&mut self, m: Module, refimg: &Path, chip: &Path, asp: &Path) -> Result<()> {
        let req = ProjbgdRequest {
            refimg: refimg.to_path_buf(),
            out: self.out(&naming::bgdap_file(m)),
            module: m,
            dets: vec![0, 1, 2, 3],
            chipmap: chip.to_path_buf(),
            aspect: asp.to_path_buf(),
            auxil: self.auxil.clone(),
        };
        self.t.run(&format!("projbgd {}", m.letter()), || {
            let r = projbgd(&req)?;
            Ok(((), format!("aperture sum {:.1}", r.aperture_sum)))
        })
    }

    /// getspec with group min 30 and CALDB RMFs, as the original's getspecnoarf; returns
    /// the grouped spectrum and its RMF.
    fn getspec(&mut self, evt: &Path, reg: &Path) -> Result<(PathBuf, PathBuf)> {
        let req = crate::tasks::getspec::GetspecRequest {
            evt: evt.to_path_buf(),
            reg: reg.to_path_buf(),
            outdir: self.dir.clone(),
            outprefix: None,
            group: crate::tasks::getspec::Grouping::Min(30),
            rmf: crate::bgmodel::detrmf::RmfSource::Caldb(self.caldb.clone()),
            clobber: self.clobber,
        };
        self.t.run(&format!("getspec {}", file_stem(reg)), || {
            let r = crate::tasks::getspec::getspec(&req)?;
            let d = format!("{} events, {} groups", r.events, r.groups);
            Ok(((r.grouped, r.rmf), d))
        })
    }

    /// bgdinfo.json for the background spectra and both modules' images.
    fn write_bgdinfo(&self, obs: &Observed) -> Result<PathBuf> {
        let images = |m: Module| {
            let bgdap = self.dir.join(naming::bgdap_file(m));
            let det = [0, 1, 2, 3].map(|d| naming::det_image_path(&bgdap, d, m));
            Some(ModuleImages { bgdap, det })
        };
        BgdInfo {
            bgfiles: obs.bgfiles.clone(),
            regfiles: obs.regfiles.clone(),
            refimg: obs.refimg.clone(),
            a: images(Module::A),
            b: images(Module::B),
            fcxb_links: Vec::new(),
            fix_line_ratios: true,
        }
        .write(&self.out("bgdinfo.json"))?;
        Ok(self.dir.join("bgdinfo.json"))
    }

    /// The background fit, saved as bgdparams.xcm and its fitted siblings.
    fn fit(&mut self, info: &Path, statistic: Statistic) -> Result<FitSummary> {
        let req = FitRequest {
            bgdinfo: info.to_path_buf(),
            savefile: self.out("bgdparams.xcm"),
            fit: true,
            statistic,
            solar_off: true,
            force: false,
            intn_port_scale: false,
            caldb: self.caldb.clone(),
            auxil: self.auxil.clone(),
        };
        self.t.run("fit", || {
            let r = fit_task(&req)?;
            let d = match &r.fit {
                Some(f) => format!("{} {:.2} for {} dof", statistic, f.statistic, f.dof),
                None => String::new(),
            };
            Ok((r, d))
        })
    }

    /// The fit's files, as the report lists them.
    fn fit_products(&self) -> Vec<(String, PathBuf)> {
        vec![
            (
                "background model".to_string(),
                self.dir.join("bgdparams.xcm"),
            ),
            (
                "fitted background model".to_string(),
                self.dir.join("bgdparams_fit.xcm"),
            ),
            (
                "fit results".to_string(),
                self.dir.join("bgdparams_fit.txt"),
            ),
        ]
    }
}

/// A source region with its spectrum, RMF and event file.
struct SourceFiles {
    module: Module,
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

impl Run {
    /// spec, simplify, image, bgdspec, absrmf and refspec on the fitted model.
    fn later_steps(
        &mut self,
        info: &Path,
        src: &[SourceFiles],
        products: &mut Vec<(String, PathBuf)>,
    ) -> Result<()> {
        let fitted = self.dir.join("bgdparams_fit.xcm");
        let spec_xcm = self.spec(info, &fitted, src)?;
        products.push(("background + source spectra".into(), spec_xcm.clone()));
        let only = self.simplify(info, &spec_xcm)?;
        products.push(("source spectra, background frozen".into(), only));
        for p in self.images(info, &fitted)? {
            products.push(("background image 3-20 keV".into(), p));
        }
        for f in src {
            let p = self.bgdspec(info, &fitted, f)?;
            products.push(("background spectrum for the source".into(), p));
        }
        let rdir = self.dir.join("refspec");
        for f in src {
            self.absrmf(&rdir, f)?;
        }
        self.refspec(&rdir)?;
        products.push(("reference spectra".into(), rdir));
        Ok(())
    }

    /// The fitted background with the source spectra added, for the user's source model.
    fn spec(&mut self, info: &Path, fitted: &Path, src: &[SourceFiles]) -> Result<PathBuf> {
        let spec_xcm = self
            .dir
            .join(crate::tasks::spec::default_name(&src[0].region));
        let req = crate::tasks::spec::SpecRequest {
            bgdinfo: info.to_path_buf(),
            xcm: fitted.to_path_buf(),
            regions: src.iter().map(|x| x.region.clone()).collect(),
            phas: src.iter().map(|x| x.pha.clone()).collect(),
            savefile: Output::new(&s(&spec_xcm), self.clobber),
            caldb: self.caldb.clone(),
            auxil: self.auxil.clone(),
        };
        self.t.run("spec", || {
            let w = crate::tasks::spec::spec_task(&req)?;
            Ok(((), format!("{} files", w.arfs.len() + 1)))
        })?;
        Ok(spec_xcm)
    }

    /// The spec save file with the background spectra dropped and the background frozen.
    fn simplify(&mut self, info: &Path, spec_xcm: &Path) -> Result<PathBuf> {
        let only = self
            .dir
            .join(crate::tasks::simplify::simplified_name(spec_xcm));
        let req = crate::tasks::simplify::SimplifyRequest {
            bgdinfo: info.to_path_buf(),
            xcm: spec_xcm.to_path_buf(),
            savefile: Output::new(&s(&only), self.clobber),
        };
        self.t.run("simplify", || {
            let r = crate::tasks::simplify::simplify_task(&req)?;
            let d = format!(
                "{} background spectra dropped, background frozen",
                r.dropped
            );
            Ok((r.savefile, d))
        })
    }

    /// The fitted background's 3–20 keV images; returns the two modules' totals.
    fn images(&mut self, info: &Path, fitted: &Path) -> Result<Vec<PathBuf>> {
        let req = crate::tasks::image::ImageRequest {
            bgdinfo: info.to_path_buf(),
            xcm: fitted.to_path_buf(),
            emin: 3.0,
            emax: 20.0,
            prefix: format!("{}/img3to20_", s(&self.dir)),
            clobber: self.clobber,
            auxil: self.auxil.clone(),
        };
        let imgs = self.t.run("image", || {
            let w = crate::tasks::image::image_task(&req)?;
            let d = format!("{} images", w.images.len());
            Ok((w.images, d))
        })?;
        Ok(imgs
            .into_iter()
            .map(|(p, _)| p)
            .filter(|p| s(p).ends_with("_A.fits") || s(p).ends_with("_B.fits"))
            .collect())
    }

    /// The predicted background spectrum for one source region, beside what was observed.
    fn bgdspec(&mut self, info: &Path, fitted: &Path, f: &SourceFiles) -> Result<PathBuf> {
        let req = crate::tasks::bgdspec::BgdspecRequest {
            bgdinfo: info.to_path_buf(),
            xcm: fitted.to_path_buf(),
            region: f.region.clone(),
            pha: f.pha.clone(),
            expfactor: 100.0,
            poisson: false,
            seed: crate::tasks::bgdspec::DEFAULT_SEED,
            out: None,
            clobber: self.clobber,
            caldb: self.caldb.clone(),
            auxil: self.auxil.clone(),
        };
        let r = self.t.run(&format!("bgdspec {}", file_stem(&f.region)), || {
            let r = crate::tasks::bgdspec::bgdspec(&req)?;
            let predicted: f64 = r.components.iter().map(|c| c.band_3_20).sum();
            let observed = crate::bgmodel::bands::file_band_counts(&f.pha, &f.rmf, 3.0, 20.0)?;
            let d = format!(
                "3-20 keV: predicted background {predicted:.1} counts, observed {observed:.0} (source-free region)"
            );
            Ok((r, d))
        })?;
        Ok(r.output)
    }

    /// Detector RMFs with the detector absorption, for the reference spectra.
    fn absrmf(&mut self, rdir: &Path, f: &SourceFiles) -> Result<()> {
        let req = crate::tasks::absrmf::AbsrmfRequest {
            evt: f.events.clone(),
            outprefix: s(&rdir.join("det")),
            rmf: crate::bgmodel::detrmf::RmfSource::Caldb(self.caldb.clone()),
            detabs: crate::bgmodel::detrmf::DetabsSource::Caldb(self.caldb.clone()),
            clobber: self.clobber,
        };
        self.t.run(&format!("absrmf {}", f.module.letter()), || {
            let r = crate::tasks::absrmf::absrmf(&req)?;
            Ok(((), format!("{} RMFs", r.outputs.len())))
        })
    }

    /// The reference spectra of every module and detector.
    fn refspec(&mut self, rdir: &Path) -> Result<()> {
        let req = crate::tasks::refspec::RefspecRequest {
            dir: rdir.to_path_buf(),
            mods: Module::ALL.to_vec(),
            dets: vec![0, 1, 2, 3],
            auxil: self.auxil.clone(),
            clobber: self.clobber,
        };
        self.t.run("refspec", || {
            let r = crate::tasks::refspec::refspec(&req)?;
            let d = format!("{} pairs of reference spectra", r.written.len());
            Ok(((), d))
        })
    }
}
