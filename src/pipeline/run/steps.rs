//! The steps of a run, in order, with their inputs and what each does: the observation
//! products per module, the spectra of every region, bgdinfo.json, the fit, the detector
//! RMFs and reference spectra, and for every source region its background spectrum, its
//! spec and simplify save files; then the model images. Every product keeps the originals'
//! file name in the work folder.

use super::config::{FcxbLinks, RunConfig};
use super::init::with_gz;
use crate::bgmodel::bgdinfo::{BgdInfo, ModuleImages};
use crate::bgmodel::detrmf::{DetabsSource, RmfSource};
use crate::error::Result;
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::nustar::naming;
use crate::tasks::getspec::Grouping;
use std::path::{Path, PathBuf};

/// What a step did: one line for the log, every file it wrote, and the figures the report
/// shows (JSON, kept in run.json).
pub struct Done {
    pub detail: String,
    pub outputs: Vec<PathBuf>,
    pub facts: serde_json::Value,
}

impl Done {
    /// A step's result without figures for the report.
    pub fn new(detail: String, outputs: Vec<PathBuf>) -> Done {
        Done {
            detail,
            outputs,
            facts: serde_json::Value::Null,
        }
    }
}

/// The action of a step.
pub type Action<'a> = Box<dyn Fn() -> Result<Done> + 'a>;

/// One step: its name (`getspec bgd1A`), the configuration section it depends on, its
/// input files, and its action.
pub struct Step<'a> {
    pub name: String,
    pub section: &'static str,
    pub inputs: Vec<PathBuf>,
    pub action: Action<'a>,
}

/// Calibration and configuration every step reads.
pub struct Ctx {
    pub cfg: RunConfig,
    pub caldb: Caldb,
    pub auxil: PathBuf,
    /// The fit step's summary (session and result), kept for the caller of the run.
    pub fit: std::cell::RefCell<Option<crate::tasks::fit_task::FitSummary>>,
}

/// A spectrum the run extracts: its region, module and output prefix.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub module: Module,
    pub region: PathBuf,
    /// `bgd1A` for `bgd1.reg` on module A (the region's name, plus the module letter
    /// unless it already ends with it).
    pub prefix: String,
    /// Index of the region in its module's list (0-based).
    pub index: usize,
}

impl Ctx {
    /// A file in the work folder.
    pub fn w(&self, name: &str) -> PathBuf {
        self.cfg.workdir.join(name)
    }

    fn out(&self, p: &Path) -> Output {
        Output::new(&p.to_string_lossy(), true)
    }

    /// The observation file `name` (or its `.gz`) in `event_cl`; the plain name when
    /// neither exists (the step then fails naming it).
    pub fn obs_file(&self, name: &str) -> PathBuf {
        with_gz(&self.cfg.event_cl, name).unwrap_or_else(|| self.cfg.event_cl.join(name))
    }

    pub fn events(&self, m: Module) -> PathBuf {
        self.obs_file(&naming::events_file(&self.cfg.obsid, m))
    }

    /// Stem of module `m`'s counts images of the configured band (`imA3to20keV`).
    pub fn image_stem(&self, m: Module) -> PathBuf {
        let (lo, hi) = self.cfg.band;
        self.w(&naming::band_image_stem(m, &edge(lo), &edge(hi)))
    }

    /// The reference sky image: the first module's counts image.
    pub fn refimg(&self) -> PathBuf {
        let m = self.cfg.modules()[0];
        with_ext(&self.image_stem(m), ".fits")
    }

    /// The grouped spectrum getspec writes for `prefix`.
    pub fn grouped(&self, prefix: &str) -> PathBuf {
        match self.cfg.grouping {
            Grouping::Min(n) => self.w(&format!("{prefix}_sr_g{n}.pha")),
            Grouping::Optimal => self.w(&format!("{prefix}_sr_opt.pha")),
        }
    }

    /// Background (`source` false) or source extractions of every module.
    pub fn extractions(&self, source: bool) -> Vec<Extraction> {
        let mut v = Vec::new();
        for r in &self.cfg.regions {
            let list = if source { &r.source } else { &r.background };
            for (index, reg) in list.iter().enumerate() {
                v.push(Extraction {
                    module: r.module,
                    region: reg.clone(),
                    prefix: prefix(reg, r.module),
                    index,
                });
            }
        }
        v
    }

    /// The background spectra in fit order: region by region, module A then B (as the
    /// port's README lists them).
    pub fn fit_order(&self) -> Vec<Extraction> {
        let mut v = self.extractions(false);
        v.sort_by_key(|e| (e.index, e.module != Module::A));
        v
    }
}

/// A band edge as the originals write it in file names (3 → "3", 2.5 → "2.5").
fn edge(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e9 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn with_ext(stem: &Path, ext: &str) -> PathBuf {
    PathBuf::from(format!("{}{ext}", stem.display()))
}

fn prefix(region: &Path, m: Module) -> String {
    let stem = region
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem.ends_with(m.letter()) {
        stem
    } else {
        format!("{stem}{}", m.letter())
    }
}

/// Every step of the run, in order.
pub fn plan(c: &Ctx) -> Vec<Step<'_>> {
    let mut steps = Vec::new();
    for m in c.cfg.modules() {
        steps.push(mkimgs(c, m));
        steps.push(mkinstrmap(c, m));
        steps.push(aspecthist(c, m));
    }
    for m in c.cfg.modules() {
        steps.push(projbgd(c, m));
    }
    for e in c.extractions(false).into_iter().chain(c.extractions(true)) {
        steps.push(getspec(c, e));
    }
    steps.push(bgdinfo(c));
    steps.push(fit(c));
    for m in c.cfg.modules() {
        steps.push(absrmf(c, m));
    }
    steps.push(refspec(c));
    steps.extend(super::source_steps::source_steps(c));
    steps.push(super::source_steps::image(c));
    steps.push(super::figures::spectra_plots(
        c,
        super::source_steps::simplified(c),
    ));
    let mut figures = Vec::new();
    for m in c.cfg.modules() {
        steps.push(super::figures::image_plots(c, m));
        figures.push(super::figures::figure_path(
            c,
            &format!("{}_residual", m.letter()),
        ));
    }
    steps.push(super::report::report(c, figures));
    steps
}

fn mkimgs(c: &Ctx, m: Module) -> Step<'_> {
    let evt = c.events(m);
    Step {
        name: format!("mkimgs {}", m.letter()),
        section: "images",
        inputs: vec![evt.clone()],
        action: Box::new(move || {
            let (elow, ehigh) = c.cfg.band;
            let r = crate::tasks::mkimgs::mkimgs(&crate::tasks::mkimgs::MkimgsRequest {
                evt: evt.clone(),
                outname: c.image_stem(m).to_string_lossy().into_owned(),
                elow,
                ehigh,
                clobber: true,
            })?;
            Ok(Done::new(
                format!("{} events in {elow}-{ehigh} keV", r.sky_counts),
                vec![r.sky_path, r.det1_path],
            ))
        }),
    }
}

fn mkinstrmap(c: &Ctx, m: Module) -> Step<'_> {
    let evt = c.events(m);
    Step {
        name: format!("mkinstrmap {}", m.letter()),
        section: "",
        inputs: vec![evt.clone()],
        action: Box::new(move || {
            let r =
                crate::tasks::mkinstrmap::mkinstrmap(&crate::tasks::mkinstrmap::InstrmapRequest {
                    evt: evt.clone(),
                    usrbpix: Vec::new(),
                    out: c.out(&c.w(&naming::instrmap_file(m))),
                    caldb: Some(c.caldb.clone()),
                    auxil: Some(c.auxil.clone()),
                    dryrun: false,
                })?;
            let files: Vec<String> = r
                .sources
                .iter()
                .map(|s| s.0.display().to_string())
                .collect();
            Ok(Done::new(
                format!(
                    "active sub-pixels {:?}; bad-pixel lists {}",
                    r.active,
                    files.join(", ")
                ),
                vec![r.out],
            ))
        }),
    }
}

fn aspecthist(c: &Ctx, m: Module) -> Step<'_> {
    let det1 = c.obs_file(&naming::det1_file(&c.cfg.obsid, m));
    let gti = c.obs_file(&naming::gti_file(&c.cfg.obsid, m));
    Step {
        name: format!("aspecthist {}", m.letter()),
        section: "",
        inputs: vec![det1.clone(), gti.clone()],
        action: Box::new(move || {
            use crate::sky::aspecthist::{aspect_histogram, write_aspect_histogram};
            let rp = crate::nustar::refpoint::read_refpoints(&det1)?;
            let g = crate::nustar::gti::Gti::read(&gti)?;
            let h = aspect_histogram(&rp, &g)?;
            let out = c.out(&c.w(&naming::aspecthist_file(m)));
            write_aspect_histogram(&out, &h, &rp)?;
            Ok(Done::new(
                format!("{} samples, {}x{} px", h.n_used, h.image.nx, h.image.ny),
                vec![out.path],
            ))
        }),
    }
}

fn projbgd(c: &Ctx, m: Module) -> Step<'_> {
    let chip = c.w(&naming::instrmap_file(m));
    let asp = c.w(&naming::aspecthist_file(m));
    let refimg = c.refimg();
    Step {
        name: format!("projbgd {}", m.letter()),
        section: "",
        inputs: vec![refimg.clone(), chip.clone(), asp.clone()],
        action: Box::new(move || {
            let r = crate::tasks::projbgd::projbgd(&crate::tasks::projbgd::ProjbgdRequest {
                refimg: refimg.clone(),
                out: c.out(&c.w(&naming::bgdap_file(m))),
                module: m,
                dets: vec![0, 1, 2, 3],
                chipmap: chip.clone(),
                aspect: asp.clone(),
                auxil: c.auxil.clone(),
            })?;
            Ok(Done::new(
                format!("aperture sum {:.1}", r.aperture_sum),
                r.written,
            ))
        }),
    }
}

fn getspec(c: &Ctx, e: Extraction) -> Step<'_> {
    let evt = c.events(e.module);
    Step {
        name: format!("getspec {}", e.prefix),
        section: "spectra",
        inputs: vec![evt.clone(), e.region.clone()],
        action: Box::new(move || {
            let r = crate::tasks::getspec::getspec(&crate::tasks::getspec::GetspecRequest {
                evt: evt.clone(),
                reg: e.region.clone(),
                outdir: c.cfg.workdir.clone(),
                outprefix: Some(e.prefix.clone()),
                group: c.cfg.grouping,
                rmf: RmfSource::Caldb(c.caldb.clone()),
                clobber: true,
            })?;
            Ok(Done::new(
                format!("{} events, {} groups", r.events, r.groups),
                vec![r.pha, r.grouped, r.rmf],
            ))
        }),
    }
}

/// The projected images of module `m`.
fn images(c: &Ctx, m: Module) -> ModuleImages {
    let bgdap = c.w(&naming::bgdap_file(m));
    let det = [0, 1, 2, 3].map(|d| naming::det_image_path(&bgdap, d, m));
    ModuleImages { bgdap, det }
}

/// The bgdinfo.json of the run: the background spectra in fit order, both modules'
/// images, fcxb links between the modules' spectra of the same region.
pub fn bgdinfo_value(c: &Ctx) -> BgdInfo {
    let order = c.fit_order();
    let mut links = Vec::new();
    if c.cfg.fcxb_links == FcxbLinks::Modules {
        for (i, pair) in order.windows(2).enumerate() {
            if pair[0].index == pair[1].index && pair[0].module != pair[1].module {
                links.push((i + 1, i + 2));
            }
        }
    }
    let mods = c.cfg.modules();
    let has = |m: Module| mods.contains(&m).then(|| images(c, m));
    BgdInfo {
        bgfiles: order.iter().map(|e| c.grouped(&e.prefix)).collect(),
        regfiles: order.iter().map(|e| e.region.clone()).collect(),
        refimg: c.refimg(),
        a: has(Module::A),
        b: has(Module::B),
        fcxb_links: links,
        fix_line_ratios: c.cfg.fix_line_ratios,
    }
}

fn bgdinfo(c: &Ctx) -> Step<'_> {
    let info = bgdinfo_value(c);
    let mut inputs: Vec<PathBuf> = info.bgfiles.iter().chain(&info.regfiles).cloned().collect();
    for m in [&info.a, &info.b].into_iter().flatten() {
        inputs.push(m.bgdap.clone());
        inputs.extend(m.det.iter().cloned());
    }
    Step {
        name: "bgdinfo".into(),
        section: "fit",
        inputs,
        action: Box::new(move || {
            let out = c.out(&c.w("bgdinfo.json"));
            info.write(&out)?;
            Ok(Done::new(
                format!(
                    "{} background spectra, {} fcxb links",
                    info.bgfiles.len(),
                    info.fcxb_links.len()
                ),
                vec![out.path],
            ))
        }),
    }
}

fn fit(c: &Ctx) -> Step<'_> {
    let info = c.w("bgdinfo.json");
    Step {
        name: "fit".into(),
        section: "fit",
        inputs: vec![info.clone()],
        action: Box::new(move || {
            let r = crate::tasks::fit_task::fit_task(&crate::tasks::fit_task::FitRequest {
                bgdinfo: info.clone(),
                savefile: c.out(&c.w("bgdparams.xcm")),
                fit: true,
                statistic: c.cfg.statistic,
                solar_off: !c.cfg.solar,
                force: false,
                intn_port_scale: false,
                caldb: c.caldb.clone(),
                auxil: c.auxil.clone(),
            })?;
            let detail = match &r.fit {
                Some(f) => format!(
                    "{} {:.2} for {} dof; {}",
                    c.cfg.statistic, f.statistic, f.dof, f.summary
                ),
                None => String::new(),
            };
            let free = free_parameters(&r, &c.w("bgdparams.xcm"))?;
            let facts = match &r.fit {
                Some(f) => serde_json::json!({
                    "free": free,
                    "statistic_name": c.cfg.statistic.to_string(),
                    "statistic": f.statistic,
                    "dof": f.dof,
                    "converged": f.summary.starts_with("converged"),
                    "summary": f.summary,
                    "table": f.table,
                    "notes": f.notes,
                }),
                None => serde_json::Value::Null,
            };
            let outputs = r.written.clone();
            *c.fit.borrow_mut() = Some(r);
            Ok(Done {
                detail,
                outputs,
                facts,
            })
        }),
    }
}

/// Each free parameter of the fit: its source and name, start value (the model save file),
/// fitted value, 1σ error (covariance) and whether it ended at a limit.
fn free_parameters(
    r: &crate::tasks::fit_task::FitSummary,
    model: &Path,
) -> Result<Vec<serde_json::Value>> {
    let Some((sess, fit)) = &r.fitted else {
        return Ok(Vec::new());
    };
    let start = crate::spectral::run::load(model, false)?;
    let mut v = Vec::new();
    for (k, a) in fit.free.iter().enumerate() {
        let p = &sess.params[a.source][a.index];
        let source = sess.sources[a.source].name.clone().unwrap_or_default();
        let err = fit
            .covariance
            .get(k)
            .and_then(|row| row.get(k))
            .map(|x| x.max(0.0).sqrt());
        v.push(serde_json::json!({
            "source": source,
            "index": a.index + 1,
            "name": p.name,
            "start": start.params.get(a.source).and_then(|s| s.get(a.index)).map(|q| q.value),
            "value": p.value,
            "error": err,
            "pegged": fit.at_limit.get(k).is_some_and(|l| l.is_some()),
        }));
    }
    Ok(v)
}

fn absrmf(c: &Ctx, m: Module) -> Step<'_> {
    let evt = c.events(m);
    Step {
        name: format!("absrmf {}", m.letter()),
        section: "",
        inputs: vec![evt.clone()],
        action: Box::new(move || {
            let r = crate::tasks::absrmf::absrmf(&crate::tasks::absrmf::AbsrmfRequest {
                evt: evt.clone(),
                outprefix: c.w("det").to_string_lossy().into_owned(),
                rmf: RmfSource::Caldb(c.caldb.clone()),
                detabs: DetabsSource::Caldb(c.caldb.clone()),
                clobber: true,
            })?;
            let mut cal: Vec<String> = r
                .rmf_files
                .iter()
                .chain(&r.detabs_files)
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect();
            cal.dedup();
            Ok(Done::new(
                format!("CALDB {}", cal.join(", ")),
                r.outputs.to_vec(),
            ))
        }),
    }
}

fn refspec(c: &Ctx) -> Step<'_> {
    let mods = c.cfg.modules();
    let inputs = mods
        .iter()
        .flat_map(|m| (0..4).map(move |d| (d, *m)))
        .map(|(d, m)| c.w(&format!("det{d}{}.rmf", m.letter())))
        .collect();
    Step {
        name: "refspec".into(),
        section: "",
        inputs,
        action: Box::new(move || {
            let r = crate::tasks::refspec::refspec(&crate::tasks::refspec::RefspecRequest {
                dir: c.cfg.workdir.clone(),
                mods: mods.clone(),
                dets: vec![0, 1, 2, 3],
                auxil: c.auxil.clone(),
                clobber: true,
            })?;
            Ok(Done::new(
                format!("{} pairs of reference spectra", r.written.len()),
                r.written
                    .into_iter()
                    .flat_map(|(a, f, _, _)| [a, f])
                    .collect(),
            ))
        }),
    }
}
