//! The fitter reaches the true minimum: on the nuskybgd model (linear in its free norms)
//! it matches an exact bounded minimum computed here by an independent projected-Newton
//! solver to 1e-6, from the save file's start and from random starts, and a refit of the
//! result gains nothing; on the `fit --help` template's shape (two regions per module,
//! fcxb of spectrum 1 tied to 3, free line ratios, chi and cstat, solar on and off) too.

use crate::support;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::pipeline::demo::{demo, DemoRequest};
use nuskybgd::spectral::fit::{fit, FitOptions};
use nuskybgd::spectral::stat::Statistic;
use nuskybgd::tasks::fit_task::{fit_task, FitRequest};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

use crate::support::exact_minimum::{put, values, Linear};

/// A simulated observation taken through the demo up to the fit; its analysis folder.
fn observation(name: &str, exposure: f64, seed: u64) -> (PathBuf, support::Scratch) {
    let dir = support::scratch(name);
    let r = demo(&DemoRequest {
        outdir: dir.to_path_buf(),
        seed,
        exposure,
        statistic: Statistic::Cstat,
        clobber: false,
        fit_only: true,
        env_calibration: false,
    })
    .unwrap();
    (r.workdir, dir)
}

/// Every free norm multiplied or divided by up to 3 (within its limits).
fn random_start(base: &[f64], lower: &[f64], upper: &[f64], rng: &mut rand_pcg::Pcg64) -> Vec<f64> {
    (0..base.len())
        .map(|k| {
            let f: f64 = 3f64.powf(rng.gen_range(-1.0..1.0));
            let v = if base[k] == 0.0 {
                1e-6 * f
            } else {
                base[k] * f
            };
            v.clamp(lower[k], upper[k])
        })
        .collect()
}

/// The checks on one save file: exact minimum, refit gain, random starts.
fn check(xcm: &Path, stat: Statistic, label: &str) {
    let mut sess = nuskybgd::spectral::run::load(xcm, true).unwrap();
    sess.statistic = stat;
    let opts = FitOptions::from_xcm(&sess.xcm);
    let free = sess.free();
    let start = values(&sess, &free);
    let lin = Linear::of(&mut sess);
    let (exact, _) = lin.minimum(&start);
    let r = fit(&mut sess, &opts).unwrap();
    assert!(r.converged, "{label}: {}", r.summary(&opts));
    eprintln!(
        "{label}: fit {:.9} exact {exact:.9} (diff {:+.1e}), {} free, {} at a limit; {}",
        r.statistic,
        r.statistic - exact,
        free.len(),
        r.at_limit.iter().filter(|l| l.is_some()).count(),
        r.summary(&opts)
    );
    assert!(
        (r.statistic - exact).abs() <= 1e-6,
        "{label}: {} vs exact {exact}",
        r.statistic
    );
    let again = fit(&mut sess, &opts).unwrap();
    assert!(
        r.statistic - again.statistic <= 0.05,
        "{label}: refit gained {}",
        r.statistic - again.statistic
    );
    let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
    let mut worst = 0.0f64;
    for _ in 0..10 {
        let t = random_start(&start, &lin.lower, &lin.upper, &mut rng);
        put(&mut sess, &free, &t);
        let r = fit(&mut sess, &opts).unwrap();
        assert!(r.converged, "{label}: random start {}", r.summary(&opts));
        worst = worst.max((r.statistic - exact).abs());
    }
    eprintln!("{label}: 10 random starts within {worst:.1e} of the exact minimum");
    assert!(
        worst <= 0.05,
        "{label}: a random start ended {worst} from the minimum"
    );
}

#[test]
fn the_demo_model_reaches_its_exact_minimum_at_every_exposure() {
    for (exposure, seed) in [(2e4, 3u64), (5e4, 1), (2e5, 2)] {
        let (analysis, dir) = observation(&format!("fit_minimum_{exposure}"), exposure, seed);
        check(
            &analysis.join("bgdparams.xcm"),
            Statistic::Cstat,
            &format!("demo {exposure} s"),
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The bgdinfo of the `fit --help` template on the demo's observation: regions 1 and 2 of
/// each module, fcxb of spectrum 1 tied to spectrum 3, line ratios free.
fn template_bgdinfo(analysis: &Path) -> PathBuf {
    let mut j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(analysis.join("bgdinfo.json")).unwrap())
            .unwrap();
    for key in ["bgfiles", "regfiles"] {
        let kept: Vec<serde_json::Value> = j[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| !v.as_str().unwrap().contains("bgd3"))
            .cloned()
            .collect();
        j[key] = serde_json::Value::Array(kept);
    }
    j["fcxb_config"] = serde_json::json!({"links": [[1, 3]]});
    j["intbgd_fix_line_ratios"] = serde_json::Value::Bool(false);
    let p = analysis.join("bgdinfo_template.json");
    std::fs::write(&p, serde_json::to_string_pretty(&j).unwrap()).unwrap();
    p
}

#[test]
fn the_template_model_reaches_its_exact_minimum() {
    let (analysis, dir) = observation("fit_minimum_template", 5e4, 1);
    let info = template_bgdinfo(&analysis);
    // the simulation writes its synthetic calibration beside the observation
    let obs = dir.to_path_buf();
    for stat in [Statistic::Cstat, Statistic::Chi] {
        for solar_off in [false, true] {
            let label = format!(
                "template {stat} solar={}",
                if solar_off { "off" } else { "on" }
            );
            let save = analysis.join(format!("t_{stat}_{solar_off}.xcm"));
            let s = fit_task(&FitRequest {
                bgdinfo: info.clone(),
                savefile: Output::new(save.to_str().unwrap(), true),
                fit: true,
                statistic: stat,
                solar_off,
                force: false,
                intn_port_scale: false,
                caldb: Caldb {
                    root: obs.join("caldb"),
                },
                auxil: obs.join("auxil"),
            })
            .unwrap();
            let f = s.fit.unwrap();
            assert!(f.summary.starts_with("converged"), "{label}: {}", f.summary);
            // the fit task's own result: refitting it gains nothing
            let fitted = save.with_file_name(format!("t_{stat}_{solar_off}_fit.xcm"));
            let mut again = nuskybgd::spectral::run::load(&fitted, true).unwrap();
            let opts = FitOptions::from_xcm(&again.xcm);
            let r = fit(&mut again, &opts).unwrap();
            assert!(
                f.statistic - r.statistic <= 0.05,
                "{label}: refit gained {}",
                f.statistic - r.statistic
            );
            check(&save, stat, &label);
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
