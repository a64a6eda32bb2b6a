//! `nuskybgd init OBSDIR [bgdreg=…] [srcreg=…]` and `nuskybgd run CONFIG [force=yes]
//! [from=STEP] [only=STEP]`.

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::nustar::auxil::auxil_dir;
use crate::nustar::caldb::caldb_from_env;
use crate::pipeline::run::config::FcxbLinks;
use crate::pipeline::run::init::{init, InitRequest};
use crate::pipeline::run::{run, RunRequest, Status, StepReport};
use std::io::IsTerminal;
use std::path::PathBuf;

const INIT_USAGE: &str = "\
nuskybgd init OBSDIR [bgdreg=R1.reg,R2.reg,...] [srcreg=S1.reg,...] [statistic=chi|cstat]
              [fcxblinks=modules|none] [clobber=yes]

Finds the observation in OBSDIR (its event_cl/ folder, or OBSDIR itself when it is the
event_cl folder): nu<obsid>{A,B}01_cl.evt[.gz], nu<obsid>{A,B}_det1.fits[.gz] and
nu<obsid>{A,B}01_gti.fits[.gz], and writes event_cl/bgd/nuskybgd.toml, a commented
configuration stating what was found and every default (modules, regions per module,
image band, statistic, solar component, line ratios, fcxb links, grouping, work folder).
Background regions: bgdreg= (source-free sky), else the bgd*.reg files in event_cl/bgd or
event_cl; source regions: srcreg=, else the src*.reg files there. Refuses when files are
missing or several observations are present; with one module, writes a single-module
configuration and says so.

Example:
  nuskybgd init 90201039002 bgdreg=bgd1.reg,bgd2.reg srcreg=src.reg
";

const RUN_USAGE: &str = "\
nuskybgd run CONFIG [force=yes] [from=STEP] [only=STEP] [until=STEP]

Runs every step of the originals' README on the configuration init wrote: counts images,
instrument maps, aspect histograms and projected images per module, spectra and RMFs of
every region, bgdinfo.json, the fit (bgdparams.xcm, bgdparams_fit.xcm), detector RMFs and
reference spectra, and for each source region its background spectrum (BACKFILE set),
bgd_<src>.xcm and bgd_only_<src>.xcm; then the model images. Products keep the
originals' names, in the work folder (event_cl/bgd).
A step is skipped when the configuration values it depends on are unchanged, each of its
inputs is as it was when it last finished, and its outputs are all there (run.json
remembers); an interrupted run resumes where it stopped. force=yes runs every step;
from=STEP runs STEP and everything after it; only=STEP runs just the steps so named (a
name or its start: from=fit, only=getspec); until=STEP stops after it. One line per step goes to stderr; every
step's report to run.log (on a terminal, a bar shows the steps done and the one running);
provenance (configuration, calibration, inputs) to run.json.
Calibration: $NUSKYBGD_AUXIL and $CALDB. Figures are PNG unless [run] figures = \"svg\".

Example:
  nuskybgd run 90201039002/event_cl/bgd/nuskybgd.toml
";

/// The `init` entry in the command table.
pub fn init_task() -> Task {
    Task {
        name: "init",
        summary: "find an observation and write its run configuration",
        usage: INIT_USAGE,
        run: run_init,
    }
}

/// The `run` entry in the command table.
pub fn run_task() -> Task {
    Task {
        name: "run",
        summary: "every step from an observation to a fitted background",
        usage: RUN_USAGE,
        run: run_run,
    }
}

fn list(a: &Args, key: &str) -> Vec<PathBuf> {
    a.get(key)
        .map(|s| {
            s.split(',')
                .filter(|x| !x.trim().is_empty())
                .map(|x| PathBuf::from(x.trim()))
                .collect()
        })
        .unwrap_or_default()
}

fn run_init(a: &Args) -> Result<()> {
    let req = InitRequest {
        obsdir: PathBuf::from(a.pos(0, "OBSDIR")?),
        bgdreg: list(a, "bgdreg"),
        srcreg: list(a, "srcreg"),
        statistic: a.statistic(crate::spectral::stat::Statistic::Chi)?,
        fcxb_links: match a.get("fcxblinks").unwrap_or("modules") {
            "modules" => FcxbLinks::Modules,
            "none" => FcxbLinks::None,
            v => {
                return Err(crate::error::CliError::BadValue {
                    key: "fcxblinks".into(),
                    value: v.into(),
                    hint: "use modules or none".into(),
                }
                .into())
            }
        },
        clobber: a.flag("clobber", false)?,
    };
    a.finish(1)?;
    let s = init(&req)?;
    for f in &s.found {
        crate::outln!("init: {f}");
    }
    crate::outln!("init: wrote {}", s.config.display());
    crate::outln!("init: next: nuskybgd run {}", s.config.display());
    Ok(())
}

fn run_run(a: &Args) -> Result<()> {
    let req = RunRequest {
        config: PathBuf::from(a.pos(0, "CONFIG")?),
        force: a.flag("force", false)?,
        from: a.get("from").map(String::from),
        only: a.get("only").map(String::from),
        until: a.get("until").map(String::from),
        auxil: auxil_dir()?,
        caldb: caldb_from_env()?,
    };
    a.finish(1)?;
    let live = std::io::stderr().is_terminal();
    let s = run(&req, &mut |i, n, name, done| {
        progress(live, i, n, name, done)
    })?;
    let ran = s.steps.iter().filter(|r| r.status == Status::Ran).count();
    let total: f64 = s.steps.iter().map(|r| r.seconds).sum();
    crate::outln!(
        "run: {ran} of {} steps ran ({total:.1} s); products in {}; log {}",
        s.steps.len(),
        s.workdir.display(),
        s.log.display()
    );
    Ok(())
}

/// One line per step on stderr; on a terminal, a bar of the steps done under the lines,
/// naming the running step until it ends.
fn progress(live: bool, i: usize, n: usize, name: &str, done: Option<&StepReport>) {
    let head = format!("[{:>2}/{n}] {name:<22}", i + 1);
    match done {
        None if live => crate::errp!("{} {name} running…\x1b[K\r", bar(i, n)),
        None => {}
        Some(r) => {
            let what = match r.status {
                Status::Ran => format!("{:6.2} s  {}", r.seconds, r.detail),
                Status::Skipped => "up to date".to_string(),
                Status::NotSelected => "not selected".to_string(),
            };
            let clear = if live { "\x1b[K" } else { "" };
            crate::errln!("{head} {what}{clear}");
        }
    }
}

/// `[########------------] 12/30`: the steps finished of `n`, 30 characters wide.
fn bar(finished: usize, n: usize) -> String {
    const WIDTH: usize = 30;
    let full = (finished * WIDTH)
        .checked_div(n)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    format!(
        "[{}{}] {finished}/{n}",
        "#".repeat(full),
        "-".repeat(WIDTH - full)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_fills_with_the_steps_finished() {
        assert_eq!(super::bar(0, 30), format!("[{}] 0/30", "-".repeat(30)));
        assert_eq!(super::bar(15, 30).matches('#').count(), 15);
        assert_eq!(super::bar(30, 30), format!("[{}] 30/30", "#".repeat(30)));
        assert_eq!(super::bar(0, 0).matches('#').count(), 30);
    }
}
