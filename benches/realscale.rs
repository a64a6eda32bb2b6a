//! Real-scale benchmark: `run` on an observation simulated with full-size per-detector
//! responses (`simulate responses=full`: 4096 × 4096, ~7 M non-zeros each, eight of them)
//! and ~300 k events per module. The simulation is made first and not timed; `init` +
//! `run` then go in a child process so the peak memory printed is the run's alone. Prints
//! every step, the target beside the figures that bound it, and the figure before
//! this work (2026-12-03, same machine, `demo scale=real`). Run: `cargo bench --bench realscale`.

use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::pipeline::run::init::{init, InitRequest};
use nuskybgd::pipeline::run::{run, RunRequest, RunSummary};
use nuskybgd::sim::{simulate, Responses, SimRequest};
use std::path::Path;
use std::time::Instant;

const CHILD: &str = "NUSKYBGD_BENCH_REALSCALE_CHILD";

/// (step name prefix, target s, figure before this work s).
const TARGETS: [(&str, f64, f64); 4] = [
    ("getspec", 0.3, 0.46),
    ("fit", 0.15, 2.07),
    ("image", 0.3, 1.09),
    ("run", 10.0, 11.3),
];

fn main() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(Path::new(&dir));
        return;
    }
    let dir = std::env::temp_dir().join(format!("nuskybgd-bench-real-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut r = SimRequest::new(&dir);
    r.archive_layout = true;
    r.responses = Responses::Full;
    let t0 = Instant::now();
    let sim = simulate(&r).expect("simulate");
    println!(
        "simulate responses=full: {:.2} s, {} events (not timed below)",
        t0.elapsed().as_secs_f64(),
        sim.modules.iter().map(|m| m.n_events).sum::<usize>()
    );
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(CHILD, &dir)
        .status()
        .expect("child");
    assert!(out.success(), "the run failed");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The child: init + run on the simulation in `dir`; prints every step and the targets.
fn child(dir: &Path) {
    let obsdir = dir.join(nuskybgd::sim::DEFAULT_OBSID);
    let _ = std::fs::remove_dir_all(obsdir.join("event_cl/bgd"));
    let cfg = init(&InitRequest {
        obsdir: obsdir.clone(),
        bgdreg: Vec::new(),
        srcreg: Vec::new(),
        statistic: nuskybgd::spectral::stat::Statistic::Cstat,
        fcxb_links: nuskybgd::pipeline::run::config::FcxbLinks::None,
        clobber: false,
    })
    .expect("init")
    .config;
    let req = RunRequest::new(
        cfg,
        dir.join("auxil"),
        Caldb {
            root: dir.join("caldb"),
        },
    );
    let t = Instant::now();
    let mut cpu = Vec::new();
    let mut start = 0.0;
    let s = run(&req, &mut |_, _, _, done| match done {
        None => start = cpu_seconds(),
        Some(_) => cpu.push(cpu_seconds() - start),
    })
    .expect("run");
    let total = t.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    // CPU time over wall time: about 2 when a step keeps both cores busy, under 1 when it
    // waits on the disk
    println!("{:<22}{:>10}{:>10}", "step", "wall s", "cpu s");
    for (st, c) in s.steps.iter().zip(&cpu) {
        println!("{:<22}{:>10.3}{c:>10.3}", st.name, st.seconds);
    }
    let engine = engine_fit(&s.workdir.join("bgdparams.xcm"));
    println!(
        "{:<22}{:>10}{:>10}{:>10}",
        "figure", "now s", "target", "before"
    );
    println!(
        "{:<22}{engine:>10.3}{:>10.2}{:>10.2}",
        "fit (engine)", 0.15, 0.46
    );
    for (name, target, before) in TARGETS {
        let now = if name == "run" {
            total
        } else {
            worst(&s, name)
        };
        println!(
            "{:<22}{now:>10.3}{target:>10.2}{before:>10.2}",
            worst_label(name)
        );
    }
    println!(
        "{:<22}{peak:>10.0}{:>10}{:>10}",
        "run peak memory MB", 1024, 932
    );
}

/// The spectral fit alone, as the fit step makes it: the model save file loaded into a
/// session (the responses already read by this process), folded and fitted (cstat).
fn engine_fit(xcm: &Path) -> f64 {
    let t = Instant::now();
    let mut sess = nuskybgd::spectral::run::load(xcm, true).expect("load");
    sess.statistic = nuskybgd::spectral::stat::Statistic::Cstat;
    let x = nuskybgd::spectral::xcm::file::XcmFile::read(xcm).expect("xcm");
    let opts = nuskybgd::spectral::fit::FitOptions::from_xcm(&x);
    let r = nuskybgd::spectral::fit::fit(&mut sess, &opts).expect("fit");
    assert!(r.converged, "{}", r.summary(&opts));
    t.elapsed().as_secs_f64()
}

/// User + system CPU time of this process so far (s), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // the fields after the command name (which may hold spaces) end with ')'
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ')' (state is text)
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}

/// The longest step whose name starts with `prefix` (s); for getspec, after the first.
fn worst(s: &RunSummary, prefix: &str) -> f64 {
    let mut v: Vec<f64> = s
        .steps
        .iter()
        .filter(|st| st.name == prefix || st.name.starts_with(&format!("{prefix} ")))
        .map(|st| st.seconds)
        .collect();
    if prefix == "getspec" && !v.is_empty() {
        v.remove(0);
    }
    v.into_iter().fold(0.0, f64::max)
}

fn worst_label(name: &str) -> &'static str {
    match name {
        "getspec" => "getspec (slowest, 2nd+)",
        "fit" => "fit step",
        "image" => "image step",
        _ => "whole run",
    }
}
