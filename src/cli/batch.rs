//! `nuskybgd batch LIST.txt config=TEMPLATE.toml [jobs=N] [out=SUMMARY.csv] [clobber=yes]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, PipelineError, Result};
use crate::nustar::auxil::auxil_dir;
use crate::nustar::caldb::caldb_from_env;
use crate::pipeline::batch::{
    batch, statistic_text, table_text, BatchRequest, JobReport, JobStatus,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Jobs at once unless `jobs=` says otherwise (see the usage text for why).
pub const DEFAULT_JOBS: usize = 1;

const USAGE: &str = "\
nuskybgd batch LIST.txt config=TEMPLATE.toml [jobs=1] [out=LIST.summary.csv] [clobber=no]

Runs `nuskybgd run` on every observation folder of LIST.txt (one folder a line, relative
to the list's folder; the folder holding event_cl/, or event_cl itself; blank lines and
lines starting with # are skipped), jobs= of them at once; a failed observation (or a
crash in one) never stops the others. Each job's steps go to its own run.log; one line
per finished observation goes to stderr, then a table (observation, status, fit
statistic, time, report or the failure) to stdout and the same as CSV to out= (default:
LIST.summary.csv beside the list; rewritten by each batch run).

TEMPLATE.toml is an nuskybgd.toml (as init writes it) whose observation parts are filled
per observation by init's discovery: [observation] obsid and event_cl from the files in
OBSDIR/event_cl (modules: the template's, else every module with event files); when the
template has no [regions], the bgd*.reg/src*.reg found there; region paths the template
gives are read from each observation's event_cl/bgd folder (\"../bgd1A.reg\" is
event_cl/bgd1A.reg). The result goes to OBSDIR/event_cl/bgd/nuskybgd.toml, its first line
naming the template. A configuration there without that line (your own, or one from
another template) is run as it is (status \"ok (own config)\"); clobber=yes rewrites it
from the template.
A rerun skips what is done: every step of a finished observation is up to date (status
\"up to date\"), a failed one runs again.
Exit code 0 when every observation finished, 3 when some failed (the table says which),
1 when the list, the template (unreadable, not TOML) or the summary file cannot be used;
a key of the template that no configuration knows fails each observation, naming it.
jobs=: each run already spreads its heavy steps over every core, so on a small machine
(2 cores) one job at a time is right: a second one competes for the same cores and
doubles the memory (about one run's peak per job). With many cores, jobs= up to
cores/2 overlaps one job's serial parts (reading, writing, the fit) with another's.
Calibration: $NUSKYBGD_AUXIL and $CALDB.

Example:
  nuskybgd batch observations.txt config=template.toml jobs=2
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "batch",
        summary: "run many observations from one template, a few at once",
        usage: USAGE,
        run: run_batch,
    }
}

fn jobs(a: &Args) -> Result<usize> {
    match a.get("jobs") {
        None => Ok(DEFAULT_JOBS),
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if (1..=256).contains(&n) => Ok(n),
            _ => Err(CliError::BadValue {
                key: "jobs".into(),
                value: v.into(),
                hint: "a whole number of jobs at once, 1-256".into(),
            }
            .into()),
        },
    }
}

fn run_batch(a: &Args) -> Result<()> {
    let list = PathBuf::from(a.pos(0, "LIST")?);
    // a bad list is told before the calibration is looked for
    crate::pipeline::batch::read_list(&list)?;
    let req = BatchRequest {
        template: PathBuf::from(a.require("config")?),
        jobs: jobs(a)?,
        out: a.get("out").map(PathBuf::from),
        clobber: a.flag("clobber", false)?,
        list,
        auxil: auxil_dir()?,
        caldb: caldb_from_env()?,
    };
    a.finish(1)?;
    let finished = AtomicUsize::new(0);
    let s = batch(&req, &|j: &JobReport| {
        let k = finished.fetch_add(1, Ordering::SeqCst) + 1;
        crate::errln!("{}", done_line(k, j));
    })?;
    crate::out!("{}", table_text(&s.jobs));
    crate::outln!(
        "batch: {} observations, {} at once; summary {}",
        s.jobs.len(),
        s.pool,
        s.csv.display()
    );
    match s.failed() {
        0 => Ok(()),
        n => Err(PipelineError::BatchFailed {
            failed: n,
            total: s.jobs.len(),
            csv: s.csv,
        }
        .into()),
    }
}

/// One line for a finished observation.
fn done_line(k: usize, j: &JobReport) -> String {
    let what = match (&j.status, &j.error) {
        (JobStatus::Failed, Some(e)) => format!("failed: {e}"),
        (st, _) => format!("{}  {}", st.as_str(), statistic_text(&j.statistic)),
    };
    format!("batch: [{k}] {}  {:.1} s  {what}", j.entry.name, j.seconds)
}
