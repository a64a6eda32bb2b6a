//! `nuskybgd demo` as a user on a fresh machine runs it: no calibration in the environment,
//! so the built-in synthetic instrument; simulate, init and run: every step runs, the
//! products exist and load, the report names them, and a second run without clobber is
//! refused and changes nothing.

use crate::support;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::run::load;
use std::process::Command;

fn demo(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .arg("demo")
        .arg(dir)
        .args(extra)
        .env_remove("NUSKYBGD_AUXIL")
        .env_remove("CALDB")
        .env_remove("ATOMDB")
        .env_remove("NUSKYBGD_ATOMDB")
        .output()
        .unwrap()
}

#[test]
fn demo_runs_every_task_on_a_fresh_machine() {
    let root = support::scratch("demo");
    let dir = root.join("d");
    let o = demo(&dir, &["seed=3"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    check_report_steps(&text);
    let a = dir.join("60001001002/event_cl/bgd");
    check_products(&text, &a);

    // again without clobber: refused, nothing rewritten
    let fitted = a.join("bgdparams_fit.xcm");
    let before = std::fs::read(&fitted).unwrap();
    let t0 = std::fs::metadata(&fitted).unwrap().modified().unwrap();
    let o = demo(&dir, &["seed=3"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("clobber"), "{err}");
    assert_eq!(std::fs::read(&fitted).unwrap(), before);
    assert_eq!(std::fs::metadata(&fitted).unwrap().modified().unwrap(), t0);
    let _ = std::fs::remove_dir_all(&root);
}

/// The report has a line for every step and says the instrument is synthetic and the
/// recovered normalisations are within 1 sigma.
fn check_report_steps(text: &str) {
    for step in [
        "simulate",
        "mkimgs A",
        "mkinstrmap B",
        "aspecthist A",
        "projbgd B",
        "getspec bgd3B",
        "getspec srcA",
        "fit",
        "spec",
        "simplify",
        "image",
        "bgdspec srcB",
        "absrmf A",
        "refspec",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(step)),
            "step {step} missing:\n{text}"
        );
    }
    assert!(text.contains("synthetic auxil"), "{text}");
    assert!(text.contains("within 1 sigma"), "{text}");
}

/// The products exist, the report names them, and they load in the engine.
fn check_products(text: &str, a: &std::path::Path) {
    for f in [
        "bgdparams.xcm",
        "bgdparams_fit.xcm",
        "bgdparams_fit.txt",
        "bgd_srcA.xcm",
        "bgd_only_srcA.xcm",
        "bgd_apbgd_A.fits",
        "bgd_fcxb_B.fits",
        "srcA_sr_g30_bgd.pha",
        "aperbgdA_det0.pha",
        "fcxbbgdB_det3.pha",
        "newinstrmapB.fits",
        "det3Aim.fits",
        "report.html",
        "plots/A_residual.png",
        "plots/fit_spec6.png",
    ] {
        assert!(a.join(f).is_file(), "{f} missing");
    }
    for f in [
        "bgdparams_fit.xcm",
        "bgd_only_srcA.xcm",
        "srcB_sr_g30_bgd.pha",
        "bgd_intn_A.fits",
        "report.html",
    ] {
        assert!(
            text.contains(&format!("/{f}")),
            "report does not name {f}:\n{text}"
        );
    }
    // the products load in the engine: the fitted model with 6 spectra, the source-only file
    // with 2, and the source spectrum now names its background
    assert_eq!(
        load(&a.join("bgdparams_fit.xcm"), true).unwrap().data.len(),
        6
    );
    assert_eq!(
        load(&a.join("bgd_only_srcA.xcm"), true).unwrap().data.len(),
        2
    );
    let src = Spectrum::read_at(&a.join("srcA_sr_g30.pha"), None).unwrap();
    assert_eq!(src.backfile.as_deref(), Some("srcA_sr_g30_bgd.pha"));
    // the recovery table has the 12 free normalisations
    let rows = text.lines().filter(|l| l.contains(" norm ")).count();
    assert_eq!(rows, 12, "{text}");
}

#[test]
fn demo_rejects_bad_arguments() {
    let root = support::scratch("demo_bad");
    for (args, what) in [
        (vec!["seed=-1"], "seed"),
        (vec!["exposure=0"], "exposure"),
        (vec!["statistic=leastsq"], "statistic"),
        (vec!["colour=red"], "unknown"),
        (vec!["scale=huge"], "scale"),
        (vec!["counts=1000"], "counts"),
        (vec!["scale=real", "counts=0"], "counts"),
    ] {
        let o = demo(&root.join("x"), &args);
        assert!(!o.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(what),
            "{args:?}"
        );
    }
    assert!(
        !root.join("x").exists(),
        "nothing may be written for bad arguments"
    );
}

/// The demo at real size (full-size per-detector responses), with few events and up to
/// the fit to keep it short: the pipeline reads the full responses and the fit converges
/// near the truth (the detectors differ, so the recovery is approximate: within 5 sigma).
#[test]
fn demo_runs_at_real_scale() {
    use nuskybgd::pipeline::demo::{demo_at, DemoRequest, DemoScale};
    let root = support::scratch("demo_real");
    let req = DemoRequest {
        outdir: root.join("d"),
        seed: 2,
        exposure: 5e4,
        statistic: nuskybgd::spectral::stat::Statistic::Cstat,
        clobber: false,
        fit_only: true,
        env_calibration: false,
    };
    let r = demo_at(
        &req,
        DemoScale::Real {
            counts: Some(30000.0),
        },
    )
    .unwrap();
    for step in ["simulate", "getspec bgd1A", "getspec srcB", "fit"] {
        assert!(r.steps.iter().any(|s| s.name == step), "{step}");
    }
    let rmf = root.join("d/caldb/data/nustar/fpm/bcf/rmf/nuBdet2_20100101v901.rmf");
    let rmf = nuskybgd::spectral::ogip::rmf::Rmf::read(&rmf).unwrap();
    assert_eq!((rmf.energy_lo.len(), rmf.nchan), (4096, 4096));
    assert!(
        r.statistic.0.is_finite() && r.statistic.1 > 100,
        "{:?}",
        r.statistic
    );
    assert_eq!(r.recovery.len(), 12);
    for x in &r.recovery {
        assert!(x.pull().abs() < 5.0, "{x:?}");
    }
    let _ = std::fs::remove_dir_all(&root);
}
