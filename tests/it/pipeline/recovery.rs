//! Recovery of a known background: 20 simulated observations (built-in synthetic
//! instrument, 200 ks, seeds 1..20), each taken through mkimgs, mkinstrmap, aspecthist,
//! projbgd, getspec and the native cstat fit; the free background normalisations must
//! cover their truths at the rates 1σ and 2σ intervals promise (68% and 95%).

use crate::support;
use nuskybgd::pipeline::demo::{demo, DemoRequest};
use nuskybgd::pipeline::recovery::{coverage, Recovered};
use rayon::prelude::*;

fn component(r: &Recovered) -> &str {
    r.what.split(" norm").next().unwrap_or(&r.what)
}

#[test]
fn twenty_simulations_cover_the_truth_as_their_errors_promise() {
    // NUSKYBGD_RECOVERY_EXPOSURE runs it at another exposure (report only: at 50 ks the
    // barely detected fcxb norms pile up at their zero limit, which makes the covariance
    // intervals over-cover, 80% within 1σ)
    let exposure: f64 = std::env::var("NUSKYBGD_RECOVERY_EXPOSURE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2e5);
    let dir = support::scratch("recovery");
    let runs: Vec<Vec<Recovered>> = (1..=20u64)
        .into_par_iter()
        .map(|seed| {
            demo(&DemoRequest {
                outdir: dir.join(format!("seed{seed}")),
                seed,
                exposure,
                statistic: nuskybgd::spectral::stat::Statistic::Cstat,
                clobber: false,
                fit_only: true,
                env_calibration: false,
            })
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"))
            .recovery
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let all: Vec<Recovered> = runs.iter().flatten().cloned().collect();
    assert_eq!(all.len(), 20 * 12, "12 free normalisations per observation");
    let mut report = format!(
        "{:<14}{:>6}{:>10}{:>10}{:>12}\n",
        "component", "n", "in 1σ", "in 2σ", "mean pull"
    );
    let mut names: Vec<&str> = all.iter().map(component).collect();
    names.dedup();
    names.sort();
    names.dedup();
    for name in names.iter().copied().chain(["all"]) {
        let rows: Vec<Recovered> = all
            .iter()
            .filter(|r| name == "all" || component(r) == name)
            .cloned()
            .collect();
        let (one, two) = coverage(&rows);
        let mean = rows.iter().map(|r| r.pull()).sum::<f64>() / rows.len() as f64;
        report += &format!(
            "{name:<14}{:>6}{:>9.0}%{:>9.0}%{mean:>12.2}\n",
            rows.len(),
            100.0 * one,
            100.0 * two
        );
    }
    eprintln!("recovery at {exposure} s:\n{report}");
    let (one, two) = coverage(&all);
    assert!((0.58..=0.78).contains(&one), "1σ coverage {one}\n{report}");
    assert!((0.90..=0.99).contains(&two), "2σ coverage {two}\n{report}");
    // no component may be biased: its mean pull within 3 standard errors of 0
    for name in names {
        let p: Vec<f64> = all
            .iter()
            .filter(|r| component(r) == name)
            .map(|r| r.pull())
            .collect();
        let mean = p.iter().sum::<f64>() / p.len() as f64;
        assert!(
            mean.abs() < 3.0 / (p.len() as f64).sqrt() * 1.5,
            "{name}: mean pull {mean}\n{report}"
        );
    }
}

/// The truth must be as likely as the best fit allows: with the free normalisations set to
/// their true values the statistic rises by about χ²(number free), never below the minimum
/// (events, geometry and responses of the simulation are those the fit model assumes).
#[test]
fn the_truth_is_as_likely_as_the_fit_allows() {
    let dir = support::scratch("recovery_likelihood");
    let r = demo(&DemoRequest {
        outdir: dir.to_path_buf(),
        seed: 21,
        exposure: 5e4,
        statistic: nuskybgd::spectral::stat::Statistic::Cstat,
        clobber: false,
        fit_only: true,
        env_calibration: false,
    })
    .unwrap();
    let mut sess =
        nuskybgd::spectral::run::load(&r.workdir.join("bgdparams_fit.xcm"), true).unwrap();
    let c_fit = sess.statistic_value().unwrap();
    let nfree = sess.free().len();
    assert_eq!(
        nfree,
        r.recovery.len(),
        "every free parameter is a compared norm"
    );
    for row in &r.recovery {
        sess.params[row.addr.source][row.addr.index].value = row.truth;
    }
    sess.resolve().unwrap();
    let delta = sess.statistic_value().unwrap() - c_fit;
    let spread = (2.0 * nfree as f64).sqrt();
    eprintln!("cstat at the truth - at the best fit: {delta:.2} for {nfree} free (expected {nfree} ± {spread:.0})");
    assert!(delta > -0.5, "the fit missed the minimum by {delta}");
    assert!(
        delta < nfree as f64 + 6.0 * spread,
        "the truth is too unlikely: {delta}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
