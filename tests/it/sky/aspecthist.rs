//! aspecthist against nuskybgd-py's own outputs, on dirty real aspect data, and on bad input.

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use std::path::{Path, PathBuf};

fn p(x: &Path) -> &str {
    x.to_str().unwrap()
}

#[test]
fn equals_the_python_port_on_all_three_cases() {
    let Some(sky) = support::shared("aspecthist_equals_port", "reference/sky") else {
        return;
    };
    let dir = support::scratch("ah_ref");
    for case in ["case_real", "case_small", "case_pa244_clip"] {
        for m in ["A", "B"] {
            let input = sky.join(case).join("input");
            let out = dir.join(format!("{case}{m}.fits"));
            let (code, _, err) = crate::support::nuskybgd(&[
                "aspecthist",
                p(&input.join(format!("nu90000000001{m}_det1.fits.gz"))),
                &format!(
                    "gtifile={}",
                    p(&input.join(format!("nu90000000001{m}01_gti.fits")))
                ),
                &format!("out={}", p(&out)),
            ]);
            assert_eq!(code, 0, "{case} {m}: {err}");
            let mut ours = Fits::open(&out).unwrap();
            let mut theirs =
                Fits::open(sky.join(case).join(format!("expected/aspecthist{m}.fits"))).unwrap();
            let (a, b) = (ours.read_image().unwrap(), theirs.read_image().unwrap());
            assert_eq!((a.nx, a.ny), (b.nx, b.ny), "{case} {m} shape");
            let worst = a
                .data
                .iter()
                .zip(&b.data)
                .map(|(x, y)| (x - y).abs() / y.abs().max(1e-300))
                .fold(0.0f64, f64::max);
            assert!(
                worst <= 1e-12,
                "{case} {m}: worst relative difference {worst}"
            );
            for k in ["X_OFF", "Y_OFF"] {
                assert_eq!(
                    ours.key_i64(k).unwrap(),
                    theirs.key_i64(k).unwrap(),
                    "{case} {m} {k}"
                );
            }
            assert_eq!(
                ours.key_f64("EXPOSURE").unwrap(),
                theirs.key_f64("EXPOSURE").unwrap()
            );
            for k in [
                "TELESCOP", "INSTRUME", "OBS_ID", "OBJECT", "DATE-OBS", "DATE-END", "TIMESYS",
            ] {
                assert_eq!(
                    ours.key_str(k).unwrap(),
                    theirs.key_str(k).unwrap(),
                    "{case} {m} {k}"
                );
            }
            for k in ["TSTART", "TSTOP", "MJDREFF", "RA_PNT", "DEC_PNT"] {
                assert_eq!(
                    ours.key_f64(k).unwrap(),
                    theirs.key_f64(k).unwrap(),
                    "{case} {m} {k}"
                );
            }
            assert_eq!(ours.key_str("EXTNAME").unwrap(), "ASPECT_HISTOGRAM");
        }
    }
}

#[test]
fn dirty_real_aspect_data_is_binned_and_the_dropped_time_reported() {
    let Some(real) = support::shared("aspecthist_dirty_real", "data/real/80415201001") else {
        return;
    };
    let dir = support::scratch("ah_dirty");
    for m in ["A", "B"] {
        let out = dir.join(format!("ah{m}.fits"));
        let (code, _, err) = crate::support::nuskybgd(&[
            "aspecthist",
            p(&real.join(format!("nu80415201001{m}_det1.fits.gz"))),
            &format!(
                "--gtifile={}",
                p(&real.join(format!("nu80415201001{m}06_gti.fits")))
            ),
            "--out",
            p(&out),
        ]);
        assert_eq!(code, 0, "{err}");
        let mut f = Fits::open(&out).unwrap();
        let img = f.read_image().unwrap();
        assert!(img.sum() > 0.0);
        assert!(img.data.iter().all(|v| *v >= 0.0));
        let xo = f.key_i64("X_OFF").unwrap();
        assert!(xo >= 0 && xo as usize + img.nx <= 1000);
        // The off-grid samples (X_DET1 near -8300) lie outside the real GTIs; with one GTI
        // spanning the whole file they must be dropped and reported, not wrapped.
        let det1 = real.join(format!("nu80415201001{m}_det1.fits.gz"));
        let t = Fits::open(&det1).and_then(|mut f| {
            f.goto_named("DET1_REFPOINT")?;
            f.read_col_f64("TIME")
        });
        let t = t.unwrap();
        let all = dir.join(format!("all{m}.fits"));
        write_gti(&all, &[(t[0], t[t.len() - 1] + 1.0)]);
        let out2 = dir.join(format!("ah_all{m}.fits"));
        let (code, stdout, err) = crate::support::nuskybgd(&[
            "aspecthist",
            p(&det1),
            &format!("gtifile={}", p(&all)),
            &format!("out={}", p(&out2)),
        ]);
        assert_eq!(code, 0, "{err}");
        let mut f = Fits::open(&out2).unwrap();
        let dropped = f.key_f64("DROPTIME").unwrap();
        assert!(dropped > 0.0, "module {m}: nothing dropped");
        assert!(stdout.contains("dropped"), "{stdout}");
        let img2 = f.read_image().unwrap();
        assert!(img2.nx < 1000 && img2.ny < 1000);
        let span = t[t.len() - 1] - t[0];
        assert!(
            (img2.sum() + dropped - span).abs() < 1e-6 * span,
            "binned + dropped = span"
        );
    }
}

fn write_det1(path: &Path, instrume: &str, extname: &str) {
    Output::new(p(path), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                extname,
                &[
                    ("TIME", "1D", "s"),
                    ("X_DET1", "1D", "pixel"),
                    ("Y_DET1", "1D", "pixel"),
                ],
                3,
            )?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", instrume, "")?;
            f.set_key_str("HDUCLAS1", "TEMPORALDATA", "")?;
            f.write_col_f64(1, &[0.0, 1.0, 2.0])?;
            f.write_col_f64(2, &[500.5, 500.5, 501.5])?;
            f.write_col_f64(3, &[400.2, 400.2, 400.2])
        })
        .unwrap();
}

fn write_gti(path: &Path, rows: &[(f64, f64)]) {
    Output::new(p(path), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "GTI",
                &[("START", "1D", "s"), ("STOP", "1D", "s")],
                rows.len(),
            )?;
            f.set_key_str("HDUCLAS1", "GTI", "")?;
            let (a, b): (Vec<f64>, Vec<f64>) = rows.iter().cloned().unzip();
            f.write_col_f64(1, &a)?;
            f.write_col_f64(2, &b)
        })
        .unwrap();
}

#[test]
fn small_synthetic_track_and_bad_input() {
    let dir = support::scratch("ah_bad");
    let det1 = dir.join("det1.fits");
    let gti = dir.join("gti.fits");
    write_det1(&det1, "FPMA", "DET1_REFPOINT");
    write_gti(&gti, &[(0.0, 10.0)]);
    let out = dir.join("out.fits");
    let run = |det1: &PathBuf, gti: &PathBuf, out: &str| {
        crate::support::nuskybgd(&[
            "aspecthist",
            p(det1),
            &format!("gtifile={}", p(gti)),
            &format!("out={out}"),
        ])
    };
    let (code, _, err) = run(&det1, &gti, p(&out));
    assert_eq!(code, 0, "{err}");
    // two samples in good time, each lasting 1 s, at floor(500.5)=500, floor(400.2)=400
    let img = Fits::open(&out).unwrap().read_image().unwrap();
    assert_eq!((img.nx, img.ny), (1, 1));
    assert_eq!(img.data, vec![2.0]);

    // an existing output is kept ...
    let (code, _, err) = run(&det1, &gti, p(&out));
    assert_ne!(code, 0);
    assert!(err.contains("exists"), "{err}");
    // ... unless asked with a leading '!'
    let (code, _, _) = run(&det1, &gti, &format!("!{}", p(&out)));
    assert_eq!(code, 0);

    let cases: Vec<(PathBuf, PathBuf, &str)> = vec![
        (dir.join("missing.fits"), gti.clone(), "no such file"),
        (gti.clone(), gti.clone(), "no DET1_REFPOINT"),
        (
            {
                let f = dir.join("fpmc.fits");
                write_det1(&f, "FPMC", "DET1_REFPOINT");
                f
            },
            gti.clone(),
            "INSTRUME is 'FPMC'",
        ),
        (
            det1.clone(),
            {
                let f = dir.join("empty_gti.fits");
                write_gti(&f, &[]);
                f
            },
            "empty",
        ),
        (
            det1.clone(),
            {
                let f = dir.join("late_gti.fits");
                write_gti(&f, &[(100.0, 200.0)]);
                f
            },
            "no reference-point samples",
        ),
        (det1.clone(), det1.clone(), "no GTI extension"),
    ];
    for (i, (d, g, want)) in cases.iter().enumerate() {
        let o = dir.join(format!("bad{i}.fits"));
        let (code, _, err) = run(d, g, p(&o));
        assert_ne!(code, 0, "case {i}");
        assert!(err.contains(want), "case {i}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(!o.exists(), "case {i} left an output");
    }
    // nothing but our outputs and inputs in the directory (no temporary files left)
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".tmp")));
}
