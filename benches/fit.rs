//! Fit benchmark: 6 spectra × 4 background sources shaped like nuskybgd's model (apbgd
//! cutoffpl through the Be-window ARF, 8 internal lorentz lines, fcxb cutoffpl through the
//! fcxb ARF, intn bknpower through diag.rmf; links to the first spectrum as nuskybgd makes
//! them), on the real 4096×4096 CALDB RMF, grouped to 30 counts. Simulated from known values,
//! fitted from 0.7× the truth. Prints load and fit wall time and peak memory.
//! Run: cargo bench --bench fit   (needs NUSKYBGD_TESTDATA or ../shared)

use nuskybgd::cli::demo::peak_rss_mb;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::expr::Expression;
use nuskybgd::spectral::fit::{fit, FitOptions};
use nuskybgd::spectral::grouping::group_min;
use nuskybgd::spectral::ogip::{arf::Arf, rmf::Rmf};
use nuskybgd::spectral::run::load;
use std::fmt::Write;
use std::time::Instant;

#[path = "../tests/it/support/exact_minimum.rs"]
mod exact_minimum;
use exact_minimum::{values, Linear};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn poisson(&mut self, lam: f64) -> f64 {
        if lam < 30.0 {
            let (l, mut k, mut p) = ((-lam).exp(), 0.0, 1.0);
            loop {
                p *= self.next();
                if p <= l {
                    return k;
                }
                k += 1.0;
            }
        }
        let z = (-2.0 * self.next().max(1e-300).ln()).sqrt()
            * (2.0 * std::f64::consts::PI * self.next()).cos();
        (lam + lam.sqrt() * z).round().max(0.0)
    }
}

const LINES: [(f64, f64); 8] = [
    (3.53895, 0.425422),
    (4.51407, 0.544324),
    (10.2026, 0.641196),
    (19.6464, 0.229493),
    (21.8941, 0.572821),
    (22.9715, 0.145796),
    (24.7476, 1.9592),
    (25.2988, 0.154349),
];

/// Relative normalisations of the six spectra (spectrum 1 is the reference).
const RATIO: [f64; 6] = [1.0, 1.3, 0.8, 1.1, 0.9, 1.2];
/// True norms of spectrum 1: apbgd, each line, fcxb, intn.
const AP: f64 = 0.02;
const LINE_N: f64 = 1e-3;
const FC: f64 = 1.6e-5;
const NN: f64 = 3.7e-4;
/// Exposure of every spectrum (s).
const EXPOSURE: f64 = 5e4;

fn lines_expr() -> String {
    ["lorentz"; 8].join(" + ")
}

fn main() {
    let root = std::env::var_os("NUSKYBGD_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if !root.join("caldb").is_dir() {
        println!("fit benchmark: needs the shared data (NUSKYBGD_TESTDATA); skipped");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nuskybgd-bench-fit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rmf_path = root.join("caldb/nuAdet3_20100101v002.rmf.gz");
    let rmf = read_rmf(&rmf_path);
    simulate_spectra(&root, &dir, &rmf, &rmf_path);
    let xcm = dir.join("bench.xcm");
    std::fs::write(&xcm, save_file(&root, &dir, &rmf_path)).unwrap();
    time_fit(&xcm);
    let _ = std::fs::remove_dir_all(&dir);
    reference_fits(&root);
}

/// Read the CALDB RMF and say how large it is and how long it took.
fn read_rmf(rmf_path: &std::path::Path) -> Rmf {
    let t0 = Instant::now();
    let rmf = Rmf::read(rmf_path).unwrap();
    let nnz: usize = rmf
        .rows
        .iter()
        .map(|r| r.iter().map(|(_, v)| v.len()).sum::<usize>())
        .sum();
    println!(
        "RMF {} energies x {} channels, {nnz} non-zero elements, read in {:.2} s",
        rmf.energy_lo.len(),
        rmf.nchan,
        t0.elapsed().as_secs_f64()
    );
    rmf
}

/// Draw the six spectra `bgd<k>.pha` from the true model into `dir`.
fn simulate_spectra(
    root: &std::path::Path,
    dir: &std::path::Path,
    rmf: &Rmf,
    rmf_path: &std::path::Path,
) {
    let diag = Rmf::read(&root.join("auxil/diag.rmf")).unwrap();
    let be = Arf::read(&root.join("auxil/be.arf")).unwrap();
    let fx = Arf::read(&root.join("auxil/fcxbA.arf")).unwrap();
    let edges = rmf.edges();
    let mut rng = Rng(12345);
    let lines_expr = lines_expr();
    for (k, r) in RATIO.iter().enumerate() {
        let mut rate = vec![0.0; 4096];
        let f = Expression::parse("cutoffpl")
            .unwrap()
            .eval(&[1.29, 41.13, AP * r], &edges)
            .unwrap();
        rmf.fold_into(&f, Some(&be.area), &mut rate);
        let mut p = Vec::new();
        for (e, w) in LINES {
            p.extend([e, w, LINE_N * r]);
        }
        let f = Expression::parse(&lines_expr)
            .unwrap()
            .eval(&p, &edges)
            .unwrap();
        rmf.fold_into(&f, None, &mut rate);
        let f = Expression::parse("cutoffpl")
            .unwrap()
            .eval(&[1.29, 41.13, FC * (1.0 + 0.1 * k as f64)], &edges)
            .unwrap();
        rmf.fold_into(&f, Some(&fx.area), &mut rate);
        let f = Expression::parse("bknpower")
            .unwrap()
            .eval(&[-0.05, 124.0, -0.85, NN * r], &diag.edges())
            .unwrap();
        diag.fold_into(&f, None, &mut rate);
        let counts: Vec<f64> = rate.iter().map(|x| rng.poisson(x * EXPOSURE)).collect();
        let (g, q) = group_min(&counts, &vec![0; 4096], 30.0);
        let path = dir.join(format!("bgd{}.pha", k + 1));
        Output::new(path.to_str().unwrap(), true)
            .write_fits(|f| {
                f.write_image(&Image::zeros(0, 0), 8)?;
                f.create_table(
                    "SPECTRUM",
                    &[
                        ("CHANNEL", "1J", ""),
                        ("COUNTS", "1J", "count"),
                        ("QUALITY", "1I", ""),
                        ("GROUPING", "1I", ""),
                    ],
                    4096,
                )?;
                f.set_key_str("HDUCLASS", "OGIP", "")?;
                f.set_key_str("HDUCLAS1", "SPECTRUM", "")?;
                f.set_key_f64("EXPOSURE", EXPOSURE, "")?;
                f.set_key_str("POISSERR", "T", "")?;
                f.set_key_str("RESPFILE", rmf_path.to_str().unwrap(), "")?;
                f.write_col_i64(1, &(0..4096).collect::<Vec<i64>>())?;
                f.write_col_i64(2, &counts.iter().map(|c| *c as i64).collect::<Vec<_>>())?;
                f.write_col_i64(3, &q.iter().map(|v| *v as i64).collect::<Vec<_>>())?;
                f.write_col_i64(4, &g.iter().map(|v| *v as i64).collect::<Vec<_>>())
            })
            .unwrap();
    }
}

/// The save file as nuskybgd writes it: spectrum 1 is the reference, the rest linked; the
/// norms start at 0.7x the truth.
fn save_file(root: &std::path::Path, dir: &std::path::Path, rmf_path: &std::path::Path) -> String {
    let lines_expr = lines_expr();
    let mut x = String::from("statistic chi\n");
    for k in 1..=6 {
        let r = |n| format!("{}", dir.join(n).display());
        let _ = write!(x, "data {k}:{k} {}\nresponse  2:{k} {}\nresponse  3:{k} {}\nresponse  4:{k} {}\nresponse  5:{k} {}\narf 2:{k} {}\narf 4:{k} {}\n\n", r(format!("bgd{k}.pha")), rmf_path.display(), rmf_path.display(), rmf_path.display(), root.join("auxil/diag.rmf").display(), root.join("auxil/be.arf").display(), root.join("auxil/fcxbA.arf").display());
    }
    x.push_str("ignore **:**-3.,150.-**\n\nmethod leven 30000 0.0001\n");
    let full = |v: f64, d: f64, lim: [f64; 4]| {
        format!("{v} {d} {} {} {} {}\n", lim[0], lim[1], lim[2], lim[3])
    };
    let norm_lim = [0.0, 0.0, 1e20, 1e24];
    x.push_str("model  2:apbgd cutoffpl\n");
    for (k, r) in RATIO.iter().enumerate() {
        if k == 0 {
            x += &full(1.29, -0.01, [-3.0, -2.0, 9.0, 10.0]);
            x += &full(41.13, -0.01, [0.01, 1.0, 500.0, 500.0]);
            x += &full(0.7 * AP, 0.01, norm_lim);
        } else {
            let _ = write!(x, "= apbgd:p1\n= apbgd:p2\n= {r}*apbgd:p3\n");
        }
    }
    let _ = writeln!(x, "model  3:intbgd {lines_expr}");
    for (k, r) in RATIO.iter().enumerate() {
        for (i, (e, w)) in LINES.iter().enumerate() {
            if k == 0 {
                x += &full(*e, -0.05, [0.0, 0.0, 1e6, 1e6]);
                x += &full(*w, -0.05, [0.0, 0.0, 10.0, 20.0]);
                x += &full(0.7 * LINE_N, 0.01, norm_lim);
            } else {
                let _ = write!(
                    x,
                    "= intbgd:p{}\n= intbgd:p{}\n= {r}*intbgd:p{}\n",
                    3 * i + 1,
                    3 * i + 2,
                    3 * i + 3
                );
            }
        }
    }
    x.push_str("model  4:fcxb cutoffpl\n");
    for k in 0..6 {
        let _ = write!(x, "= apbgd:p1\n= apbgd:p2\n");
        x += &full(0.7 * FC * (1.0 + 0.1 * k as f64), 0.01, norm_lim);
    }
    x.push_str("model  5:intn bknpower\n");
    for (k, r) in RATIO.iter().enumerate() {
        x += &full(-0.05, -0.01, [-3.0, -2.0, 9.0, 10.0]);
        x += &full(124.0, -0.01, [0.0, 0.01, 1e6, 1e6]);
        x += &full(-0.85, -0.01, [-3.0, -2.0, 9.0, 10.0]);
        if k == 0 {
            x += &full(0.7 * NN, 0.01, norm_lim);
        } else {
            let _ = writeln!(x, "= {r}*intn:p4");
        }
    }
    x
}

/// Load and fit the save file; compare with the exact bounded minimum and print the figures.
fn time_fit(xcm: &std::path::Path) {
    let t1 = Instant::now();
    let mut sess = load(xcm, true).unwrap();
    let t_load = t1.elapsed().as_secs_f64();
    let nparams: usize = sess.params.iter().map(Vec::len).sum();
    let opts = FitOptions::from_xcm(&nuskybgd::spectral::xcm::file::XcmFile::read(xcm).unwrap());
    let lin = Linear::of(&mut sess);
    let t2 = Instant::now();
    let r = fit(&mut sess, &opts).unwrap();
    let t_fit = t2.elapsed().as_secs_f64();
    // the exact bounded minimum from the same start, by the independent solver of the tests
    let start = values(&sess, &r.free);
    let (exact, _) = lin.minimum(
        &lin.lower
            .iter()
            .zip(&lin.upper)
            .zip(&start)
            .map(|((l, u), v)| v.clamp(*l, *u))
            .collect::<Vec<_>>(),
    );
    println!("fit: {}", r.summary(&opts));
    println!(
        "exact minimum check: fit {:.9} exact {exact:.9}, difference {:.2e} (target <= 1e-6)",
        r.statistic,
        r.statistic - exact
    );
    println!(
        "fit benchmark: 6 spectra x 4 sources, {nparams} parameters, {} free, {} bins: load {t_load:.2} s, fit {t_fit:.3} s ({} iterations, chi2 {:.1}, dof {}), peak memory {:.0} MB; target <= 1 s; Sherpa with XSPEC's model functions 47-56 s on this problem (issue 7): load+fit ratio {:.4}",
        r.free.len(),
        sess.n_bins(),
        r.iterations,
        r.statistic,
        sess.n_bins() - r.free.len(),
        peak_rss_mb(),
        (t_load + t_fit) / 47.0
    );
    let ap_fit = sess.params[0][2].value;
    println!(
        "apbgd norm fitted {ap_fit:.5} (truth {AP}), intn norm {:.4e} (truth {NN})",
        sess.params[3][3].value
    );
}

/// The reference fits, next to Sherpa's own fit times.
fn reference_fits(root: &std::path::Path) {
    for case in [
        "case1_chi_grouped",
        "case2_cstat_ungrouped",
        "case3_cstat_lowcounts",
    ] {
        let base = root.join("reference/fits");
        let json = std::fs::read_to_string(base.join(format!("{case}.json"))).unwrap();
        let sherpa: f64 = serde_json::from_str::<serde_json::Value>(&json).unwrap()["fit_seconds"]
            .as_f64()
            .unwrap_or(f64::NAN);
        let t = Instant::now();
        let mut s = load(&base.join(format!("{case}.xcm")), true).unwrap();
        let opts = FitOptions::from_xcm(
            &nuskybgd::spectral::xcm::file::XcmFile::read(&base.join(format!("{case}.xcm")))
                .unwrap(),
        );
        let r = fit(&mut s, &opts).unwrap();
        println!(
            "{case}: load+fit {:.3} s (statistic {:.4}); Sherpa {sherpa:.3} s",
            t.elapsed().as_secs_f64(),
            r.statistic
        );
    }
}
