//! The `bgdspec` task on case_real's geometry (setup shared with the fit/spec/image tests):
//! the background spectrum against the `spec` task's model file and the `image` task's
//! images, Poisson reproducibility and the BACKFILE edit.
//! Refusals that leave every file as it was, and the command line.

use crate::support::{self, assert_variant};
use nuskybgd::error::{IoError, ModelError, TaskError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::grouping::{apply, Range};
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::run::load;
use nuskybgd::tasks::bgdspec::{bgdspec, BgdspecRequest, BgdspecSummary};
use nuskybgd::Error;
use std::path::Path;

use crate::support::bgdspec_case::*;

#[test]
fn smooth_background_matches_the_spec_model_and_the_images() {
    let Some(c) = case("bgdspec_smooth") else {
        return;
    };
    let cards_before = cards_except_edit(&c.src);
    let cols_before = columns(&c.src);
    let s: BgdspecSummary = bgdspec(&c.req()).unwrap();
    let out = c.dir.join("src_sr_g30_bgd.pha");
    assert_eq!(s.output, out);
    assert_eq!(s.backfile, "src_sr_g30_bgd.pha");
    assert_eq!(s.previous_backfile, None);
    let src = check_background_file(&c, &out);
    check_source_edit(&c, &src, &out, &cards_before, &cols_before);
    let file = check_against_spec_model(&c, &s, &out);
    check_against_images(&c, &s, &src, &file);
}

/// (4) The background spectrum loads, with XSPEC's background scale 1/expfactor and the
/// source's observation keywords; returns the source spectrum.
fn check_background_file(c: &Case, out: &Path) -> Spectrum {
    let src = Spectrum::read_at(&c.src, None).unwrap();
    let bgd = Spectrum::read_at(out, None).unwrap();
    assert_eq!(bgd.len(), 4096);
    assert_eq!(bgd.exposure, EXPFACTOR * 5e4);
    assert_eq!(bgd.backscal, 0.0113);
    assert_eq!(bgd.instrume, "FPMA");
    assert_eq!(
        (bgd.respfile.as_deref(), bgd.ancrfile.as_deref()),
        (None, None)
    );
    let scale =
        (src.exposure * src.backscal * src.areascal) / (bgd.exposure * bgd.backscal * bgd.areascal);
    assert!(close(scale, 1.0 / EXPFACTOR, 1e-12), "{scale}");
    let mut f = Fits::open(out).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    assert_eq!(
        f.opt_key_str("OBS_ID").unwrap().as_deref(),
        Some("90000000001")
    );
    assert_eq!(
        f.opt_key_str("DATE-OBS").unwrap().as_deref(),
        Some("2016-02-12T19:06:40")
    );
    let hist: Vec<String> = f
        .cards()
        .unwrap()
        .into_iter()
        .filter(|c| c.starts_with("HISTORY"))
        .collect();
    let h = hist.join("\n");
    assert!(
        h.contains("model.xcm") && h.contains("expfactor 100"),
        "{h}"
    );
    for n in ["apbgd", "intbgd", "fcxb", "intn"] {
        assert!(h.contains(n), "{h}");
    }

    src
}

/// (3) BACKFILE set, everything else in the source spectrum as it was, checksums valid.
fn check_source_edit(
    c: &Case,
    src: &Spectrum,
    out: &Path,
    cards_before: &[Vec<String>],
    cols_before: &[Vec<f64>],
) {
    assert_eq!(backfile_of(&c.src).as_deref(), Some("src_sr_g30_bgd.pha"));
    assert_eq!(src.backfile.as_deref(), Some("src_sr_g30_bgd.pha"));
    assert_eq!(cards_except_edit(&c.src), cards_before);
    assert_eq!(columns(&c.src), cols_before);
    assert!(
        checksums(&c.src)
            .iter()
            .skip(1)
            .all(|&(d, h)| d == 1 && h == 1),
        "checksums still valid after the edit: {:?}",
        checksums(&c.src)
    );
    assert!(checksums(out)
        .iter()
        .skip(1)
        .all(|&(d, h)| d == 1 && h == 1));
}

/// (1a) Against the spec task's model file, loaded as the engine loads any save file: the
/// source group's predicted counts per source, all channels and per channel. Returns the
/// background file's counts per channel.
fn check_against_spec_model(c: &Case, s: &BgdspecSummary, out: &Path) -> Vec<f64> {
    use nuskybgd::tasks::spec::{spec_task, SpecRequest};
    let xcm = c.dir.join("bgd_src.xcm");
    spec_task(&SpecRequest {
        bgdinfo: c.info.clone(),
        xcm: c.model.clone(),
        regions: vec![c.region.clone()],
        phas: vec![c.src.clone()],
        savefile: Output::new(xcm.to_str().unwrap(), false),
        caldb: c.caldb.clone(),
        auxil: c.auxil.clone(),
    })
    .unwrap();
    let mut sess = load(&xcm, true).unwrap();
    let di = sess.data.iter().position(|d| d.number == 4).unwrap();
    assert!(
        std::fs::read_to_string(&xcm)
            .unwrap()
            .contains("backgrnd 4 none")
            && sess.data[di].background.is_none(),
        "spec's in-model background switches the BACKFILE off"
    );
    let ds = &mut sess.data[di];
    ds.noticed = ds.bins.initially_noticed();
    let file = counts_of(out);
    let mut per_channel = vec![0.0; 4096];
    let mut total = 0.0;
    for (k, name) in ["apbgd", "intbgd", "fcxb", "intn"].iter().enumerate() {
        let si = sess
            .sources
            .iter()
            .position(|s| s.name.as_deref() == Some(name))
            .unwrap();
        let want = sess.band_counts(di, si, None).unwrap();
        assert_eq!(s.components[k].name, *name);
        assert!(
            want > 0.0 && close(s.components[k].total, want, 1e-9),
            "{name}: {} vs {want}",
            s.components[k].total
        );
        for (p, v) in per_channel
            .iter_mut()
            .zip(sess.channel_counts(di, si, None).unwrap())
        {
            *p += v;
        }
        total += want;
    }
    let file_total: f64 = file.iter().sum();
    assert!(
        close(file_total, EXPFACTOR * total, 1e-9),
        "{file_total} vs {total}"
    );
    assert!(close(s.counts_written, file_total, 1e-12));
    for (i, (a, b)) in file.iter().zip(&per_channel).enumerate() {
        assert!(
            (a - EXPFACTOR * b).abs() <= 1e-9 * (EXPFACTOR * b).max(1e-6),
            "channel {i}: {a} vs {}",
            EXPFACTOR * b
        );
    }
    // independent of the source's grouping: the grouped bins sum to the same total
    let grouped: f64 = ds_grouped_total(&sess, di, &file);
    assert!(close(grouped, file_total, 1e-9));

    file
}

/// (1b) Against the image task: each component's image summed over the source region,
/// 3-20 keV (the image band on the reference spectrum's channels).
fn check_against_images(c: &Case, s: &BgdspecSummary, src: &Spectrum, file: &[f64]) {
    use nuskybgd::tasks::image::{image_task, ImageRequest};
    let file_total: f64 = file.iter().sum();
    let prefix = format!("{}/img_", c.dir.display());
    image_task(&ImageRequest {
        bgdinfo: c.info.clone(),
        xcm: c.model.clone(),
        emin: 3.0,
        emax: 20.0,
        prefix: prefix.clone(),
        clobber: false,
        auxil: c.auxil.clone(),
    })
    .unwrap();
    let mut bsess = load(&c.model, true).unwrap();
    let ds0 = &mut bsess.data[0];
    ds0.noticed = ds0.bins.initially_noticed();
    let r = ds0.resp.iter().flatten().next().unwrap().rmf.clone();
    for rg in [
        Range::Energies(f64::NEG_INFINITY, 3.0),
        Range::Energies(20.0, f64::INFINITY),
    ] {
        apply(&rg, &ds0.bins, &r.e_min, &r.e_max, &mut ds0.noticed, false);
    }
    let band: Vec<usize> = (0..4096).filter(|&i| ds0.noticed[i]).collect();
    let mine = nuskybgd::bgmodel::bands::noticed_channels(src, &r.e_min, &r.e_max, 3.0, 20.0);
    assert_eq!(
        band,
        (0..4096).filter(|&i| mine[i]).collect::<Vec<_>>(),
        "image band = bgdspec's 3-20 keV channels"
    );
    assert_eq!((band[0], *band.last().unwrap()), (35, 458));
    let grid = nuskybgd::sky::regmask::Grid::read(
        &support::shared(
            "bgdspec_grid",
            "reference/sky/case_real/input/im3to20keV.fits.gz",
        )
        .unwrap(),
    )
    .unwrap();
    let msk = nuskybgd::sky::regmask::mask(&grid, &grid.region(&c.region).unwrap()).unwrap();
    let over = |img: &str| -> f64 {
        let im = Fits::open(c.dir.join(img)).unwrap().read_image().unwrap();
        im.data.iter().zip(&msk.data).map(|(a, m)| a * m).sum()
    };
    let mut image_sum = 0.0;
    for (k, img, tol) in [
        // apbgd: the image follows the aperture; the source's own apbgd ARF (its detector
        // mix) differs from the reference region's by the DETABS mix only
        (0, "img_bgd_apbgd_A.fits", 0.02),
        // the others agree to the precision of the save file: link ratios have 7
        // significant digits, the source's fcxb norm 6
        (1, "img_bgd_intbgd_A.fits", 1e-6),
        (2, "img_bgd_fcxb_A.fits", 1e-5),
        (3, "img_bgd_intn_A.fits", 1e-6),
    ] {
        let got = over(img);
        image_sum += got;
        let want = s.components[k].band_3_20;
        assert!(
            want > 0.0 && close(got, want, tol),
            "{img}: image {got} vs bgdspec {want}"
        );
        eprintln!(
            "{}: bgdspec {want:.6} image {got:.6} ({:+.2e})",
            s.components[k].name,
            got / want - 1.0
        );
    }
    let file_band: f64 = band.iter().map(|&i| file[i]).sum();
    assert!(
        close(file_band / EXPFACTOR, image_sum, 0.02),
        "{file_band} {image_sum}"
    );
    eprintln!(
        "total 3-20 keV: file/expfactor {:.6}, images {image_sum:.6}; all channels {:.6}",
        file_band / EXPFACTOR,
        file_total / EXPFACTOR
    );
}

fn ds_grouped_total(sess: &nuskybgd::spectral::session::Session, di: usize, file: &[f64]) -> f64 {
    sess.data[di].bins.sum(file).iter().sum()
}

#[test]
fn poisson_is_reproducible_and_close_to_the_smooth_spectrum() {
    let Some(c) = case("bgdspec_poisson") else {
        return;
    };
    let smooth_out = c.dir.join("smooth.pha");
    let smooth = bgdspec(&BgdspecRequest {
        out: Some(smooth_out.clone()),
        ..c.req()
    })
    .unwrap();
    let run = |name: &str, seed: u64| {
        bgdspec(&BgdspecRequest {
            out: Some(c.dir.join(name)),
            poisson: true,
            seed,
            clobber: true,
            ..c.req()
        })
        .unwrap()
    };
    let a = run("p1.pha", 7);
    let b = run("p2.pha", 7);
    let d = run("p3.pha", 8);
    let (ca, cb, cd) = (
        counts_of(&a.output),
        counts_of(&b.output),
        counts_of(&d.output),
    );
    assert_eq!(ca, cb, "same seed, same counts");
    assert_ne!(ca, cd, "another seed, other counts");
    assert!(ca.iter().all(|v| *v >= 0.0 && v.fract() == 0.0));
    let s: f64 = counts_of(&smooth_out).iter().sum();
    for (n, counts) in [("seed 7", &ca), ("seed 8", &cd)] {
        let t: f64 = counts.iter().sum();
        assert!((t - s).abs() < 4.0 * s.sqrt(), "{n}: {t} vs smooth {s}");
    }
    // in a band too (3-20 keV: channels 35..458)
    let band = |v: &[f64]| v[35..459].iter().sum::<f64>();
    let sb = band(&counts_of(&smooth_out));
    assert!((band(&ca) - sb).abs() < 4.0 * sb.sqrt());
    // integer column in Poisson mode, real in smooth mode
    let mut f = Fits::open(&a.output).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    let form = f
        .cards()
        .unwrap()
        .into_iter()
        .find(|c| c.starts_with("TFORM2"))
        .unwrap();
    assert!(form.contains("'1J"), "{form}");
    assert_eq!(smooth.components, a.components, "same prediction");
    // the last run's file is the source's background
    assert_eq!(backfile_of(&c.src).as_deref(), Some("p3.pha"));
    assert_eq!(d.previous_backfile.as_deref(), Some("p2.pha"));
    eprintln!(
        "smooth {s:.1} counts; Poisson seed 7 {:.0}, seed 8 {:.0}",
        ca.iter().sum::<f64>(),
        cd.iter().sum::<f64>()
    );
}

#[test]
fn backfile_is_relative_to_the_source_directory() {
    let Some(c) = case("bgdspec_relative") else {
        return;
    };
    let sub = c.dir.join("bgd");
    std::fs::create_dir_all(&sub).unwrap();
    let s = bgdspec(&BgdspecRequest {
        out: Some(sub.join("x.pha")),
        ..c.req()
    })
    .unwrap();
    assert_eq!(s.backfile, "bgd/x.pha");
    assert_eq!(backfile_of(&c.src).as_deref(), Some("bgd/x.pha"));
    // a source spectrum in a subdirectory, its background one level up
    let srcdir = c.dir.join("spec");
    std::fs::create_dir_all(&srcdir).unwrap();
    std::fs::copy(c.dir.join("diag.rmf"), srcdir.join("diag.rmf")).unwrap();
    let src2 = srcdir.join("s.pha");
    write_source(&src2);
    let s = bgdspec(&BgdspecRequest {
        pha: src2.clone(),
        out: Some(c.dir.join("s_bgd.pha")),
        ..c.req()
    })
    .unwrap();
    assert_eq!(s.backfile, "../s_bgd.pha");
    assert!(c.dir.join("s_bgd.pha").exists());
    // the XSPEC-style lookup from the source's directory finds it
    assert!(srcdir.join(&s.backfile).exists());
}

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
    let (err, e) = refused(&BgdspecRequest {
        bgdinfo: swapped.clone(),
        ..c.req()
    });
    assert_variant!(err, Error::Model(ModelError::SpectrumOrder { .. }));
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
    let (err, e) = refused(&BgdspecRequest {
        pha: c.dir.join("nosuch.pha"),
        ..c.req()
    });
    assert_variant!(err, Error::Task(TaskError::InputMissing { .. }));
    assert!(e.contains("nosuch.pha") && e.contains("not found"), "{e}");
    let (err, e) = refused(&BgdspecRequest {
        region: c.dir.join("nosuch.reg"),
        ..c.req()
    });
    assert_variant!(err, Error::Task(TaskError::InputMissing { .. }));
    assert!(e.contains("nosuch.reg"), "{e}");
    unchanged("missing");
    // a source of a module without fitted background spectra
    let b = c.dir.join("srcB.pha");
    write_source_of(&b, "FPMB");
    let b_bytes = std::fs::read(&b).unwrap();
    let (err, e) = refused(&BgdspecRequest {
        pha: b.clone(),
        ..c.req()
    });
    assert_variant!(err, Error::Model(ModelError::ModuleNotFitted { .. }));
    assert!(e.contains("srcB.pha") && e.contains("FPMB"), "{e}");
    assert_eq!(std::fs::read(&b).unwrap(), b_bytes);
    assert!(!c.dir.join("srcB_bgd.pha").exists());
    std::fs::remove_file(&b).unwrap();
    unchanged("other module");
    // a bad expfactor
    let (err, e) = refused(&BgdspecRequest {
        expfactor: 0.0,
        ..c.req()
    });
    assert_variant!(err, Error::Task(TaskError::BadExpfactor { .. }));
    assert!(e.contains("expfactor"), "{e}");
}

#[test]
fn existing_outputs_and_backgrounds_are_kept() {
    let Some(c) = case("bgdspec_keep") else {
        return;
    };
    let src_bytes = std::fs::read(&c.src).unwrap();
    let before = listing(&c.dir);
    let unchanged = |what: &str| {
        assert_eq!(
            std::fs::read(&c.src).unwrap(),
            src_bytes,
            "{what}: source changed"
        );
        assert_eq!(listing(&c.dir), before, "{what}: files written");
    };
    // an existing output is kept without clobber
    let out = c.dir.join("src_sr_g30_bgd.pha");
    std::fs::write(&out, "keep").unwrap();
    let (err, e) = refused(&c.req());
    assert_variant!(err, Error::Io(IoError::OutputExists { .. }));
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
    let (err, e) = refused(&c.req());
    assert_variant!(err, Error::Task(TaskError::HasBackfile { .. }));
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
    let (err, e) = refused(&BgdspecRequest {
        xcm: bad_model,
        out: Some(c.dir.join("y.pha")),
        clobber: true,
        ..c.req()
    });
    assert_variant!(err, Error::Task(TaskError::NotBackgroundFit { .. }));
    assert!(e.contains("has 4 spectra"), "{e}");
    assert!(!c.dir.join("y.pha").exists());
    assert_eq!(std::fs::read(&c.src).unwrap(), src_now);
}

/// bgdspec refuses `req`: the error and its message.
fn refused(req: &BgdspecRequest) -> (Error, String) {
    let err = bgdspec(req).unwrap_err();
    let e = err.to_string();
    (err, e)
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
