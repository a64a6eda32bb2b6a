//! `batch`: `run` for every observation folder of a list, a bounded number of jobs at once,
//! one failure (an error or even a panic) never stopping the others; a summary table
//! (observation, status, fit statistic, time, report) and the same as CSV.
//!
//! Each observation's configuration comes from one template: an `nuskybgd.toml` whose
//! observation-specific parts are filled per observation by the discovery `init` does
//! (`[observation]` obsid and event_cl from the files in `OBSDIR/event_cl`; `[regions]`,
//! when the template has none, from the `bgd*.reg`/`src*.reg` found there), with region
//! paths the template gives read from each observation's `event_cl/bgd` folder. The result
//! is written, commented as `init` writes it, to `OBSDIR/event_cl/bgd/nuskybgd.toml` with a
//! first line naming the template. An existing configuration without that line (the
//! user's own, or one written from another template) is never rewritten: it is run as it
//! is, and the table says so (`clobber` rewrites it from the template). A rerun rewrites
//! nothing that did not change, so `run`'s own rule skips every step of a finished
//! observation ("up to date").

use crate::error::{Error, PipelineError, Result};
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::pipeline::run::config::{config_text, relative, RunConfig, CONFIG_NAME};
use crate::pipeline::run::init;
use crate::pipeline::run::{run, RunRequest, Status};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use toml::{Table, Value};

/// The start of the first line of a configuration `batch` wrote; the template's absolute
/// path follows it.
pub const MARKER: &str = "# written by `nuskybgd batch` from ";

/// The header line of the summary CSV (a file starting so may be rewritten by a rerun).
pub const CSV_HEADER: &str =
    "observation,folder,status,statistic_name,statistic,dof,seconds,config,report,error";

/// Largest list file read (bytes): a list is one folder a line.
const MAX_LIST_BYTES: u64 = 16 << 20;

/// What `batch` is asked to do.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// The list: one observation folder a line (the folder holding `event_cl/`, or the
    /// `event_cl` folder), relative to the list's folder; blank lines and lines starting
    /// with `#` are skipped.
    pub list: PathBuf,
    /// The template configuration.
    pub template: PathBuf,
    /// Jobs at once (at least 1; never more than the observations).
    pub jobs: usize,
    /// The summary CSV; None: `<list without extension>.summary.csv` beside the list.
    pub out: Option<PathBuf>,
    /// Rewrite every observation's configuration from the template, the user's own too.
    pub clobber: bool,
    /// Calibration: the auxiliary folder and the CALDB.
    pub auxil: PathBuf,
    pub caldb: Caldb,
}

/// What became of one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    /// The run ran at least one step and finished.
    Ran,
    /// Every step was up to date: nothing ran.
    UpToDate,
    /// The configuration or a step failed, or the job panicked.
    Failed,
}

impl JobStatus {
    /// The word the table and the CSV show: "ok", "up to date" or "failed".
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Ran => "ok",
            JobStatus::UpToDate => "up to date",
            JobStatus::Failed => "failed",
        }
    }
}

/// The fit's statistic as the run recorded it (`run.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct FitStatistic {
    /// "chi" or "cstat".
    pub name: String,
    pub value: f64,
    pub dof: u64,
}

/// One observation of the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListEntry {
    /// The folder as the list writes it.
    pub name: String,
    /// 1-based line of the list.
    pub line: usize,
    /// The folder, absolute.
    pub folder: PathBuf,
}

/// One observation's outcome: a row of the table.
#[derive(Debug, Clone)]
pub struct JobReport {
    pub entry: ListEntry,
    pub status: JobStatus,
    pub statistic: Option<FitStatistic>,
    /// Wall time of the job (s).
    pub seconds: f64,
    /// The configuration run.
    pub config: Option<PathBuf>,
    /// True when that configuration is the user's own (not written from the template).
    pub own_config: bool,
    /// The run's report, when it exists.
    pub report: Option<PathBuf>,
    /// The one-line failure, when the job failed.
    pub error: Option<String>,
}

/// What `batch` did.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    /// One report per observation, in the list's order.
    pub jobs: Vec<JobReport>,
    /// The summary CSV written.
    pub csv: PathBuf,
    /// Jobs that ran at once.
    pub pool: usize,
}

impl BatchSummary {
    /// How many observations failed.
    pub fn failed(&self) -> usize {
        self.jobs
            .iter()
            .filter(|j| j.status == JobStatus::Failed)
            .count()
    }
}

/// The summary CSV of `req`: `out=`, else beside the list.
pub fn summary_path(req: &BatchRequest) -> PathBuf {
    match &req.out {
        Some(p) => p.clone(),
        None => req.list.with_extension("summary.csv"),
    }
}

/// Run every observation of the list, `req.jobs` at once, telling `done` of each as it
/// finishes (from the job's thread); then write the summary CSV. Fails only when the list,
/// the template or the summary file cannot be used: a failed observation is a row.
pub fn batch(req: &BatchRequest, done: &(dyn Fn(&JobReport) + Sync)) -> Result<BatchSummary> {
    let entries = read_list(&req.list)?;
    let csv = summary_path(req);
    check_summary(&csv, req.clobber)?;
    let tpl = Template::read(&req.template)?;
    let pool = req.jobs.clamp(1, entries.len());
    let jobs = run_pool(
        &entries,
        pool,
        |e| {
            let r = job(req, &tpl, e);
            done(&r);
            r
        },
        |e, msg| {
            let r = failed(e, 0.0, PipelineError::BatchJobPanic { msg }.into());
            done(&r);
            r
        },
    );
    Output::new(&csv.to_string_lossy(), true).write_text(&csv_text(&jobs))?;
    Ok(BatchSummary { jobs, csv, pool })
}

/// Read the list: one folder a line, relative to the list's folder; every folder must
/// exist and be listed once.
pub fn read_list(path: &Path) -> Result<Vec<ListEntry>> {
    let read_err = |source| PipelineError::BatchListRead {
        path: path.into(),
        source,
    };
    let len = std::fs::metadata(path).map_err(read_err)?.len();
    if len > MAX_LIST_BYTES {
        return Err(read_err(std::io::Error::other("larger than 16 MiB")).into());
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let base = abs.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut out: Vec<ListEntry> = Vec::new();
    let mut seen: Vec<(PathBuf, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let name = raw.trim();
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        let folder = base.join(name);
        let line = i + 1;
        let Ok(real) = std::fs::canonicalize(&folder) else {
            return Err(list_folder(path, line, folder));
        };
        if !real.is_dir() {
            return Err(list_folder(path, line, folder));
        }
        let key = init::event_cl_dir(&real);
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            return Err(PipelineError::BatchListRepeated {
                path: path.into(),
                line,
                first: *first,
                folder,
            }
            .into());
        }
        seen.push((key, line));
        out.push(ListEntry {
            name: name.to_string(),
            line,
            folder: real,
        });
    }
    if out.is_empty() {
        return Err(PipelineError::BatchListEmpty { path: path.into() }.into());
    }
    Ok(out)
}

fn list_folder(path: &Path, line: usize, folder: PathBuf) -> Error {
    PipelineError::BatchListFolder {
        path: path.into(),
        line,
        folder,
    }
    .into()
}

/// An existing summary file may be replaced only when a batch wrote it (or `clobber`).
fn check_summary(csv: &Path, clobber: bool) -> Result<()> {
    if clobber || !csv.exists() {
        return Ok(());
    }
    let first = std::fs::read_to_string(csv).unwrap_or_default();
    if first.lines().next() == Some(CSV_HEADER) {
        Ok(())
    } else {
        Err(PipelineError::BatchSummaryExists { path: csv.into() }.into())
    }
}

/// Run `f` on every item with `n` worker threads taking the next item as they finish; a
/// panic in `f` becomes `on_panic(item, message)`, and the others go on. Results in the
/// items' order.
pub fn run_pool<T: Sync, R: Send>(
    items: &[T],
    n: usize,
    f: impl Fn(&T) -> R + Sync,
    on_panic: impl Fn(&T, String) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..n.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(item)))
                    .unwrap_or_else(|p| on_panic(item, panic_text(p.as_ref())));
                slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

/// One observation: its configuration, the run, and what the run recorded.
fn job(req: &BatchRequest, tpl: &Template, e: &ListEntry) -> JobReport {
    let t0 = Instant::now();
    let (config, own) = match observation_config(tpl, &e.folder, req.clobber) {
        Ok(c) => c,
        Err(err) => return failed(e, t0.elapsed().as_secs_f64(), err),
    };
    let rr = RunRequest::new(config.clone(), req.auxil.clone(), req.caldb.clone());
    let s = match run(&rr, &mut |_, _, _, _| {}) {
        Ok(s) => s,
        Err(err) => {
            let mut r = failed(e, t0.elapsed().as_secs_f64(), err);
            (r.config, r.own_config) = (Some(config), own);
            return r;
        }
    };
    let status = if s.steps.iter().any(|r| r.status == Status::Ran) {
        JobStatus::Ran
    } else {
        JobStatus::UpToDate
    };
    let report = s.workdir.join("report.html");
    JobReport {
        entry: e.clone(),
        status,
        statistic: fit_statistic(&s.state),
        seconds: t0.elapsed().as_secs_f64(),
        config: Some(config),
        own_config: own,
        report: report.is_file().then_some(report),
        error: None,
    }
}

fn failed(e: &ListEntry, seconds: f64, err: Error) -> JobReport {
    JobReport {
        entry: e.clone(),
        status: JobStatus::Failed,
        statistic: None,
        seconds,
        config: None,
        own_config: false,
        report: None,
        error: Some(err.to_string().replace(['\n', '\r'], " ")),
    }
}

/// The fit's statistic from a run's state file, when the fit step has run.
fn fit_statistic(state: &Path) -> Option<FitStatistic> {
    let text = std::fs::read_to_string(state).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let f = &v["steps"]["fit"]["facts"];
    Some(FitStatistic {
        name: f["statistic_name"].as_str()?.to_string(),
        value: f["statistic"].as_f64()?,
        dof: f["dof"].as_u64()?,
    })
}

/// The template, parsed once.
struct Template {
    /// Absolute path (named in the first line of every configuration written from it).
    path: PathBuf,
    table: Table,
}

impl Template {
    fn read(path: &Path) -> Result<Template> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::ConfigRead {
            path: path.into(),
            source,
        })?;
        let table: Table =
            text.parse()
                .map_err(|e: toml::de::Error| PipelineError::ConfigSyntax {
                    path: path.into(),
                    msg: e.message().to_string(),
                })?;
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Template { path, table })
    }

    fn marker(&self) -> String {
        format!("{MARKER}{}", self.path.display())
    }
}

/// The configuration of the observation in `folder`: the user's own when there is one
/// (and not `clobber`), else written from the template (rewritten only when it changed).
/// The path, and whether it is the user's own.
fn observation_config(tpl: &Template, folder: &Path, clobber: bool) -> Result<(PathBuf, bool)> {
    let event_cl = init::event_cl_dir(folder);
    let workdir = event_cl.join("bgd");
    let path = workdir.join(CONFIG_NAME);
    let existing = std::fs::read_to_string(&path).ok();
    if let Some(text) = &existing {
        if !clobber && text.lines().next() != Some(tpl.marker().as_str()) {
            return Ok((path, true));
        }
    }
    let (obsid, found_modules) = init::find_observation(&event_cl)?;
    let (table, found) = filled(tpl, &event_cl, &workdir, &obsid, &found_modules)?;
    std::fs::create_dir_all(&workdir).map_err(|e| PipelineError::CreateDir {
        path: workdir.clone(),
        source: e,
    })?;
    let tmp = workdir.join(format!("{CONFIG_NAME}.batch.tmp"));
    std::fs::write(&tmp, toml_text(&table))?;
    let cfg = RunConfig::read(&tmp);
    let _ = std::fs::remove_file(&tmp);
    let cfg = cfg.map_err(|e| PipelineError::BatchConfig {
        template: tpl.path.clone(),
        observation: folder.into(),
        msg: e.message(),
    })?;
    let body = config_text(&cfg, &workdir, &found).replacen(
        "written by `nuskybgd init`",
        "written by `nuskybgd batch`",
        1,
    );
    let text = format!(
        "{}\n# (rewritten by each batch run; delete this line to keep your edits)\n{body}",
        tpl.marker()
    );
    if existing.as_deref() != Some(text.as_str()) {
        Output::new(&path.to_string_lossy(), true).write_text(&text)?;
    }
    Ok((path, false))
}

/// The template with this observation's parts filled: `[observation]` obsid and event_cl
/// (modules: the template's, else every module with event files) and, when the template
/// has no `[regions]`, the region files found. Also the lines saying what was found.
fn filled(
    tpl: &Template,
    event_cl: &Path,
    workdir: &Path,
    obsid: &str,
    found_modules: &[Module],
) -> Result<(Table, Vec<String>)> {
    let mut t = tpl.table.clone();
    let mut obs = match t.get("observation") {
        Some(Value::Table(o)) => o.clone(),
        _ => Table::new(),
    };
    let modules = template_modules(&obs).unwrap_or_else(|| found_modules.to_vec());
    let mut found = Vec::new();
    for &m in &modules {
        found.extend(init::module_files(event_cl, obsid, m)?);
    }
    obs.insert("obsid".into(), Value::String(obsid.into()));
    obs.insert(
        "event_cl".into(),
        Value::String(relative(event_cl, workdir)),
    );
    t.insert("observation".into(), Value::Table(obs));
    if !t.contains_key("regions") {
        t.insert(
            "regions".into(),
            Value::Table(found_regions(event_cl, workdir, &modules)?),
        );
    }
    Ok((t, found))
}

/// The template's `observation.modules`, when given as letters.
fn template_modules(obs: &Table) -> Option<Vec<Module>> {
    let list = obs.get("modules")?.as_array()?;
    list.iter()
        .map(|v| {
            v.as_str()
                .filter(|s| s.len() == 1)
                .and_then(|s| s.chars().next())
                .and_then(Module::from_letter)
        })
        .collect()
}

/// `[regions]` from the `bgd*.reg`/`src*.reg` files `init` would find.
fn found_regions(event_cl: &Path, workdir: &Path, modules: &[Module]) -> Result<Table> {
    let mut regions = Table::new();
    let strings = |v: Vec<PathBuf>| {
        Value::Array(
            v.iter()
                .map(|p| Value::String(p.display().to_string()))
                .collect(),
        )
    };
    for &m in modules {
        let bgd = init::found_regions(&[workdir, event_cl], "bgd", m);
        if bgd.is_empty() {
            return Err(PipelineError::NoBackgroundRegions {
                path: event_cl.into(),
            }
            .into());
        }
        let mut own = Table::new();
        own.insert("background".into(), strings(bgd));
        let src = init::found_regions(&[workdir, event_cl], "src", m);
        own.insert("source".into(), strings(src));
        regions.insert(m.letter().to_string(), Value::Table(own));
    }
    Ok(regions)
}

/// A TOML table as text: plain keys first, then one `[section]` per sub-table, deeper
/// tables as dotted keys.
fn toml_text(t: &Table) -> String {
    let mut plain = String::new();
    let mut sections = String::new();
    for (k, v) in t {
        match v {
            Value::Table(sub) => {
                sections += &format!("\n[{}]\n", toml_key(k));
                dotted(&mut sections, "", sub);
            }
            other => plain += &format!("{} = {}\n", toml_key(k), toml_value(other)),
        }
    }
    plain + &sections
}

fn dotted(out: &mut String, prefix: &str, t: &Table) {
    for (k, v) in t {
        let key = format!("{prefix}{}", toml_key(k));
        match v {
            Value::Table(sub) => dotted(out, &format!("{key}."), sub),
            other => *out += &format!("{key} = {}\n", toml_value(other)),
        }
    }
}

fn toml_key(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        k.to_string()
    } else {
        serde_json::Value::String(k.into()).to_string()
    }
}

fn toml_value(v: &Value) -> String {
    match v {
        // JSON's string escapes are all TOML basic-string escapes
        Value::String(s) => serde_json::Value::String(s.clone()).to_string(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "nan".into(),
        Value::Float(f) if f.is_infinite() => (if *f > 0.0 { "inf" } else { "-inf" }).into(),
        Value::Float(f) => format!("{f:?}"),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", toml_key(k), toml_value(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

/// The fit statistic as the table shows it: `chi 412.31/398`.
pub fn statistic_text(s: &Option<FitStatistic>) -> String {
    match s {
        Some(f) => format!("{} {:.2}/{}", f.name, f.value, f.dof),
        None => "-".into(),
    }
}

/// The summary table: observation, status, fit statistic, time, and the report (or the
/// failure) of each observation.
pub fn table_text(jobs: &[JobReport]) -> String {
    let rows: Vec<[String; 5]> = jobs
        .iter()
        .map(|j| {
            let mut status = j.status.as_str().to_string();
            if j.own_config {
                status += " (own config)";
            }
            let last = match (&j.error, &j.report) {
                (Some(e), _) => e.clone(),
                (None, Some(r)) => r.display().to_string(),
                (None, None) => "-".into(),
            };
            let time = format!("{:.1} s", j.seconds);
            [
                j.entry.name.clone(),
                status,
                statistic_text(&j.statistic),
                time,
                last,
            ]
        })
        .collect();
    let head = ["observation", "status", "fit statistic", "time", "report"];
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .chain([head[c].len()])
            .max()
            .unwrap_or(0)
    };
    let w: Vec<usize> = (0..4).map(width).collect();
    let line = |r: [&str; 5]| {
        format!(
            "{:<a$}  {:<b$}  {:>c$}  {:>d$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        )
    };
    let mut t = line(head);
    for r in &rows {
        t += &line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    t
}

/// The summary as CSV ([`CSV_HEADER`], one row per observation in the list's order).
pub fn csv_text(jobs: &[JobReport]) -> String {
    let mut t = format!("{CSV_HEADER}\n");
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    for j in jobs {
        let s = j.statistic.as_ref();
        let status = if j.own_config {
            format!("{} (own config)", j.status.as_str())
        } else {
            j.status.as_str().to_string()
        };
        let fields = [
            j.entry.name.clone(),
            j.entry.folder.display().to_string(),
            status,
            s.map(|s| s.name.clone()).unwrap_or_default(),
            s.map(|s| format!("{}", s.value)).unwrap_or_default(),
            s.map(|s| s.dof.to_string()).unwrap_or_default(),
            format!("{:.3}", j.seconds),
            path(&j.config).unwrap_or_default(),
            path(&j.report).unwrap_or_default(),
            j.error.clone().unwrap_or_default(),
        ];
        let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        t += &cells.join(",");
        t += "\n";
    }
    t
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_job_is_a_row_and_the_others_finish() {
        let items: Vec<u32> = (0..7).collect();
        let out = run_pool(
            &items,
            3,
            |&i| {
                if i == 3 {
                    panic!("job {i} broke");
                }
                format!("ok {i}")
            },
            |&i, msg| format!("panic {i}: {msg}"),
        );
        assert_eq!(out.len(), 7);
        assert_eq!(out[3], "panic 3: job 3 broke");
        assert_eq!(out[6], "ok 6");
    }

    #[test]
    fn toml_text_reads_back_the_same_table() {
        let src = "top = 1\n[fit]\nstatistic = \"c\\\"stat\"\nband = [3.0, 2e-5]\n[regions]\nA.background = [\"../a b.reg\"]\n";
        let t: Table = src.parse().unwrap();
        let back: Table = toml_text(&t).parse().unwrap();
        assert_eq!(t, back);
    }

    #[test]
    fn csv_fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
