//! `nuskybgd demo [OUTDIR] [seed=] [exposure=] [statistic=] [scale=small|real] [counts=]
//! [clobber=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::pipeline::demo::{demo_at, DemoReport, DemoRequest, DemoScale};
use crate::pipeline::recovery::table;
use crate::spectral::stat::Statistic;
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd demo [OUTDIR] [seed=1] [exposure=50000] [statistic=cstat] [scale=small]
              [counts=] [clobber=no]

The whole workflow on a simulated observation: simulates both modules in the archive
layout (OUTDIR/<obsid>/event_cl; with the calibration of NUSKYBGD_AUXIL and $CALDB when
set, else a built-in synthetic instrument, clearly labelled), then runs init and run on it
as on a real observation - mkimgs, mkinstrmap, aspecthist, projbgd, getspec (3 background
regions and a source region per module), fit, spec, simplify, image, bgdspec, absrmf,
refspec, the figures and report.html (in OUTDIR/<obsid>/event_cl/bgd) - with every fcxb
norm free, and prints the time of every step, where
the products are, and how well the fit recovered the simulated background: each free
normalisation against its truth, with its 1-sigma error. OUTDIR defaults to
nuskybgd_demo; existing files are kept unless clobber=yes.
scale=real simulates at real size (simulate responses=full: eight full-size detector
RMFs of 4096 x 4096 with ~7 M non-zeros each, different per detector, and counts=
expected events per module, 300000 unless given), so the whole pipeline can be timed at
the size of a real observation without CALDB; with differing detectors the recovery is
only approximate. scale=small (the default) keeps the small responses and ~1 event/s.

Example:
  nuskybgd demo
  nuskybgd demo /tmp/nsb seed=7 exposure=100000
  nuskybgd demo /tmp/nsb_real scale=real
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "demo",
        summary: "simulate an observation and run every task on it",
        usage: USAGE,
        run,
    }
}

/// Peak resident memory of this process (MB), from /proc (0 where unavailable).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn run(a: &Args) -> Result<()> {
    let outdir = PathBuf::from(
        a.positional
            .first()
            .map(String::as_str)
            .unwrap_or("nuskybgd_demo"),
    );
    let seed = match a.number("seed")? {
        Some(v) if v >= 0.0 && v.fract() == 0.0 => v as u64,
        Some(v) => {
            return Err(CliError::BadValue {
                key: "seed".into(),
                value: v.to_string(),
                hint: "use a whole number >= 0".into(),
            }
            .into())
        }
        None => 1,
    };
    let exposure = a.number("exposure")?.unwrap_or(50000.0);
    if !(exposure > 0.0) {
        return Err(CliError::BadValue {
            key: "exposure".into(),
            value: exposure.to_string(),
            hint: "must be positive (s)".into(),
        }
        .into());
    }
    let statistic = a.statistic(Statistic::Cstat)?;
    let clobber = a.flag("clobber", false)?;
    let counts = a.number("counts")?;
    let name = a.get("scale").unwrap_or("small");
    let scale = DemoScale::parse(name, counts).ok_or_else(|| CliError::BadValue {
        key: "scale".into(),
        value: name.to_string(),
        hint: "use small or real".into(),
    })?;
    if counts.is_some() && scale == DemoScale::Small {
        return Err(CliError::BadValue {
            key: "counts".into(),
            value: a.get("counts").unwrap_or_default().to_string(),
            hint: "counts= goes with scale=real (scale=small uses the nominal count)".into(),
        }
        .into());
    }
    a.finish(1)?;
    let r = demo_at(
        &DemoRequest {
            outdir: outdir.clone(),
            seed,
            exposure,
            statistic,
            clobber,
            fit_only: false,
            env_calibration: true,
        },
        scale,
    )?;
    print_report(&r, &outdir, statistic.name());
    Ok(())
}

/// The report as the command prints it.
pub fn print_report(r: &DemoReport, outdir: &std::path::Path, statistic: &str) {
    crate::outln!("demo: calibration: {}", r.calibration);
    crate::outln!(
        "demo: to run the tasks by hand on these files: {}",
        r.environment
    );
    crate::outln!("{:<22}{:>9}  what", "step", "time (s)");
    for s in &r.steps {
        crate::outln!("{:<22}{:>9.3}  {}", s.name, s.seconds, s.detail);
    }
    crate::outln!(
        "{:<22}{:>9.3}  peak memory {:.0} MB",
        "total",
        r.total_seconds(),
        peak_rss_mb()
    );
    crate::outln!();
    crate::outln!("products (under {}):", outdir.display());
    for (what, p) in &r.products {
        crate::outln!("  {what:<36} {}", p.display());
    }
    crate::outln!();
    crate::outln!(
        "fit: {statistic} {:.2} for {} degrees of freedom",
        r.statistic.0,
        r.statistic.1
    );
    crate::outln!("recovery of the simulated background (truth from the simulation, sigma from the fit's covariance):");
    crate::out!("{}", table(&r.recovery));
    let (one, two) = r.coverage();
    crate::outln!(
        "within 1 sigma: {:.0}%, within 2 sigma: {:.0}% of {} normalisations (expected about 68% and 95% over many simulations)",
        100.0 * one,
        100.0 * two,
        r.recovery.len()
    );
}
