//! Benchmark of the whole pipeline (`demo`) on one simulated observation: every step's
//! wall time, the total and the peak memory, against the targets of the workflow issue
//! (≤ 10 s and ≤ 500 MB on a 2-core machine). Run: `cargo bench --bench demo`.

use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::pipeline::demo::{demo, DemoRequest};

fn main() {
    let dir = std::env::temp_dir().join(format!("nuskybgd-bench-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = demo(&DemoRequest {
        outdir: dir.clone(),
        seed: 1,
        exposure: 5e4,
        statistic: nuskybgd::spectral::stat::Statistic::Cstat,
        clobber: false,
        fit_only: false,
        env_calibration: false,
    })
    .expect("demo");
    println!("{:<22}{:>10}", "step", "wall s");
    for s in &r.steps {
        println!("{:<22}{:>10.3}", s.name, s.seconds);
    }
    let total = r.total_seconds();
    let mem = peak_rss_mb();
    println!(
        "{:<22}{:>10.3}   target 10 s: {:.2} of it",
        "total",
        total,
        total / 10.0
    );
    println!(
        "{:<22}{:>10.0}   target 500 MB: {:.2} of it",
        "peak memory MB",
        mem,
        mem / 500.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
