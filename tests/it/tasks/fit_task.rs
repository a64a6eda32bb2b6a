//! The `fit`, `image` and `spec` tasks on case_real's projected images and regions, with
//! synthetic spectra (diag.rmf responses) and a stand-in CALDB holding the real DETABS file
//! (setup in `case_real/mod.rs`).

use crate::support::{self, assert_variant};
use nuskybgd::error::{IoError, ModelError, TaskError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::spectral::run::load;
use nuskybgd::spectral::session::Session;
use nuskybgd::tasks::fit_task::{fit_task, FitRequest};
use nuskybgd::Error;
use std::path::Path;

use crate::support::case_real::{self, setup, write_pha};

#[test]
fn fit_task_writes_model_arfs_and_fits() {
    let Some((dir, info, caldb, auxil)) = setup("fit_task") else {
        return;
    };
    let save = dir.join("bgdparams.xcm");
    let req = |fit: bool, out: &Path, clobber: bool| FitRequest {
        bgdinfo: info.clone(),
        savefile: Output::new(out.to_str().unwrap(), clobber),
        fit,
        statistic: nuskybgd::spectral::stat::Statistic::Cstat,
        solar_off: true,
        force: false,
        intn_port_scale: false,
        caldb: caldb.clone(),
        auxil: auxil.clone(),
    };
    let s = fit_task(&req(false, &save, false)).unwrap();
    assert_eq!(s.weights.len(), 3);
    for w in &s.weights {
        let t: f64 = w.area.iter().sum();
        assert!(t > 0.0 && t <= w.pixels as f64 * 1.0001, "{w:?}");
        assert!(w.apw > 0.0);
    }
    // ARFs: Be transmission x detector absorption, each <= 1, beside the spectra
    let arf = dir.join("bgd1A_sr_g30_nsb.arf");
    let mut f = Fits::open(&arf).unwrap();
    f.goto_named("SPECRESP").unwrap();
    let a = f.read_col_f64("SPECRESP").unwrap();
    assert_eq!(a.len(), 4096);
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)) && a.iter().any(|v| *v > 0.5));
    let mut g = Fits::open(dir.join("bgd1A_sr_g30_nsb_nodetabs.arf")).unwrap();
    g.goto_named("SPECRESP").unwrap();
    let b = g.read_col_f64("SPECRESP").unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| x <= y));
    // the model file: 3 spectra, ignore below 3 keV and above 150 keV, solar components off
    let text = std::fs::read_to_string(&save).unwrap();
    assert!(
        text.contains("ignore 1:1-35,3710-4096 2:1-35,3710-4096 3:1-35,3710-4096"),
        "{}",
        text.lines().find(|l| l.starts_with("ignore")).unwrap_or("")
    );
    let sess = load(&save, false).unwrap();
    assert_eq!(sess.params[1][3].value, 0.0);
    assert!(sess.params[1][3].delta < 0.0);
    // refuses to overwrite; a fit produces the fitted file and table
    let e = fit_task(&req(false, &save, false)).unwrap_err();
    assert!(e.to_string().contains("exists"));
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: exists; not overwritten (use clobber=yes or a leading '!' to replace it)",
            save.display()
        )
    );
    // another savefile: the ARFs regenerated identical are no conflict, and kept as they are
    let arf_bytes = std::fs::read(&arf).unwrap();
    fit_task(&req(false, &dir.join("other.xcm"), false)).unwrap();
    assert_eq!(std::fs::read(&arf).unwrap(), arf_bytes);
    // an ARF of other contents is still kept and refused
    drop((f, g));
    let mut f = Fits::open_rw(&arf).unwrap();
    f.goto_named("SPECRESP").unwrap();
    f.write_col_f64(3, &vec![0.25; 4096]).unwrap();
    f.close().unwrap();
    let e = fit_task(&req(false, &dir.join("third.xcm"), false)).unwrap_err();
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert!(e.to_string().starts_with(&arf.display().to_string()), "{e}");
    assert!(!dir.join("third.xcm").exists());
    let s = fit_task(&req(true, &dir.join("run2.xcm"), true)).unwrap();
    let f = s.fit.unwrap();
    let (stat, dof) = (f.statistic, f.dof);
    assert!(stat.is_finite() && dof > 3000, "{stat} {dof}");
    assert!(dir.join("run2_fit.xcm").exists() && dir.join("run2_fit.txt").exists());
    let refit = load(&dir.join("run2_fit.xcm"), true).unwrap();
    assert!((refit.statistic_value().unwrap() - stat).abs() < 1e-3 * stat);
}

#[test]
fn fit_task_bad_input() {
    let Some((dir, info, caldb, auxil)) = setup("fit_task_bad") else {
        return;
    };
    let run = |info: &Path, out: &str| {
        fit_task(&FitRequest {
            bgdinfo: info.to_path_buf(),
            savefile: Output::new(dir.join(out).to_str().unwrap(), false),
            fit: false,
            statistic: nuskybgd::spectral::stat::Statistic::Chi,
            solar_off: false,
            force: false,
            intn_port_scale: false,
            caldb: caldb.clone(),
            auxil: auxil.clone(),
        })
    };
    // a region far from the detectors
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    let far = dir.join("far.reg");
    std::fs::write(&far, "image\ncircle(20,20,5)\n").unwrap();
    v["regfiles"][1] = serde_json::json!(far);
    let bad = dir.join("far.json");
    std::fs::write(&bad, v.to_string()).unwrap();
    let err = run(&bad, "a.xcm").unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Model(nuskybgd::error::ModelError::RegionOffDetectors { .. })
        ),
        "{err}"
    );
    let e = err.to_string();
    assert!(
        e.contains("far.reg") && e.contains("misses every detector"),
        "{e}"
    );
    // a spectrum of another instrument
    write_pha(&dir.join("bgd2A_sr_g30.pha"), "FPMC", 3);
    let err = run(&info, "b.xcm").unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Model(nuskybgd::error::ModelError::BadInstrume { .. })
        ),
        "{err}"
    );
    let e = err.to_string();
    assert!(e.contains("bgd2A_sr_g30.pha") && e.contains("FPMC"), "{e}");
    // a spectrum with no counts in the fitted band (counts only below 3 keV)
    write_pha_without_fit_counts(&dir.join("bgd2A_sr_g30.pha"));
    let err = run(&info, "b.xcm").unwrap_err();
    let e = err.to_string();
    assert_variant!(err, Error::Task(TaskError::NoFitCounts { .. }));
    assert!(
        e.contains("bgd2A_sr_g30.pha") && e.contains("no counts in 3-150 keV"),
        "{e}"
    );
    // unequal lists
    v["regfiles"] = serde_json::json!([far]);
    std::fs::write(&bad, v.to_string()).unwrap();
    let e = run(&bad, "c.xcm").unwrap_err();
    assert!(e
        .to_string()
        .contains("'bgfiles' has 3 entries but 'regfiles' has 1"));
    assert_variant!(e, Error::Model(ModelError::BadBgdInfo { .. }));
    assert!(
        !dir.join("a.xcm").exists() && !dir.join("b.xcm").exists() && !dir.join("c.xcm").exists()
    );
}

/// Writes (over `path`) an FPMA spectrum whose counts are all below 3 keV.
fn write_pha_without_fit_counts(path: &Path) {
    let mut empty = nuskybgd::spectral::ogip::pha::PhaOut::new(
        "FPMA",
        (0..4096).map(|c| if c < 30 { 5.0 } else { 0.0 }).collect(),
        5e4,
    );
    empty.respfile = Some("diag.rmf".into());
    empty
        .keys
        .push(("DATE-OBS".into(), "2016-02-12T19:06:40".into()));
    nuskybgd::spectral::ogip::pha::write_pha(&Output::new(path.to_str().unwrap(), true), &empty)
        .unwrap();
}

#[test]
fn image_task_images_integrate_to_the_predicted_counts() {
    use nuskybgd::tasks::image::{image_task, ImageRequest};
    let Some((dir, info, caldb, auxil)) = setup("image_task") else {
        return;
    };
    let save = dir.join("model.xcm");
    write_unfitted_model(&info, caldb, &auxil, &save);
    let prefix = format!("{}/img_", dir.display());
    let req = ImageRequest {
        bgdinfo: info.clone(),
        xcm: save.clone(),
        emin: 3.0,
        emax: 20.0,
        prefix: prefix.clone(),
        clobber: false,
        auxil,
    };
    let written = image_task(&req).unwrap();
    assert_eq!(
        written.images.len(),
        3 + 3 + 1,
        "apbgd, intbgd, intn; fcxb per region and per module"
    );
    // the same band on an independent load of the model
    let mut sess = load(&save, true).unwrap();
    notice_3_to_20_kev(&mut sess);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).unwrap()).unwrap();
    let over = |img: &str, k: usize| -> f64 { sum_over_region(&dir.join(img), &v, k) };
    let src = |name: &str| {
        sess.sources
            .iter()
            .position(|s| s.name.as_deref() == Some(name))
            .unwrap()
    };
    // each image, summed over the reference region, gives that region's predicted counts
    // (to single precision, as the images are stored)
    for (img, name) in [
        ("img_bgd_apbgd_A.fits", "apbgd"),
        ("img_bgd_intbgd_A.fits", "intbgd"),
        ("img_bgd_intn_A.fits", "intn"),
    ] {
        let want = sess.band_counts(0, src(name), None).unwrap();
        let got = over(img, 0);
        assert!(
            want > 0.0 && (got - want).abs() <= 1e-7 * want,
            "{img}: {got} vs {want}"
        );
    }
    // fcxb per region: summed over its own region, its own counts
    for k in 0..3 {
        let want = sess.band_counts(k, src("fcxb"), None).unwrap();
        let got = over(&format!("img_bgd_fcxb_{}.fits", k + 1), k);
        assert!(
            (got - want).abs() <= 1e-7 * want,
            "fcxb {k}: {got} vs {want}"
        );
    }
    // existing images are kept
    let e = image_task(&req).unwrap_err();
    assert!(e.to_string().contains("exists"));
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
}

/// Writes the background model with its preset values (no fit, chi, solar components on).
fn write_unfitted_model(info: &Path, caldb: Caldb, auxil: &Path, save: &Path) {
    fit_task(&FitRequest {
        bgdinfo: info.to_path_buf(),
        savefile: Output::new(save.to_str().unwrap(), false),
        fit: false,
        statistic: nuskybgd::spectral::stat::Statistic::Chi,
        solar_off: false,
        force: false,
        intn_port_scale: false,
        caldb,
        auxil: auxil.to_path_buf(),
    })
    .unwrap();
}

/// Notices only 3-20 keV in every data set of the session.
fn notice_3_to_20_kev(sess: &mut Session) {
    use nuskybgd::spectral::grouping::{apply, Range};
    for ds in sess.data.iter_mut() {
        ds.noticed = ds.bins.initially_noticed();
        let r = ds.resp.iter().flatten().next().unwrap().rmf.clone();
        apply(
            &Range::Energies(f64::NEG_INFINITY, 3.0),
            &ds.bins,
            &r.e_min,
            &r.e_max,
            &mut ds.noticed,
            false,
        );
        apply(
            &Range::Energies(20.0, f64::INFINITY),
            &ds.bins,
            &r.e_min,
            &r.e_max,
            &mut ds.noticed,
            false,
        );
    }
}

/// The image `img` summed over background region `k` of the bgdinfo `v`.
fn sum_over_region(img: &Path, v: &serde_json::Value, k: usize) -> f64 {
    use nuskybgd::sky::regmask::{mask, Grid};
    let grid = Grid::read(Path::new(v["refimgf"].as_str().unwrap())).unwrap();
    let region = mask(
        &grid,
        &grid
            .region(Path::new(v["regfiles"][k].as_str().unwrap()))
            .unwrap(),
    )
    .unwrap();
    let im = Fits::open(img).unwrap().read_image().unwrap();
    im.data.iter().zip(&region.data).map(|(a, m)| a * m).sum()
}

#[test]
fn spec_task_appends_source_spectra_rescaled_to_their_regions() {
    use nuskybgd::tasks::spec::{spec_task, SpecRequest};
    let Some((dir, info, caldb, auxil)) = setup("spec_task") else {
        return;
    };
    let model = dir.join("model.xcm");
    case_real::preset_model(&info, &caldb, &auxil, &model);
    let case = support::shared("spec_task_regions", "reference/sky/case_real").unwrap();
    let src_pha = dir.join("src_sr_g30.pha");
    write_pha(&src_pha, "FPMA", 30);
    let out = dir.join("bgd_src.xcm");
    let req = SpecRequest {
        bgdinfo: info.clone(),
        xcm: model.clone(),
        regions: vec![case.join("input/src_fk5.reg")],
        phas: vec![src_pha.clone()],
        savefile: Output::new(out.to_str().unwrap(), false),
        caldb: caldb.clone(),
        auxil: auxil.clone(),
    };
    let written = spec_task(&req).unwrap();
    assert!(written.arfs.contains(&dir.join("src_sr_g30_nsb.arf")));
    assert_eq!(written.savefile, out);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains(&format!("data 4:4 {}", src_pha.display())),
        "{text}"
    );
    assert!(text.contains("4:1-35,3710-4096"));
    let before = load(&model, true).unwrap();
    let after = load(&out, true).unwrap();
    assert_eq!(after.data.len(), 4);
    // the source group's apbgd norm is the reference's scaled by the aperture-sum ratio;
    // every background parameter of the source group is linked (or frozen), none free
    for (si, ps) in after.params.iter().enumerate() {
        let p = ps.len() / 4;
        assert_eq!(
            &ps[..3 * p],
            &before.params[si][..],
            "background groups unchanged"
        );
    }
    let ap = &after.params[0];
    assert!(ap[9].link.is_some() && ap[11].link.is_some());
    assert!(ap[11].value > 0.0 && ap[11].value != ap[2].value);
    let free_after = after.free().len();
    assert_eq!(
        free_after,
        before.free().len() + 1,
        "only the source's fcxb norm is new and free"
    );
    assert!(after.statistic_value().unwrap().is_finite());
    // the wrong spectra order or a missing module are refused
    let err = spec_task(&SpecRequest {
        xcm: out.clone(),
        savefile: Output::new(dir.join("x.xcm").to_str().unwrap(), false),
        ..req
    })
    .unwrap_err();
    let e = err.to_string();
    assert_variant!(err, Error::Task(TaskError::NotBackgroundFit { .. }));
    assert!(e.contains("has 4 spectra"), "{e}");
}
