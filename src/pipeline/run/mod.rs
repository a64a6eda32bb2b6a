//! `init` and `run`: from an observation folder to a fitted background in one command.
//! `init` writes the configuration (`event_cl/bgd/nuskybgd.toml`); `run` runs every step
//! of the originals' README on it, skipping a step when the configuration values it
//! depends on are unchanged, each input is as it was when the step last finished, and its
//! outputs are all there (`run.json` remembers); an interrupted run resumes. Everything
//! the steps report goes to `run.log`.

pub mod config;
pub mod figures;
pub mod init;
mod report;
mod source_steps;
pub mod state;
pub mod steps;

use crate::error::{PipelineError, Result};
use crate::nustar::caldb::Caldb;
use config::RunConfig;
use state::{stamp, RunState, StepState};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What `run` is asked to do.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The configuration file.
    pub config: PathBuf,
    /// Run every step, up to date or not.
    pub force: bool,
    /// Run this step (a step name, or the start of names: `getspec`) and every later one.
    pub from: Option<String>,
    /// Run only the steps so named (as `from`).
    pub only: Option<String>,
    /// Stop after the last step so named (the demo's recovery runs stop after `fit`).
    pub until: Option<String>,
    /// Calibration: the auxiliary folder and the CALDB.
    pub auxil: PathBuf,
    pub caldb: Caldb,
}

impl RunRequest {
    /// Every step as needed (nothing forced, none left out) with this calibration.
    pub fn new(config: PathBuf, auxil: PathBuf, caldb: Caldb) -> RunRequest {
        RunRequest {
            config,
            force: false,
            from: None,
            only: None,
            until: None,
            auxil,
            caldb,
        }
    }
}

/// What became of one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Ran,
    /// Up to date.
    Skipped,
    /// Not selected by `from=`/`only=`.
    NotSelected,
}

/// One step of a finished run.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub name: String,
    pub status: Status,
    pub seconds: f64,
    pub detail: String,
}

/// What a run did.
#[derive(Debug)]
pub struct RunSummary {
    pub steps: Vec<StepReport>,
    pub workdir: PathBuf,
    pub log: PathBuf,
    pub state: PathBuf,
    /// The fit, with its session and result, when the fit step ran in this run.
    pub fit: Option<crate::tasks::fit_task::FitSummary>,
}

/// Told of step `i` of `n`, named so, as it starts (`None`) and when it ends.
pub type Progress<'a> = dyn FnMut(usize, usize, &str, Option<&StepReport>) + 'a;

/// Run the configuration, telling `progress` of each step.
pub fn run(req: &RunRequest, progress: &mut Progress) -> Result<RunSummary> {
    let cfg = RunConfig::read(&req.config)?;
    std::fs::create_dir_all(&cfg.workdir).map_err(|e| PipelineError::CreateDir {
        path: cfg.workdir.clone(),
        source: e,
    })?;
    let ctx = steps::Ctx {
        cfg,
        caldb: req.caldb.clone(),
        auxil: req.auxil.clone(),
        fit: std::cell::RefCell::new(None),
    };
    check_events(&ctx)?;
    let plan = steps::plan(&ctx);
    let names: Vec<&str> = plan.iter().map(|s| s.name.as_str()).collect();
    let selected = selection(req, &names)?;
    let state_path = ctx.w("run.json");
    let log_path = ctx.w("run.log");
    let mut state = RunState::load(&state_path);
    state.provenance = provenance(req, &ctx);
    let mut log = Log::open(&log_path)?;
    log.line(&format!(
        "nuskybgd {} run {}",
        env!("CARGO_PKG_VERSION"),
        ctx.cfg.path.display()
    ));
    let mut reports = Vec::new();
    for (i, step) in plan.iter().enumerate() {
        progress(i, plan.len(), &step.name, None);
        let r = run_step(req, &ctx, step, selected[i], &mut state, &mut log);
        state.save(&state_path)?;
        let r = r?;
        progress(i, plan.len(), &step.name, Some(&r));
        reports.push(r);
    }
    Ok(RunSummary {
        steps: reports,
        workdir: ctx.cfg.workdir.clone(),
        log: log_path,
        state: state_path,
        fit: ctx.fit.take(),
    })
}

/// Refuse, before any step runs, a module whose event list is missing or has no events.
fn check_events(ctx: &steps::Ctx) -> Result<()> {
    for m in ctx.cfg.modules() {
        let evt = ctx.events(m);
        if !evt.is_file() {
            return Err(PipelineError::ObservationFileMissing {
                path: ctx.cfg.event_cl.clone(),
                what: "cleaned event file".into(),
                module: m.letter().into(),
                name: crate::nustar::naming::events_file(&ctx.cfg.obsid, m),
            }
            .into());
        }
        if crate::nustar::events::EventFile::open(&evt)?.is_empty()? {
            return Err(PipelineError::ModuleWithoutEvents {
                path: evt,
                module: m.letter().into(),
                config: ctx.cfg.path.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Which steps `from=`/`only=` select (all when neither is given).
fn selection(req: &RunRequest, names: &[&str]) -> Result<Vec<bool>> {
    let matches = |pat: &str| -> Result<Vec<bool>> {
        let v: Vec<bool> = names.iter().map(|n| n.starts_with(pat)).collect();
        if !v.contains(&true) {
            return Err(PipelineError::UnknownStep {
                name: pat.to_string(),
                steps: names.join(", "),
            }
            .into());
        }
        Ok(v)
    };
    let mut sel = match (&req.only, &req.from) {
        (Some(o), _) => matches(o)?,
        (None, Some(f)) => {
            let first = matches(f)?.iter().position(|b| *b).unwrap_or(0);
            (0..names.len()).map(|i| i >= first).collect()
        }
        (None, None) => vec![true; names.len()],
    };
    if let Some(u) = &req.until {
        let last = matches(u)?.iter().rposition(|b| *b).unwrap_or(names.len());
        sel.iter_mut().skip(last + 1).for_each(|s| *s = false);
    }
    Ok(sel)
}

/// What a step depends on besides its input files: its configuration section, the list of
/// its inputs and the calibration.
fn fingerprint(req: &RunRequest, ctx: &steps::Ctx, step: &steps::Step) -> String {
    let inputs: Vec<String> = step
        .inputs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    format!(
        "{} | inputs {} | auxil {} | caldb {}",
        ctx.cfg.section(step.section),
        inputs.join(" "),
        req.auxil.display(),
        req.caldb.root.display()
    )
}

fn run_step(
    req: &RunRequest,
    ctx: &steps::Ctx,
    step: &steps::Step,
    selected: bool,
    state: &mut RunState,
    log: &mut Log,
) -> Result<StepReport> {
    let fp = fingerprint(req, ctx, step);
    let report = |status, seconds, detail: &str| StepReport {
        name: step.name.clone(),
        status,
        seconds,
        detail: detail.to_string(),
    };
    let forced = req.force || req.only.is_some() || req.from.is_some();
    if !selected {
        return Ok(report(Status::NotSelected, 0.0, ""));
    }
    if let Some(s) = state.get(&step.name) {
        if !forced && s.up_to_date(&fp, &step.inputs) {
            log.line(&format!("{}: up to date", step.name));
            return Ok(report(Status::Skipped, 0.0, &s.detail));
        }
    }
    let t0 = Instant::now();
    let result = (step.action)();
    let seconds = t0.elapsed().as_secs_f64();
    match result {
        Ok(done) => {
            log.line(&format!("{}: {:.2} s: {}", step.name, seconds, done.detail));
            for o in &done.outputs {
                log.line(&format!("{}: wrote {}", step.name, o.display()));
            }
            state.set(
                &step.name,
                StepState {
                    fingerprint: fp,
                    inputs: step.inputs.iter().map(|p| (p.clone(), stamp(p))).collect(),
                    outputs: done.outputs,
                    seconds,
                    status: "ran".into(),
                    detail: done.detail.clone(),
                    facts: done.facts,
                },
            );
            Ok(report(Status::Ran, seconds, &done.detail))
        }
        Err(e) => {
            log.line(&format!("{}: failed: {e}", step.name));
            state.set(
                &step.name,
                StepState {
                    fingerprint: fp,
                    inputs: Vec::new(),
                    outputs: Vec::new(),
                    seconds,
                    status: format!("failed: {e}"),
                    detail: String::new(),
                    facts: serde_json::Value::Null,
                },
            );
            Err(PipelineError::RunStep {
                name: step.name.clone(),
                source: Box::new(e),
            }
            .into())
        }
    }
}

/// The run's provenance: the configuration, the calibration and the observation's files.
fn provenance(req: &RunRequest, ctx: &steps::Ctx) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    let file = |p: &Path| match stamp(p) {
        Some((len, t)) => {
            json!({"path": p.display().to_string(), "bytes": len, "mtime_ns": t.to_string()})
        }
        None => json!({"path": p.display().to_string(), "missing": true}),
    };
    let mut inputs = Vec::new();
    for m in ctx.cfg.modules() {
        inputs.push(file(&ctx.events(m)));
        inputs.push(file(
            &ctx.obs_file(&crate::nustar::naming::det1_file(&ctx.cfg.obsid, m)),
        ));
        inputs.push(file(
            &ctx.obs_file(&crate::nustar::naming::gti_file(&ctx.cfg.obsid, m)),
        ));
    }
    for r in &ctx.cfg.regions {
        for reg in r.background.iter().chain(&r.source) {
            inputs.push(file(reg));
        }
    }
    let mut v = serde_json::Map::new();
    v.insert("config".into(), json!(ctx.cfg.path.display().to_string()));
    v.insert(
        "config_text".into(),
        json!(std::fs::read_to_string(&ctx.cfg.path).unwrap_or_default()),
    );
    v.insert(
        "calibration".into(),
        json!({"auxil": req.auxil.display().to_string(), "caldb": req.caldb.root.display().to_string(),
               "caldb_index": file(&req.caldb.index_path())}),
    );
    v.insert("inputs".into(), json!(inputs));
    v.insert("caldb_files".into(), json!(caldb_files(req, ctx)));
    v
}

/// The CALDB files the steps select for this observation (the same lookups), with their
/// validity start and calibration boundary; a lookup that fails is recorded as such.
fn caldb_files(req: &RunRequest, ctx: &steps::Ctx) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut v = Vec::new();
    for m in ctx.cfg.modules() {
        let Ok(date) = crate::nustar::caldb::date_obs(&ctx.events(m)) else {
            continue;
        };
        let ins = m.instrume();
        let mut queries: Vec<(&str, Option<String>, Option<&str>)> = vec![("INSTRMAP", None, None)];
        for d in 0..4 {
            let det = Some(format!("DET{d}"));
            queries.push(("BADPIX", det.clone(), None));
            queries.push(("DETABS", det.clone(), None));
            queries.push(("GRPRMF", det, Some("DEPTHCUT(NOMINAL)")));
        }
        for (cnam, det, cbd) in queries {
            let r = match cbd {
                Some(b) => req
                    .caldb
                    .lookup_boundary(cnam, ins, det.as_deref(), &date, b),
                None => req.caldb.lookup(cnam, ins, det.as_deref(), &date),
            };
            v.push(match r {
                Ok(f) => json!({"cnam": cnam, "instrume": ins, "detnam": det, "date_obs": date,
                    "file": f.path.display().to_string(), "ext": f.ext,
                    "valid_from": f.valid_from, "cal_cbd": f.boundary}),
                Err(e) => {
                    json!({"cnam": cnam, "instrume": ins, "detnam": det, "error": e.to_string()})
                }
            });
        }
    }
    v
}

/// `run.log`: every step's report, appended with the time of day.
struct Log {
    file: std::fs::File,
    path: PathBuf,
}

impl Log {
    fn open(path: &Path) -> Result<Log> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| PipelineError::StateWrite {
                path: path.into(),
                source: e,
            })?;
        Ok(Log {
            file,
            path: path.into(),
        })
    }

    fn line(&mut self, text: &str) {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (h, m, s) = ((secs / 3600) % 24, (secs / 60) % 60, secs % 60);
        if writeln!(self.file, "{h:02}:{m:02}:{s:02} UTC {text}").is_err() {
            crate::errln!("nuskybgd run: cannot append to {}", self.path.display());
        }
    }
}
