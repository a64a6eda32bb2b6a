//! Benchmark of `init` + `run` on the demo's simulated observation (archive layout): every
//! step's wall time, the total including plots and report, a second run (every step up to
//! date) and the peak memory, against the run issue's target (≤ 6 s for the first run).
//! Run: `cargo bench --bench run`.

use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::pipeline::run::init::{init, InitRequest};
use nuskybgd::pipeline::run::{run, RunRequest};
use nuskybgd::sim::{simulate, SimRequest};
use std::time::Instant;

fn main() {
    let dir = std::env::temp_dir().join(format!("nuskybgd-bench-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut r = SimRequest::new(&dir);
    r.archive_layout = true;
    let t0 = Instant::now();
    let sim = simulate(&r).expect("simulate");
    let t_sim = t0.elapsed().as_secs_f64();
    let cfg = init(&InitRequest {
        obsdir: sim.obsdir.clone(),
        bgdreg: Vec::new(),
        srcreg: Vec::new(),
        statistic: nuskybgd::spectral::stat::Statistic::Chi,
        fcxb_links: nuskybgd::pipeline::run::config::FcxbLinks::Modules,
        clobber: false,
    })
    .expect("init")
    .config;
    let req = RunRequest::new(
        cfg,
        sim.auxil.clone(),
        Caldb {
            root: sim.caldb.clone(),
        },
    );
    let t1 = Instant::now();
    let s = run(&req, &mut |_, _, _, _| {}).expect("run");
    let first = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    run(&req, &mut |_, _, _, _| {}).expect("second run");
    let second = t2.elapsed().as_secs_f64();
    println!("{:<22}{:>10}", "step", "wall s");
    for st in &s.steps {
        println!("{:<22}{:>10.3}", st.name, st.seconds);
    }
    println!(
        "{:<22}{:>10.3}   (not part of the target)",
        "simulate", t_sim
    );
    println!(
        "{:<22}{:>10.3}   target 6 s: {:.2} of it",
        "run, first",
        first,
        first / 6.0
    );
    println!(
        "{:<22}{:>10.3}   (every step up to date)",
        "run, second", second
    );
    println!("{:<22}{:>10.0}", "peak memory MB", peak_rss_mb());
    let _ = std::fs::remove_dir_all(&dir);
}
