//! projbgd against nuskybgd-py's own outputs (aspect histograms from the same reference run).

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::module::Module;
use nuskybgd::tasks::projbgd::{projbgd, ProjbgdRequest};
use std::path::{Path, PathBuf};

struct Diff {
    /// Largest relative difference over pixels above 1e-6 of the reference maximum.
    rel: f64,
    /// Largest absolute difference elsewhere, relative to the reference maximum.
    low_abs: f64,
    /// Pixels compared.
    n: usize,
}

/// Compare images on pixels selected by `keep(x, y)`.
fn compare(ours: &Image, theirs: &Image, keep: impl Fn(usize, usize) -> bool) -> Diff {
    assert_eq!((ours.nx, ours.ny), (theirs.nx, theirs.ny));
    let max = theirs.data.iter().cloned().fold(0.0f64, f64::max);
    let mut d = Diff {
        rel: 0.0,
        low_abs: 0.0,
        n: 0,
    };
    for y in 0..theirs.ny {
        for x in 0..theirs.nx {
            if !keep(x, y) {
                continue;
            }
            let (a, b) = (ours.get(x, y), theirs.get(x, y));
            d.n += 1;
            if b.abs() > 1e-6 * max {
                d.rel = d.rel.max((a - b).abs() / b.abs());
            } else {
                d.low_abs = d.low_abs.max((a - b).abs() / max);
            }
        }
    }
    d
}

fn read(p: &Path) -> Image {
    Fits::open(p).unwrap().read_image().unwrap()
}

fn run_case(sky: &Path, case: &str, m: Module, out_dir: &Path) -> Vec<(String, PathBuf, PathBuf)> {
    let input = sky.join(case).join("input");
    let l = m.letter();
    let out = out_dir.join(format!("{case}_bgdap{l}.fits"));
    let req = ProjbgdRequest {
        refimg: input.join("im3to20keV.fits.gz"),
        out: Output::new(out.to_str().unwrap(), false),
        module: m,
        dets: vec![0, 1, 2, 3],
        chipmap: input.join(format!("newinstrmap{l}.fits.gz")),
        aspect: sky.join(case).join(format!("expected/aspecthist{l}.fits")),
        auxil: support::root().unwrap().join("auxil"),
    };
    // each case in its own directory, since detector images go beside `out`
    let s = projbgd(&req).unwrap();
    assert_eq!(s.written.len(), 5);
    let mut pairs = vec![(
        format!("bgdap{l}"),
        out.clone(),
        sky.join(case).join(format!("expected/bgdap{l}.fits.gz")),
    )];
    for d in 0..4 {
        pairs.push((
            format!("det{d}{l}im"),
            out_dir.join(format!("det{d}{l}im.fits")),
            sky.join(case).join(format!("expected/det{d}{l}im.fits.gz")),
        ));
    }
    pairs
}

#[test]
fn equals_the_python_port_inside_the_image() {
    let Some(sky) = support::shared("projbgd_equals_port", "reference/sky") else {
        return;
    };
    for case in ["case_real", "case_small"] {
        for m in [Module::A, Module::B] {
            let dir = support::scratch(&format!("pb_{case}_{}", m.letter()));
            for (name, ours, theirs) in run_case(&sky, case, m, &dir) {
                let d = compare(&read(&ours), &read(&theirs), |_, _| true);
                eprintln!("projbgd {case} {name}: max rel diff {:.3e} (pixels > 1e-6 max), max abs diff elsewhere {:.3e} of max, {} px", d.rel, d.low_abs, d.n);
                assert!(d.rel <= 1e-5, "{case} {name}: {}", d.rel);
                assert!(d.low_abs <= 1e-6, "{case} {name}: {}", d.low_abs);
            }
        }
    }
}

/// case_pa244_clip: the footprint runs off the image. The port wraps what leaves one edge
/// onto the opposite edge (period n-1); we drop it. Inside, away from the edges by more
/// than the aspect wander plus the bilinear footprint, the two must agree; all differences
/// lie within that margin of the edges.
#[test]
fn clipped_case_agrees_in_the_interior_and_drops_wrapped_content() {
    let Some(sky) = support::shared("projbgd_clip", "reference/sky/case_pa244_clip") else {
        return;
    };
    let sky = sky.parent().unwrap();
    let margin = 45; // aspect histogram is 37x33 px: shifts stay within ±40 px of the peak
    for m in [Module::A, Module::B] {
        let dir = support::scratch(&format!("pb_clip_{}", m.letter()));
        for (name, ours, theirs) in run_case(sky, "case_pa244_clip", m, &dir) {
            let (a, b) = (read(&ours), read(&theirs));
            let inner = |x: usize, y: usize| {
                x >= margin && y >= margin && x < 1000 - margin && y < 1000 - margin
            };
            let d = compare(&a, &b, inner);
            let outside = compare(&a, &b, |x, y| !inner(x, y));
            let (sa, sb) = (a.sum(), b.sum());
            eprintln!(
                "projbgd clip {name}: interior max rel diff {:.3e}; edge band max rel diff {:.3e}; total ours {:.6} port {:.6} ({:+.4}%)",
                d.rel,
                outside.rel,
                sa,
                sb,
                100.0 * (sa - sb) / sb
            );
            assert!(d.rel <= 1e-5, "{name}: {}", d.rel);
            assert!(d.low_abs <= 1e-6, "{name}: {}", d.low_abs);
            if name.starts_with("bgdap") {
                // the aperture footprint (union of detectors) reaches the edge here: the
                // port's wrapped-in content really is absent from ours
                assert!(outside.rel > 1e-3, "{name}: wrapped content should differ");
            }
        }
    }
}

fn write_refimg(path: &Path, ctype: &str, cdelt: f64, pa: Option<f64>, n: usize) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(n, n), -32)?;
            f.set_key_str("CTYPE1", &format!("RA---{ctype}"), "")?;
            f.set_key_str("CTYPE2", &format!("DEC--{ctype}"), "")?;
            for ax in [1, 2] {
                f.set_key_f64(&format!("CRPIX{ax}"), 500.5, "")?;
                f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
            }
            f.set_key_f64("CDELT1", -cdelt, "")?;
            f.set_key_f64("CDELT2", cdelt, "")?;
            if let Some(pa) = pa {
                f.set_key_f64("PA_PNT", pa, "")?;
            }
            Ok(())
        })
        .unwrap();
}

/// Runs the projbgd command on `refimg` with the case's chipmap and aspect histogram.
fn run_projbgd(case: &Path, refimg: &Path, out: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "projbgd".to_string(),
        format!("refimg={}", refimg.display()),
        format!("out={}", out.display()),
        "mod=A".into(),
        "det=1234".into(),
        format!(
            "chipmap={}",
            case.join("input/newinstrmapA.fits.gz").display()
        ),
        format!(
            "aspect={}",
            case.join("expected/aspecthistA.fits").display()
        ),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args(&args)
        .env("NUSKYBGD_AUXIL", support::root().unwrap().join("auxil"))
        .output()
        .unwrap();
    (
        o.status.code().unwrap(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// An existing detector image blocks the whole run (nothing written) unless clobber.
fn check_existing_detector_image(case: &Path, dir: &Path) {
    let refimg = case.join("input/im3to20keV.fits.gz");
    let sub = dir.join("exists");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(sub.join("det2Aim.fits"), "keep me").unwrap();
    let (code, err) = run_projbgd(case, &refimg, &sub.join("bgdapA.fits"), &[]);
    assert_ne!(code, 0);
    assert!(
        err.contains("det2Aim.fits") && err.contains("exists"),
        "{err}"
    );
    assert!(!sub.join("bgdapA.fits").exists());
    assert_eq!(
        std::fs::read_to_string(sub.join("det2Aim.fits")).unwrap(),
        "keep me"
    );
    let (code, err) = run_projbgd(case, &refimg, &sub.join("bgdapA.fits"), &["clobber=yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(Fits::open(sub.join("det2Aim.fits")).is_ok());
}

/// A bad det= or mod= argument is refused with a message naming it.
fn check_argument_errors(refimg: &Path) {
    for (extra, want) in [(&["det=5"][..], "det="), (&["mod=C"][..], "mod=C")] {
        let mut args: Vec<String> = vec![
            "projbgd".into(),
            format!("refimg={}", refimg.display()),
            "out=x.fits".into(),
        ];
        args.extend(["chipmap=c", "aspect=a"].iter().map(|s| s.to_string()));
        if extra[0].starts_with("det") {
            args.push("mod=A".into());
        } else {
            args.push("det=1".into());
        }
        args.push(extra[0].into());
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .args(&args)
            .env("NUSKYBGD_AUXIL", support::root().unwrap().join("auxil"))
            .output()
            .unwrap();
        assert_ne!(o.status.code().unwrap(), 0);
        assert!(String::from_utf8_lossy(&o.stderr).contains(want));
    }
}

#[test]
fn bad_input_is_refused_with_nothing_written() {
    let Some(case) = support::shared("projbgd_bad_input", "reference/sky/case_small") else {
        return;
    };
    let dir = support::scratch("pb_bad");
    let good = 2.45810736 / 3600.0;
    let refs = [
        ("sin.fits", "SIN", good, Some(10.0), 1000, "no TAN sky WCS"),
        (
            "scale.fits",
            "TAN",
            good * 2.0,
            Some(10.0),
            1000,
            "not NuSTAR's sky pixel",
        ),
        ("nopa.fits", "TAN", good, None, 1000, "PA_PNT"),
        ("small.fits", "TAN", good, Some(10.0), 100, "1000x1000"),
    ];
    for (name, ctype, cdelt, pa, n, want) in refs {
        let r = dir.join(name);
        write_refimg(&r, ctype, cdelt, pa, n);
        let sub = dir.join(format!("out_{name}"));
        std::fs::create_dir_all(&sub).unwrap();
        let (code, err) = run_projbgd(&case, &r, &sub.join("bgdap.fits"), &[]);
        assert_ne!(code, 0, "{name}");
        assert!(err.contains(want) && err.contains(name), "{name}: {err}");
        assert_eq!(
            std::fs::read_dir(&sub).unwrap().count(),
            0,
            "{name}: output left behind"
        );
    }
    // an existing detector image blocks the whole run (nothing written) unless clobber
    check_existing_detector_image(&case, &dir);
    // argument errors
    check_argument_errors(&case.join("input/im3to20keV.fits.gz"));
}
