//! bgdspec refusals that leave every file as it was, and the command line.

use nuskybgd::io::fits::Fits;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::tasks::bgdspec::{bgdspec, BgdspecRequest};

mod bgdspec_case;
mod case_real;
use bgdspec_case::*;

#[test]
fn bad_input_changes_nothing() {
    let Some(c) = case("bgdspec_bad") else {
        return;
    };
    let src_bytes = std::fs::read(&c.src).unwrap();
    // spectra order in bgdinfo.json differs from the fitted model
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&c.info).unwrap()).unwrap();
    for key in ["bgfiles", "regfiles"] {
        v[key].as_array_mut().unwrap().swap(0, 1);
    }
    let swapped = c.dir.join("swapped.json");
    std::fs::write(&swapped, v.to_string()).unwrap();
    let before = listing(&c.dir);
    let e = bgdspec(&BgdspecRequest {
        bgdinfo: swapped.clone(),
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("model.xcm") && e.contains("bgd1A_sr_g30.pha"),
        "{e}"
    );
    let unchanged = |what: &str| {
        assert_eq!(
            std::fs::read(&c.src).unwrap(),
            src_bytes,
            "{what}: source changed"
        );
        assert_eq!(listing(&c.dir), before, "{what}: files written");
    };
    unchanged("order");
    // missing files
    let e = bgdspec(&BgdspecRequest {
        pha: c.dir.join("nosuch.pha"),
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("nosuch.pha") && e.contains("not found"), "{e}");
    let e = bgdspec(&BgdspecRequest {
        region: c.dir.join("nosuch.reg"),
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("nosuch.reg"), "{e}");
    unchanged("missing");
    // a source of a module without fitted background spectra
    let b = c.dir.join("srcB.pha");
    write_source_of(&b, "FPMB");
    let b_bytes = std::fs::read(&b).unwrap();
    let e = bgdspec(&BgdspecRequest {
        pha: b.clone(),
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("srcB.pha") && e.contains("FPMB"), "{e}");
    assert_eq!(std::fs::read(&b).unwrap(), b_bytes);
    assert!(!c.dir.join("srcB_bgd.pha").exists());
    std::fs::remove_file(&b).unwrap();
    unchanged("other module");
    // a bad expfactor
    let e = bgdspec(&BgdspecRequest {
        expfactor: 0.0,
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("expfactor"), "{e}");
    // an existing output is kept without clobber
    let out = c.dir.join("src_sr_g30_bgd.pha");
    std::fs::write(&out, "keep").unwrap();
    let e = bgdspec(&c.req()).unwrap_err().to_string();
    assert!(
        e.contains("src_sr_g30_bgd.pha") && e.contains("exists"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep");
    std::fs::remove_file(&out).unwrap();
    unchanged("existing output");
    // a source spectrum that already has a background: replaced only with clobber
    let mut f = Fits::open_rw(&c.src).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    f.set_key_str("BACKFILE", "other_bkg.pha", "").unwrap();
    f.close().unwrap();
    let with_bkg = std::fs::read(&c.src).unwrap();
    let e = bgdspec(&c.req()).unwrap_err().to_string();
    assert!(
        e.contains("src_sr_g30.pha") && e.contains("other_bkg.pha"),
        "{e}"
    );
    assert_eq!(std::fs::read(&c.src).unwrap(), with_bkg);
    assert_eq!(listing(&c.dir), before);
    let s = bgdspec(&BgdspecRequest {
        clobber: true,
        ..c.req()
    })
    .unwrap();
    assert_eq!(s.previous_backfile.as_deref(), Some("other_bkg.pha"));
    assert_eq!(backfile_of(&c.src).as_deref(), Some("src_sr_g30_bgd.pha"));
    // a model that already holds the source spectrum is not a background model
    let bad_model = c.dir.join("bgd_src.xcm");
    let text = std::fs::read_to_string(&c.model).unwrap();
    let extra = text.replacen(
        "ignore",
        &format!("data 4:4 {}\nignore", c.src.display()),
        1,
    );
    std::fs::write(&bad_model, extra).unwrap();
    let src_now = std::fs::read(&c.src).unwrap();
    let e = bgdspec(&BgdspecRequest {
        xcm: bad_model,
        out: Some(c.dir.join("y.pha")),
        clobber: true,
        ..c.req()
    })
    .unwrap_err()
    .to_string();
    assert!(e.contains("has 4 spectra"), "{e}");
    assert!(!c.dir.join("y.pha").exists());
    assert_eq!(std::fs::read(&c.src).unwrap(), src_now);
}

#[test]
fn command_line_prints_components_and_sets_backfile() {
    let Some(c) = case("bgdspec_cli") else {
        return;
    };
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .arg("bgdspec")
            .args(args)
            .env("CALDB", &c.caldb.root)
            .env("NUSKYBGD_AUXIL", &c.auxil)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (info, model, reg, src) = (
        c.info.to_str().unwrap(),
        c.model.to_str().unwrap(),
        c.region.to_str().unwrap(),
        c.src.to_str().unwrap(),
    );
    let (code, out, err) = run(&[
        info,
        model,
        reg,
        src,
        "expfactor=50",
        "poisson=yes",
        "seed=3",
    ]);
    assert_eq!(code, 0, "{err}");
    for w in [
        "apbgd",
        "intbgd",
        "fcxb",
        "intn",
        "3-20 keV",
        "BACKFILE set to 'src_sr_g30_bgd.pha'",
    ] {
        assert!(out.contains(w), "{w}: {out}");
    }
    let bgd = Spectrum::read_at(&c.dir.join("src_sr_g30_bgd.pha"), None).unwrap();
    assert_eq!(bgd.exposure, 50.0 * 5e4);
    // again: the output and the BACKFILE exist; one-line error naming the file, non-zero
    let (code, _, err) = run(&[info, model, reg, src]);
    assert_ne!(code, 0);
    assert!(
        err.contains("src_sr_g30.pha") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = run(&[info, model, reg, src, "expfactor=ten"]);
    assert_ne!(code, 0);
    assert!(err.contains("expfactor"), "{err}");
    let (code, out, err) = run(&[info, model, reg, src, "clobber=yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("BACKFILE is already 'src_sr_g30_bgd.pha' (kept)"),
        "{out}"
    );
    let other = format!("out=!{}", c.dir.join("other.pha").display());
    let (code, out, err) = run(&[info, model, reg, src, &other]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("BACKFILE changed from 'src_sr_g30_bgd.pha' to 'other.pha'"),
        "{out}"
    );
}
