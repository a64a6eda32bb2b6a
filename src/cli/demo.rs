//! `nuskybgd demo [OUTDIR] [seed=] [exposure=] [statistic=] [clobber=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::pipeline::demo::{demo, DemoReport, DemoRequest};
use crate::pipeline::recovery::table;
use crate::spectral::stat::Statistic;
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd demo [OUTDIR] [seed=1] [exposure=50000] [statistic=cstat] [clobber=yes]

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

Example:
  nuskybgd demo
  nuskybgd demo /tmp/nsb seed=7 exposure=100000
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
    a.finish(1)?;
    let r = demo(&DemoRequest {
        outdir: outdir.clone(),
        seed,
        exposure,
        statistic,
        clobber,
        fit_only: false,
        env_calibration: true,
    })?;
    print_report(&r, &outdir, statistic.name());
    Ok(())
}

/// The report as the command prints it.
pub fn print_report(r: &DemoReport, outdir: &std::path::Path, statistic: &str) {
    println!("demo: calibration: {}", r.calibration);
    println!(
        "demo: to run the tasks by hand on these files: {}",
        r.environment
    );
    println!("{:<22}{:>9}  what", "step", "time (s)");
    for s in &r.steps {
        println!("{:<22}{:>9.3}  {}", s.name, s.seconds, s.detail);
    }
    println!(
        "{:<22}{:>9.3}  peak memory {:.0} MB",
        "total",
        r.total_seconds(),
        peak_rss_mb()
    );
    println!();
    println!("products (under {}):", outdir.display());
    for (what, p) in &r.products {
        println!("  {what:<36} {}", p.display());
    }
    println!();
    println!(
        "fit: {statistic} {:.2} for {} degrees of freedom",
        r.statistic.0, r.statistic.1
    );
    println!("recovery of the simulated background (truth from the simulation, sigma from the fit's covariance):");
    print!("{}", table(&r.recovery));
    let (one, two) = r.coverage();
    println!(
        "within 1 sigma: {:.0}%, within 2 sigma: {:.0}% of {} normalisations (expected about 68% and 95% over many simulations)",
        100.0 * one,
        100.0 * two,
        r.recovery.len()
    );
}
