//! The refusals of issue 8 that used to say the wrong thing or nothing, each with its
//! message and error variant.

use crate::support::bad_inputs::*;
use crate::support::{self, assert_variant, getspec_fixture};
use nuskybgd::error::{IoError, ModelError, NustarError, SkyError, SpectralError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::Error;
use std::path::Path;

#[test]
fn gti_row_with_start_after_stop_is_blamed_on_the_gti_file() {
    let dir = support::scratch("refuse_gti");
    let (det1, gti) = (dir.join("det1.fits"), dir.join("gti.fits"));
    write_det1(&det1);
    write_gti(&gti, &[(0.0, 10.0), (30.0, 20.0)]);
    let e = nuskybgd::nustar::gti::Gti::read(&gti).unwrap_err();
    assert_variant!(e, Error::Nustar(NustarError::BadGtiRow { row: 2, .. }));
    let line = format!(
        "{}: GTI extension GTI row 2: START 30 is after STOP 20",
        gti.display()
    );
    assert_eq!(e.to_string(), line);
    let out = dir.join("ah.fits");
    let (code, _, err) = support::nuskybgd(&[
        "aspecthist",
        det1.to_str().unwrap(),
        &format!("gtifile={}", gti.display()),
        &format!("out={}", out.display()),
    ]);
    assert_eq!(code, 1);
    assert!(err.trim_end().ends_with(&line), "{err}");
    assert!(!out.exists());
}

#[test]
fn instrument_map_without_active_pixel_or_with_bad_labels_is_refused() {
    use nuskybgd::nustar::instrmap::read_chipmap;
    let dir = support::scratch("refuse_instrmap");
    let (zero, seven) = (dir.join("zero.fits"), dir.join("seven.fits"));
    write_instrmap(&zero, 0.0);
    write_instrmap(&seven, 7.0);
    let e = read_chipmap(&zero).unwrap_err();
    assert_variant!(e, Error::Nustar(NustarError::NoActivePixel { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: instrument map has no active pixel (all labels 0)",
            zero.display()
        )
    );
    let e = read_chipmap(&seven).unwrap_err();
    assert_variant!(
        e,
        Error::Nustar(NustarError::BadMapLabel { x: 1, y: 1, .. })
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: instrument map pixel (1, 1) is 7; labels are 0 (inactive) and 1-4 (DET0-DET3)",
            seven.display()
        )
    );
    write_instrmap(&dir.join("ok.fits"), 2.0);
    assert!(read_chipmap(&dir.join("ok.fits")).is_ok());
}

#[test]
fn cropped_aspect_histogram_without_offsets_is_refused() {
    use nuskybgd::sky::aspecthist::read_aspect;
    let dir = support::scratch("refuse_aspect");
    let p = dir.join("a.fits");
    write_aspect(&p, false);
    let e = read_aspect(&p).unwrap_err();
    assert_variant!(e, Error::Sky(SkyError::NoOffset { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: keyword X_OFF missing: a 3x2 aspect histogram must say where it lies on the 1000x1000 sky grid (X_OFF/Y_OFF, as aspecthist writes them)",
            p.display()
        )
    );
    let q = dir.join("b.fits");
    write_aspect(&q, true);
    let a = read_aspect(&q).unwrap();
    assert_eq!((a.x_off, a.y_off), (400, 400));
}

#[test]
fn mkimgs_band_outside_pi_channels_is_refused_not_clamped() {
    use nuskybgd::bgmodel::bands::pi_channels;
    for (lo, hi) in [(3.0, 1e30), (-50.0, 1e6), (1.0, 20.0), (3.0, 166.0)] {
        let e = pi_channels(lo, hi).unwrap_err();
        assert_variant!(e, Error::Model(ModelError::BandOutsidePi { .. }));
        assert_eq!(
            e.to_string(),
            format!("energy band {lo}-{hi} keV reaches outside NuSTAR's PI channels 0-4095 (1.6-165.44 keV); give a band inside it")
        );
    }
    assert_eq!(pi_channels(1.6, 165.44).unwrap(), (1, 4095));
}

#[test]
fn save_file_with_a_partial_data_group_is_refused() {
    let dir = support::scratch("refuse_xcm");
    let p = dir.join("short.xcm");
    std::fs::write(&p, "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n").unwrap();
    let e = nuskybgd::spectral::run::load(&p, false).unwrap_err();
    assert_variant!(e, Error::Spectral(SpectralError::BadLine { line: 2, .. }));
    assert_eq!(
        e.to_string(),
        format!("{}:2: model has 1 parameter lines, expected 2 per data group (2 for 1 groups); end the list with '/*' to take defaults for the rest", p.display())
    );
    // '/*' takes the defaults for the rest, as XSPEC does
    std::fs::write(
        &p,
        "statistic cstat\nmodel powerlaw\n1.7 0.01 -3 -2 9 10\n/*\n",
    )
    .unwrap();
    assert!(nuskybgd::spectral::run::load(&p, false).is_ok());
}

#[test]
fn region_of_exclusions_only_is_refused() {
    let dir = support::scratch("refuse_excl");
    let im = dir.join("im.fits");
    write_sky_image(&im, 20);
    let reg = dir.join("x.reg");
    std::fs::write(&reg, "image\n-circle(10,10,3)\n-box(5,5,2,2,0)\n").unwrap();
    let wcs = nuskybgd::io::wcs::Wcs::read(&mut Fits::open(&im).unwrap()).unwrap();
    let e = nuskybgd::io::region::Region::read(&reg, &wcs)
        .err()
        .unwrap();
    assert_variant!(e, Error::Io(IoError::RegionOnlyExclusions { .. }));
    assert_eq!(
        e.to_string(),
        format!("{}: region file has only exclusions ('-' shapes), which select nothing; add the shape they cut from before them", reg.display())
    );
}

#[test]
fn an_output_never_replaces_an_input_even_with_clobber() {
    let dir = support::scratch("refuse_inout");
    let evt = dir.join("ev.fits");
    getspec_fixture::write_events(&evt, "FPMA", &getspec_fixture::events(), true);
    let before = std::fs::read(&evt).unwrap();
    let stem = dir.join("ev");
    let e = support::mkimgs(&evt, stem.to_str().unwrap(), 3.0, 20.0, true).unwrap_err();
    assert_variant!(e, Error::Io(IoError::OutputIsInput { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: is the input {}; an output never replaces an input, even with clobber=yes",
            evt.display(),
            evt.display()
        )
    );
    assert_eq!(std::fs::read(&evt).unwrap(), before);
    // another spelling of the same file is the same file
    let other = format!("{}/./ev", dir.display());
    assert!(support::mkimgs(&evt, &other, 3.0, 20.0, true).is_err());
}

#[test]
fn open_and_region_failures_speak_the_users_terms() {
    let dir = support::scratch("refuse_terms");
    let p = dir.join("zero.fits");
    std::fs::write(&p, vec![0u8; 2880]).unwrap();
    let e = Fits::open(&p).err().unwrap();
    assert_variant!(e, Error::Io(IoError::NotFits { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("not a FITS file, or truncated: no readable primary header"),
        "{msg}"
    );
    assert!(!msg.contains("ffopen") && !msg.contains("(ff"), "{msg}");
    // a failure on the hidden temporary file names the output the user gave
    let out = std::path::PathBuf::from("/proc/nuskybgd_no_such_output.fits");
    let e = Output::new(out.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&Image::zeros(2, 2), 32))
        .unwrap_err();
    assert_eq!(e.path(), Some(out.as_path()), "{e}");
    assert!(!e.to_string().contains(".tmp"), "{e}");
}

#[test]
fn unknown_bgdinfo_keys_are_refused_by_name() {
    use nuskybgd::bgmodel::bgdinfo::BgdInfo;
    let p = Path::new("bgdinfo.json");
    let text = r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits", "intbgd_fix_line_ratio": true}"#;
    let e = BgdInfo::parse(p, text).unwrap_err();
    assert_variant!(e, Error::Model(ModelError::BadBgdInfo { .. }));
    assert!(
        e.to_string()
            .starts_with("bgdinfo.json: unknown key 'intbgd_fix_line_ratio' (known: bgfiles,"),
        "{e}"
    );
    let text = r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits", "fcxb_config": {"link": []}}"#;
    let e = BgdInfo::parse(p, text).unwrap_err();
    assert_eq!(
        e.to_string(),
        "bgdinfo.json: unknown key 'link' in fcxb_config (known: links)"
    );
}

#[test]
fn image_in_a_band_without_response_is_refused() {
    use nuskybgd::tasks::image::{image_task, ImageRequest};
    let Some(c) = support::bgdspec_case::case("refuse_image_band") else {
        return;
    };
    let prefix = format!("{}/img_", c.dir.display());
    let e = image_task(&ImageRequest {
        bgdinfo: c.info.clone(),
        xcm: c.model.clone(),
        emin: 500.0,
        emax: 1000.0,
        prefix: prefix.clone(),
        clobber: false,
        auxil: c.auxil.clone(),
    })
    .unwrap_err();
    assert_variant!(
        e,
        Error::Task(nuskybgd::error::TaskError::BandWithoutResponse { .. })
    );
    assert_eq!(
        e.to_string(),
        format!("{}: band 500-1000 keV holds no channel of any spectrum's response; every image would be all zeros", c.model.display())
    );
    let left = std::fs::read_dir(&c.dir).unwrap();
    assert!(left.into_iter().all(|f| !f
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("img_")));
}

#[test]
fn bgdinfo_paths_are_taken_from_its_folder_and_written_relative_to_it() {
    use nuskybgd::bgmodel::bgdinfo::BgdInfo;
    let dir = support::scratch("bgdinfo_base");
    for f in [
        "a.pha", "a.reg", "im.fits", "ap.fits", "d0.fits", "d1.fits", "d2.fits", "d3.fits",
    ] {
        std::fs::write(dir.join(f), "").unwrap();
    }
    let json = dir.join("bgdinfo.json");
    std::fs::write(
        &json,
        r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits",
            "bgdapfiles": {"A": "ap.fits"}, "bgddetfiles": {"A": ["d0.fits", "d1.fits", "d2.fits", "d3.fits"]}}"#,
    )
    .unwrap();
    // the test runs elsewhere: the names are found beside the JSON file
    let info = BgdInfo::read(&json).unwrap();
    assert_eq!(info.bgfiles, vec![dir.join("a.pha")]);
    assert_eq!(info.a.as_ref().unwrap().det[3], dir.join("d3.fits"));
    // written back beside them: relative names again, and read back the same
    let again = dir.join("again.json");
    info.write(&Output::new(again.to_str().unwrap(), false))
        .unwrap();
    let text = std::fs::read_to_string(&again).unwrap();
    assert!(
        text.contains("\"a.pha\"") && !text.contains(&dir.display().to_string()),
        "{text}"
    );
    assert_eq!(BgdInfo::read(&again).unwrap(), info);
}
