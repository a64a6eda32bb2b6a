//! The fitter reaches the true minimum: on the nuskybgd model (linear in its free norms)
//! it matches an exact bounded minimum computed here by an independent projected-Newton
//! solver to 1e-6, from the save file's start and from random starts, and a refit of the
//! result gains nothing; on the `fit --help` template's shape (two regions per module,
//! fcxb of spectrum 1 tied to 3, free line ratios, chi and cstat, solar on and off) too.

use nuskybgd::io::output::Output;
use nuskybgd::obs::caldb::Caldb;
use nuskybgd::pipeline::demo::{demo, DemoRequest};
use nuskybgd::spectral::fit::{fit, FitOptions};
use nuskybgd::spectral::params::Addr;
use nuskybgd::spectral::session::Session;
use nuskybgd::spectral::stat::Statistic;
use nuskybgd::testing;
use nuskybgd::workflow::fit_task::{fit_task, FitRequest};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// A simulated observation taken through the demo up to the fit; its analysis folder.
fn observation(name: &str, exposure: f64, seed: u64) -> (PathBuf, PathBuf) {
    let dir = testing::scratch(name);
    demo(&DemoRequest {
        outdir: dir.clone(),
        seed,
        exposure,
        statistic: Statistic::Cstat,
        clobber: false,
        fit_only: true,
        env_calibration: false,
    })
    .unwrap();
    (dir.join("analysis"), dir)
}

fn values(sess: &Session, free: &[Addr]) -> Vec<f64> {
    free.iter().map(|a| sess.params[a.0][a.1].value).collect()
}

fn put(sess: &mut Session, free: &[Addr], theta: &[f64]) {
    for (a, t) in free.iter().zip(theta) {
        sess.params[a.0][a.1].value = *t;
    }
    sess.resolve().unwrap();
}

/// The predicted counts as c + A θ over the free norms, read off the engine at θ = 0 and
/// at unit vectors, with linearity checked at the start values.
struct Linear {
    c: Vec<f64>,
    a: Vec<Vec<f64>>,
    data: Vec<f64>,
    var: Vec<f64>,
    lower: Vec<f64>,
    upper: Vec<f64>,
    stat: Statistic,
}

impl Linear {
    fn of(sess: &mut Session) -> Linear {
        let free = sess.free();
        let start = values(sess, &free);
        let n = free.len();
        put(sess, &free, &vec![0.0; n]);
        let c = sess.model_counts().unwrap();
        let a: Vec<Vec<f64>> = (0..n)
            .map(|k| {
                let s = start[k].abs().max(1e-6);
                let mut t = vec![0.0; n];
                t[k] = s;
                put(sess, &free, &t);
                let m = sess.model_counts().unwrap();
                m.iter().zip(&c).map(|(x, y)| (x - y) / s).collect()
            })
            .collect();
        put(sess, &free, &start);
        let m = sess.model_counts().unwrap();
        let (data, var) = sess.data_counts();
        let lin = Linear {
            c,
            a,
            data,
            var,
            lower: free.iter().map(|p| sess.params[p.0][p.1].min).collect(),
            upper: free.iter().map(|p| sess.params[p.0][p.1].max).collect(),
            stat: sess.statistic,
        };
        let worst = lin
            .model(&start)
            .iter()
            .zip(&m)
            .map(|(x, y)| (x - y).abs() / y.abs().max(1e-3))
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-9,
            "the model is not linear in its free norms: {worst}"
        );
        lin
    }

    fn model(&self, t: &[f64]) -> Vec<f64> {
        let mut m = self.c.clone();
        for (k, col) in self.a.iter().enumerate() {
            m.iter_mut().zip(col).for_each(|(x, a)| *x += t[k] * a);
        }
        m
    }

    /// Statistic, gradient and exact Hessian, written out here (XSPEC's cstat with its
    /// 1e-5 floor; chi with data variance, 1 where it is 0).
    fn eval(&self, t: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let m = self.model(t);
        let n = t.len();
        let (mut s, mut g, mut h) = (0.0, vec![0.0; n], vec![vec![0.0; n]; n]);
        for b in 0..m.len() {
            let d = self.data[b];
            let (v, d1, d2) = match self.stat {
                Statistic::Chi => {
                    let w = if self.var[b] > 0.0 { self.var[b] } else { 1.0 };
                    ((d - m[b]).powi(2) / w, -2.0 * (d - m[b]) / w, 2.0 / w)
                }
                _ => {
                    let mm = m[b].max(1e-5);
                    let v = if d > 0.0 {
                        mm + d * (d.ln() - mm.ln() - 1.0)
                    } else {
                        mm
                    };
                    (2.0 * v, 2.0 * (1.0 - d / mm), 2.0 * d / (mm * mm))
                }
            };
            s += v;
            for i in 0..n {
                g[i] += d1 * self.a[i][b];
                for j in 0..n {
                    h[i][j] += d2 * self.a[i][b] * self.a[j][b];
                }
            }
        }
        (s, g, h)
    }

    /// Projected Newton (Bertsekas 1982) with an Armijo search along the projection arc:
    /// the bounded minimum, with the KKT conditions checked at the end.
    fn minimum(&self, start: &[f64]) -> (f64, Vec<f64>) {
        let n = start.len();
        let mut t = start.to_vec();
        let project = |x: &mut Vec<f64>| {
            for k in 0..n {
                x[k] = x[k].clamp(self.lower[k], self.upper[k]);
            }
        };
        let (mut s, _, _) = self.eval(&t);
        for _ in 0..500 {
            let (_, g, h) = self.eval(&t);
            let scale: Vec<f64> = (0..n).map(|k| h[k][k].max(1e-300).sqrt()).collect();
            let eps = 1e-9;
            let bound: Vec<bool> = (0..n)
                .map(|k| {
                    (t[k] - self.lower[k] <= eps / scale[k] && g[k] > 0.0)
                        || (self.upper[k] - t[k] <= eps / scale[k] && g[k] < 0.0)
                })
                .collect();
            let freek: Vec<usize> = (0..n).filter(|&k| !bound[k]).collect();
            let mut dir = vec![0.0; n];
            if !freek.is_empty() {
                let m = freek.len();
                // Newton on the free set (Gaussian elimination on the scaled system)
                let mut a: Vec<Vec<f64>> = (0..m)
                    .map(|i| {
                        (0..m)
                            .map(|j| h[freek[i]][freek[j]] / (scale[freek[i]] * scale[freek[j]]))
                            .collect()
                    })
                    .collect();
                let mut b: Vec<f64> = (0..m).map(|i| -g[freek[i]] / scale[freek[i]]).collect();
                for c in 0..m {
                    a[c][c] += 1e-14;
                    let p = (c..m)
                        .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                        .unwrap();
                    a.swap(c, p);
                    b.swap(c, p);
                    for r in c + 1..m {
                        let f = a[r][c] / a[c][c];
                        for k in c..m {
                            a[r][k] -= f * a[c][k];
                        }
                        b[r] -= f * b[c];
                    }
                }
                let mut x = vec![0.0; m];
                for r in (0..m).rev() {
                    let sum: f64 = (r + 1..m).map(|k| a[r][k] * x[k]).sum();
                    x[r] = (b[r] - sum) / a[r][r];
                }
                for (i, &k) in freek.iter().enumerate() {
                    dir[k] = x[i] / scale[k];
                }
            }
            for k in 0..n {
                if bound[k] {
                    dir[k] = -g[k] / h[k][k].max(1e-300);
                }
            }
            let mut step = 1.0;
            let mut moved = false;
            for _ in 0..60 {
                let mut trial: Vec<f64> = (0..n).map(|k| t[k] + step * dir[k]).collect();
                project(&mut trial);
                let decrease: f64 = (0..n).map(|k| g[k] * (t[k] - trial[k])).sum();
                let (st, _, _) = self.eval(&trial);
                if st <= s - 1e-4 * decrease.max(0.0) && st <= s {
                    moved = st < s;
                    (t, s) = (trial, st);
                    break;
                }
                step *= 0.5;
            }
            if !moved {
                break;
            }
        }
        // KKT: zero gradient (relative to its curvature) off the bounds, the right sign on them
        let (_, g, h) = self.eval(&t);
        for k in 0..n {
            let at_bound = t[k] <= self.lower[k] || t[k] >= self.upper[k];
            let gs = g[k] / h[k][k].max(1e-300).sqrt();
            assert!(
                at_bound || gs.abs() < 1e-5,
                "KKT: parameter {k} gradient×σ {gs}"
            );
            if t[k] <= self.lower[k] {
                assert!(g[k] >= -1e-6 * h[k][k].sqrt(), "KKT at lower bound {k}");
            }
        }
        (s, t)
    }
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
    let obs = dir.join("observation");
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
