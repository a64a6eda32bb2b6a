//! xcm-fit reaches Sherpa's minimum on every reference case: statistic within 1e-4
//! relative with the same dof, each free parameter within 1e-3, and 90% intervals close to
//! Sherpa's.

use crate::support;
use nuskybgd::spectral::fit::{errors, fit, FitOptions};
use nuskybgd::spectral::params::Addr;
use nuskybgd::spectral::run::load;
use serde_json::Value;

#[test]
fn fits_reach_sherpas_minimum() {
    let Some(dir) = support::shared("fit_vs_sherpa", "reference/fits") else {
        return;
    };
    for case in [
        "case1_chi_grouped",
        "case2_cstat_ungrouped",
        "case3_cstat_lowcounts",
    ] {
        let j: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{case}.json"))).unwrap(),
        )
        .unwrap();
        let mut sess = load(&dir.join(format!("{case}.xcm")), true).unwrap();
        let start = sess.statistic_value().unwrap();
        let want_start = j["start_statistic"].as_f64().unwrap();
        assert!(
            (start - want_start).abs() <= 1e-5 * want_start,
            "{case} start {start} vs {want_start}"
        );
        let r = fit(&mut sess, &FitOptions::default()).unwrap();
        assert!(r.converged);
        let want = j["best_statistic"].as_f64().unwrap();
        let dof = sess.n_bins() - r.free.len();
        assert_eq!(dof as u64, j["dof"].as_u64().unwrap(), "{case} dof");
        assert!(
            (r.statistic - want).abs() <= 1e-4 * want,
            "{case}: {} vs {want}",
            r.statistic
        );
        let order: Vec<&str> = j["param_order"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let errs = errors(&mut sess, &r, 2.706, &FitOptions::default()).unwrap();
        let mut worst_p = 0.0f64;
        let mut worst_e = 0.0f64;
        for (k, a) in r.free.iter().enumerate() {
            let key = order[a.index];
            let v = sess.params[a.source][a.index].value;
            let w = j["best_fit"][key].as_f64().unwrap();
            worst_p = worst_p.max((v - w).abs() / w.abs());
            let c = &j["conf90_offsets"][key];
            let (lo, hi) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            worst_e = worst_e
                .max(((errs.intervals[k].lower - lo) / lo).abs())
                .max(((errs.intervals[k].upper - hi) / hi).abs());
        }
        eprintln!("fit {case}: statistic {:.8} vs Sherpa {want:.8} (rel {:.1e}), worst parameter rel diff {worst_p:.1e}, worst 90% bound rel diff {worst_e:.1e}, {} iterations", r.statistic, (r.statistic - want).abs() / want, r.iterations);
        assert!(worst_p <= 1e-3, "{case}: parameters off by {worst_p}");
        assert!(
            worst_e <= 0.02,
            "{case}: confidence bounds off by {worst_e}"
        );
    }
}

#[test]
fn xcm_fit_command_prints_the_statistic_line_and_saves() {
    let Some(dir) = support::shared("xcm_fit_cli", "reference/fits") else {
        return;
    };
    let tmp = support::scratch("xcm_fit_cli");
    for f in [
        "case1_chi_grouped.xcm",
        "case1_chi_grouped.pha",
        "diag.rmf",
        "fcxbA.arf",
    ] {
        std::fs::copy(dir.join(f), tmp.join(f)).unwrap();
    }
    let out = tmp.join("fitted.xcm");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args([
            "xcm-fit",
            tmp.join("case1_chi_grouped.xcm").to_str().unwrap(),
            &format!("out={}", out.display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("statistic: chi 341.40") && last.ends_with("dof 328"),
        "{last}"
    );
    // the saved state loads and sits at the minimum
    let mut again = load(&out, true).unwrap();
    let s = again.statistic_value().unwrap();
    assert!((s - 341.4058831358406).abs() < 0.01, "{s}");
    assert!(fit(&mut again, &FitOptions::default()).unwrap().statistic > s - 0.01);
    // refuses to overwrite
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args([
            "xcm-fit",
            tmp.join("case1_chi_grouped.xcm").to_str().unwrap(),
            &format!("out={}", out.display()),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn bad_save_files_are_refused_with_the_line() {
    let tmp = support::scratch("xcm_bad");
    let cases = [
        ("cycle.xcm", "model  powerlaw\n= p2\n= p1\n", "link cycle"),
        ("limits.xcm", "model  powerlaw\n           20       0.01         -3         -2          9         10\n1 0.01 0 0 1e20 1e24\n", "outside its limits"),
        ("nonnum.xcm", "model  powerlaw\n 1.0 0.01 x 0 9 10\n", "not a number"),
        ("missing.xcm", "model  powerlaw\n= p7\n1\n", "does not exist"),
    ];
    for (name, text, want) in cases {
        let p = tmp.join(name);
        std::fs::write(&p, text).unwrap();
        let e = load(&p, false).err().unwrap().to_string();
        assert!(e.contains(name) && e.contains(want), "{name}: {e}");
    }
    // a missing data file is reported by xcm-show rather than failing
    let p = tmp.join("nodata.xcm");
    std::fs::write(&p, "statistic chi\ndata 1:1 nothere.pha\nmodel  powerlaw\n 1.7 0.01 -3 -2 9 10\n 1 0.01 0 0 1e20 1e24\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args(["xcm-show", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("missing: nothere.pha"));
}

#[test]
fn forward_links_are_saved_as_xspec_does_and_reload() {
    let tmp = support::scratch("xcm_forward");
    let p = tmp.join("fw.xcm");
    std::fs::write(&p, "model  powerlaw + powerlaw\n= p3\n 1 0.01 0 0 1e20 1e24\n 2 0.01 -3 -2 9 10\n= 0.5*p2\nmodel  2:bk bknpower\n 1 0.01 -3 -2 9 10\n 5 0.01 0 0.01 1e6 1e6\n 2 0.01 -3 -2 9 10\n 1 0.01 0 0 1e20 1e24\nbayes off\n").unwrap();
    let sess = load(&p, false).unwrap();
    assert_eq!(sess.params[0][0].value, 2.0);
    assert_eq!(sess.params[0][3].value, 0.5);
    let text = sess.to_xcm().to_text();
    assert!(text.contains("model  powerlaw + powerlaw\n/\n"), "{text}");
    assert!(text.contains("newpar 1 = p3\nbayes off"), "{text}");
    let q = tmp.join("again.xcm");
    std::fs::write(&q, &text).unwrap();
    let again = load(&q, false).unwrap();
    for (a, b) in sess
        .params
        .iter()
        .flatten()
        .zip(again.params.iter().flatten())
    {
        assert_eq!((a.value, a.delta, &a.link), (b.value, b.delta, &b.link));
    }
}

#[test]
fn norm_derivatives_are_exact() {
    let Some(dir) = support::shared("norm_derivative", "reference/fits") else {
        return;
    };
    let mut sess = load(&dir.join("case1_chi_grouped.xcm"), true).unwrap();
    let m0 = sess.model_counts().unwrap();
    // c1.norm (parameter 3) and c2.norm (6): analytic; PhoIndex (1): not a norm
    for idx in [2usize, 5] {
        let d = sess
            .norm_derivative(&[(Addr::new(0, idx), 1.0)])
            .unwrap()
            .unwrap();
        let v = sess.params[0][idx].value;
        let h = 1e-4 * v;
        sess.params[0][idx].value = v + h;
        let m1 = sess.model_counts().unwrap();
        sess.params[0][idx].value = v;
        for b in 0..m0.len() {
            let fd = (m1[b] - m0[b]) / h;
            assert!(
                (fd - d[b]).abs() <= 1e-6 * fd.abs().max(1e-12),
                "param {} bin {b}: {fd} vs {}",
                idx + 1,
                d[b]
            );
        }
    }
    assert!(sess
        .norm_derivative(&[(Addr::new(0, 0), 1.0)])
        .unwrap()
        .is_none());
}

#[test]
fn xcm_show_round_trip_and_type_ii_rows() {
    let Some(dir) = support::shared("xcm_show_rt", "reference/xcm") else {
        return;
    };
    let tmp = support::scratch("xcm_show_rt");
    let bin = env!("CARGO_BIN_EXE_nuskybgd");
    // a hand-written script whose value lies outside its own limits is refused with its line
    let bad = std::process::Command::new(bin)
        .args([
            "xcm-show",
            dir.join("20_astr6410_handwritten_named_sources.xcm")
                .to_str()
                .unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("20_astr6410_handwritten_named_sources.xcm:29:")
            && err.contains("outside its limits"),
        "{err}"
    );
    for f in [
        "02_xgap_bkg_ab_mdl.xcm",
        "13_nustarbkg_2src_diagrmf_cstat.xcm",
        "17_brianomath_18dg_atable_slash.xcm",
        "21_brianomath_pyxspec_3dg_slash.xcm",
        "10_astr6410_nustar_gainfit_2src.xcm",
    ] {
        let out = tmp.join(f);
        let a = std::process::Command::new(bin)
            .args([
                "xcm-show",
                dir.join(f).to_str().unwrap(),
                &format!("out={}", out.display()),
            ])
            .output()
            .unwrap();
        assert!(
            a.status.success(),
            "{f}: {}",
            String::from_utf8_lossy(&a.stderr)
        );
        let b = std::process::Command::new(bin)
            .args(["xcm-show", out.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(b.status.success());
        // the description of the rewritten file equals that of the original, except for
        // the missing-file lines (paths are relative to each file's own directory) and the
        // "wrote" line
        let keep = |s: &[u8]| -> Vec<String> {
            String::from_utf8_lossy(s)
                .lines()
                .filter(|l| !l.starts_with("missing:") && !l.starts_with("wrote "))
                .map(String::from)
                .collect()
        };
        assert_eq!(keep(&a.stdout), keep(&b.stdout), "{f}");
    }
    // type II: row n of a PHA-II file, addressed as file{n}
    let p = tmp.join("typeii.pha");
    support::pha::write_pha_type_ii(&p, 100.0, &[&[1, 2, 3, 4], &[10, 20, 30, 40]]);
    let s2 =
        nuskybgd::spectral::ogip::pha::Spectrum::read(&format!("{}{{2}}", p.display())).unwrap();
    assert_eq!(s2.counts, vec![10.0, 20.0, 30.0, 40.0]);
    let e = nuskybgd::spectral::ogip::pha::Spectrum::read(p.to_str().unwrap()).unwrap_err();
    assert!(e.to_string().contains("type II"));
    crate::support::assert_variant!(
        e,
        nuskybgd::Error::Spectral(nuskybgd::error::SpectralError::BadSpectrum { .. })
    );
    assert!(
        nuskybgd::spectral::ogip::pha::Spectrum::read(&format!("{}{{3}}", p.display())).is_err()
    );
}
