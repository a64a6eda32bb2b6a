//! mkimgs: counts equal an independent count of the events, headers usable downstream.

use crate::support::mkimgs;
use crate::support::{self, assert_variant};
use nuskybgd::bgmodel::bands::pi_channels as band_channels;
use nuskybgd::error::{IoError, ModelError, NustarError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::sky::refimg::RefImage;
use nuskybgd::Error;
use std::collections::HashMap;
use std::path::Path;

#[test]
fn band_channels_follow_the_original() {
    assert_eq!(band_channels(3.0, 20.0).unwrap(), (36, 459));
    assert_eq!(band_channels(10.0, 20.0).unwrap().0, 211);
    assert!(band_channels(20.0, 3.0).is_err());
    assert!(band_channels(200.0, 300.0).is_err());
}

#[test]
fn real_events_are_counted_exactly() {
    let Some(evt) = support::shared(
        "mkimgs_real",
        "data/real/90410111001/nu90410111001A06_cl_sunpos.evt.gz",
    ) else {
        return;
    };
    let dir = support::scratch("mk_real");
    let out = dir.join("im");
    let s = mkimgs(&evt, out.to_str().unwrap(), 3.0, 20.0, false).unwrap();
    // independent count straight from the columns
    let mut f = Fits::open(&evt).unwrap();
    f.goto_named("EVENTS").unwrap();
    let col = |f: &mut Fits, n: &str| f.read_col_f64(n).unwrap();
    let (pi, x, y) = (col(&mut f, "PI"), col(&mut f, "X"), col(&mut f, "Y"));
    let (dx, dy, rx, ry) = (
        col(&mut f, "DET1X"),
        col(&mut f, "DET1Y"),
        col(&mut f, "RAWX"),
        col(&mut f, "RAWY"),
    );
    let tlmin = f.key_f64("TLMIN13").unwrap();
    let mut sky: HashMap<(i64, i64), f64> = HashMap::new();
    let mut det: HashMap<(i64, i64), f64> = HashMap::new();
    for i in 0..pi.len() {
        if !(36.0..=459.0).contains(&pi[i]) {
            continue;
        }
        *sky.entry(((x[i] - tlmin) as i64, (y[i] - tlmin) as i64))
            .or_default() += 1.0;
        if (1.0..=30.0).contains(&rx[i]) && (1.0..=30.0).contains(&ry[i]) {
            *det.entry((dx[i] as i64 - 1, dy[i] as i64 - 1)).or_default() += 1.0;
        }
    }
    let img = Fits::open(&s.sky_path).unwrap().read_image().unwrap();
    let dimg = Fits::open(&s.det1_path).unwrap().read_image().unwrap();
    assert_eq!(img.sum(), sky.values().sum::<f64>());
    assert!(img.sum() > 100.0);
    for ((px, py), n) in &sky {
        assert_eq!(img.get(*px as usize, *py as usize), *n);
    }
    assert_eq!((dimg.nx, dimg.ny), (360, 360));
    assert_eq!(dimg.sum(), det.values().sum::<f64>());
    for ((px, py), n) in &det {
        assert_eq!(dimg.get(*px as usize, *py as usize), *n);
    }
    // DET1 image keywords as xselect writes them (compare with a real xselect DET1 image)
    if let Some(real) = support::shared(
        "mkimgs_real_layout",
        "data/real/30002041016/nu30002041016A01_cl_3to20keV_det1.fits",
    ) {
        let mut a = Fits::open(&s.det1_path).unwrap();
        let mut b = Fits::open(&real).unwrap();
        for k in ["NAXIS1", "NAXIS2", "BITPIX", "LTM1_1", "LTV1", "CRPIX1P"] {
            assert_eq!(a.key_f64(k).unwrap(), b.key_f64(k).unwrap(), "{k}");
        }
        for k in ["CTYPE1P", "CTYPE2P", "CHANTYPE", "TELESCOP", "INSTRUME"] {
            assert_eq!(a.key_str(k).unwrap(), b.key_str(k).unwrap(), "{k}");
        }
        assert_eq!(a.key_f64("TOTCTS").unwrap(), dimg.sum());
    }
    let mut h = Fits::open(&s.sky_path).unwrap();
    assert_eq!(h.key_str("CTYPE1").unwrap(), "RA---TAN");
    assert_eq!(h.key_f64("PA_PNT").unwrap(), -100.0);
    assert_eq!(h.key_f64("EXPOSURE").unwrap(), 70.0321908915824);
    assert_eq!(h.key_i64("CHANMIN").unwrap(), 36);
}

/// A small synthetic event list at NuSTAR's sky scale: the sky image is a valid projbgd
/// reference image.
#[test]
fn sky_image_serves_as_projbgd_reference_and_bad_input() {
    let dir = support::scratch("mk_synth");
    let evt = dir.join("ev.fits");
    Output::new(evt.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [
                ("PI", "1J", ""),
                ("X", "1I", "pixel"),
                ("Y", "1I", "pixel"),
                ("DET1X", "1I", ""),
                ("DET1Y", "1I", ""),
                ("RAWX", "1B", ""),
                ("RAWY", "1B", ""),
            ];
            f.create_table("EVENTS", &cols, 3)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMB", "")?;
            f.set_key_f64("PA_PNT", 123.5, "")?;
            for (c, t) in [(2, "RA---TAN"), (3, "DEC--TAN")] {
                f.set_key_str(&format!("TCTYP{c}"), t, "")?;
                f.set_key_f64(&format!("TCRPX{c}"), 500.5, "")?;
                f.set_key_f64(&format!("TCRVL{c}"), 40.0, "")?;
                f.set_key_f64(
                    &format!("TCDLT{c}"),
                    if c == 2 { -6.828076e-4 } else { 6.828076e-4 },
                    "",
                )?;
                f.set_key_i64(&format!("TLMIN{c}"), 1, "")?;
                f.set_key_i64(&format!("TLMAX{c}"), 1000, "")?;
            }
            f.write_col_i64(1, &[35, 36, 459])?;
            f.write_col_i64(2, &[10, 10, 1000])?;
            f.write_col_i64(3, &[20, 20, 1])?;
            f.write_col_i64(4, &[5, 5, 6])?;
            f.write_col_i64(5, &[7, 7, 8])?;
            f.write_col_i64(6, &[1, 1, 31])?;
            f.write_col_i64(7, &[1, 1, 2])
        })
        .unwrap();
    let s = mkimgs(&evt, dir.join("im").to_str().unwrap(), 3.0, 20.0, false).unwrap();
    assert_eq!((s.in_band, s.sky_counts, s.det1_counts), (2, 2, 1));
    let img = Fits::open(&s.sky_path).unwrap().read_image().unwrap();
    assert_eq!(img.get(9, 19), 1.0);
    assert_eq!(img.get(999, 0), 1.0);
    let r = RefImage::read(&s.sky_path).unwrap();
    assert_eq!(r.pa_pnt, 123.5);
    // the outputs exist now: a second run refuses and keeps them
    let e = mkimgs(&evt, dir.join("im").to_str().unwrap(), 3.0, 20.0, false).unwrap_err();
    assert!(e.to_string().contains("exists"));
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert!(mkimgs(&evt, dir.join("im").to_str().unwrap(), 3.0, 20.0, true).is_ok());
    // not an event file / missing file / bad band: errors name the problem, nothing written
    let bad = |p: &Path, lo: f64, hi: f64, want: &str| {
        let e = mkimgs(p, dir.join("bad").to_str().unwrap(), lo, hi, false).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
        assert!(!dir.join("bad.fits").exists() && !dir.join("baddet.fits").exists());
        e
    };
    let e = bad(&s.sky_path, 3.0, 20.0, "no EVENTS extension");
    assert_variant!(e, Error::Nustar(NustarError::MissingExtension { .. }));
    let e = bad(&dir.join("none.evt"), 3.0, 20.0, "no such file");
    assert_variant!(e, Error::Io(IoError::NoSuchFile { .. }));
    let e = bad(&evt, 20.0, 3.0, "ELOW must be below EHIGH");
    assert_variant!(e, Error::Model(ModelError::BandOrder { .. }));
}
