//! Benchmark of `batch`: 1, 2, 4 and 8 simulated observations (the demo's size, archive
//! layout) through `batch` with the default number of jobs, and the 8 again with 2 jobs;
//! the wall time per observation and the peak memory of each batch, which stay flat when
//! the cost grows linearly with the number of observations. Each batch runs in a child
//! process of its own, so its peak memory is its own. Run: `cargo bench --bench batch`.

use nuskybgd::cli::batch::DEFAULT_JOBS;
use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::pipeline::batch::{batch, BatchRequest, JobStatus};
use nuskybgd::sim::{simulate, SimRequest};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// (observations, jobs at once) of each batch measured.
const CASES: [(usize, usize); 5] = [
    (1, DEFAULT_JOBS),
    (2, DEFAULT_JOBS),
    (4, DEFAULT_JOBS),
    (8, DEFAULT_JOBS),
    (8, 2),
];
const CHILD: &str = "NUSKYBGD_BENCH_BATCH_CHILD";

fn main() {
    if let Ok(arg) = std::env::var(CHILD) {
        child(&arg);
        return;
    }
    let dir = std::env::temp_dir().join(format!("nuskybgd-bench-batch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t0 = Instant::now();
    let obs: Vec<PathBuf> = (0..8)
        .map(|k| {
            let mut r = SimRequest::new(dir.join(format!("sim{k}")));
            r.archive_layout = true;
            r.seed = 1 + k as u64;
            r.obsid = format!("6000100{k}002");
            simulate(&r).expect("simulate").obsdir
        })
        .collect();
    println!(
        "simulated {} observations in {:.1} s (not timed below)",
        obs.len(),
        t0.elapsed().as_secs_f64()
    );
    std::fs::write(dir.join("template.toml"), "[fit]\nstatistic = \"chi\"\n").expect("template");
    println!(
        "{:>12}{:>6}{:>10}{:>14}{:>10}{:>12}",
        "observations", "jobs", "wall s", "s/observation", "peak MB", "vs 1 obs"
    );
    let mut first = None;
    for (n, jobs) in CASES {
        for o in &obs {
            let _ = std::fs::remove_dir_all(o.join("bgd"));
        }
        let (wall, peak) = measure(&dir, &obs[..n], jobs);
        let per = wall / n as f64;
        let (base, base_peak) = *first.get_or_insert((per, peak));
        println!(
            "{n:>12}{jobs:>6}{wall:>10.2}{per:>14.2}{peak:>10.0}{:>11.2}x",
            per / base
        );
        if (n, jobs) == (8, DEFAULT_JOBS) {
            println!(
                "   linear: 8 observations cost {:.2}x the time per observation of 1, peak memory {:.2}x",
                per / base,
                peak / base_peak
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run `batch` on `obs` in a child process; its wall time (s) and peak memory (MB).
fn measure(dir: &Path, obs: &[PathBuf], jobs: usize) -> (f64, f64) {
    let list = dir.join(format!("list{}.txt", obs.len()));
    let text: Vec<String> = obs.iter().map(|o| o.display().to_string()).collect();
    std::fs::write(&list, text.join("\n") + "\n").expect("list");
    let sim0 = dir.join("sim0");
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(
            CHILD,
            format!(
                "{}|{}|{}|{jobs}",
                list.display(),
                dir.join("template.toml").display(),
                sim0.display()
            ),
        )
        .output()
        .expect("child");
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        out.status.success() && fields.len() == 2,
        "child failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (fields[0], fields[1])
}

/// The child: `LIST|TEMPLATE|SIMDIR|JOBS`; prints the wall time and the peak memory.
fn child(arg: &str) {
    let p: Vec<&str> = arg.split('|').collect();
    let sim = Path::new(p[2]);
    let req = BatchRequest {
        list: p[0].into(),
        template: p[1].into(),
        jobs: p[3].parse().expect("jobs"),
        out: None,
        clobber: false,
        auxil: sim.join("auxil"),
        caldb: Caldb {
            root: sim.join("caldb"),
        },
    };
    let t = Instant::now();
    let s = batch(&req, &|_| {}).expect("batch");
    let wall = t.elapsed().as_secs_f64();
    for j in &s.jobs {
        assert_eq!(j.status, JobStatus::Ran, "{:?}", j.error);
    }
    println!("{wall:.3} {:.1}", peak_rss_mb());
}
