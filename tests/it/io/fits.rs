//! The FITS layer: round trips through cfitsio, gzip reading, errors that name the file.

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;

#[test]
fn image_and_keywords_round_trip() {
    let dir = support::scratch("fits_rt");
    let p = dir.join("a.fits");
    let mut img = Image::zeros(3, 2);
    *img.at_mut(2, 1) = 7.25;
    *img.at_mut(0, 0) = -1.5;
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&img, -64)?;
            f.set_key_f64("PA_PNT", 243.7123456789012, "roll")?;
            f.set_key_str("INSTRUME", "FPMA", "")?;
            f.set_key_i64("X_OFF", 12, "")?;
            f.history("made by a test")
        })
        .unwrap();
    let mut f = Fits::open(&p).unwrap();
    let back = f.read_image().unwrap();
    assert_eq!(back, img);
    assert_eq!(back.get(2, 1), 7.25);
    assert_eq!(f.key_f64("PA_PNT").unwrap(), 243.7123456789012);
    assert_eq!(f.key_str("INSTRUME").unwrap(), "FPMA");
    assert_eq!(f.key_i64("X_OFF").unwrap(), 12);
    assert_eq!(f.opt_key_f64("NOPE").unwrap(), None);
    let e = f.key_f64("NOPE").unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Io(nuskybgd::error::IoError::MissingKeyword { .. })
        ),
        "{e}"
    );
    let err = e.to_string();
    assert!(err.contains("a.fits") && err.contains("NOPE"), "{err}");
    assert!(f
        .cards()
        .unwrap()
        .iter()
        .any(|c| c.starts_with("HISTORY made by a test")));
}

#[test]
fn table_round_trip_and_missing_column() {
    let dir = support::scratch("fits_tab");
    let p = dir.join("t.fits");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "GTI",
                &[
                    ("START", "1D", "s"),
                    ("STOP", "1D", "s"),
                    ("N", "1J", ""),
                    ("NAME", "8A", ""),
                ],
                2,
            )?;
            f.write_col_f64(1, &[1.0, 10.0])?;
            f.write_col_f64(2, &[5.0, 20.5])?;
            f.write_col_i64(3, &[3, -4])?;
            f.write_col_str(4, &["DET0".into(), "DET3".into()])
        })
        .unwrap();
    let mut f = Fits::open(&p).unwrap();
    f.goto_named("gti").unwrap();
    assert_eq!(f.nrows().unwrap(), 2);
    assert_eq!(f.read_col_f64("STOP").unwrap(), vec![5.0, 20.5]);
    assert_eq!(f.read_col_i64("N").unwrap(), vec![3, -4]);
    assert_eq!(f.read_col_str("NAME").unwrap(), vec!["DET0", "DET3"]);
    let e = f.read_col_f64("TSTART").unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Io(nuskybgd::error::IoError::MissingColumn { .. })
        ),
        "{e}"
    );
    let err = e.to_string();
    assert!(
        err.contains("t.fits") && err.contains("TSTART") && err.contains("GTI"),
        "{err}"
    );
    assert!(!f.try_goto_named("EVENTS").unwrap());
    assert!(f.goto_hdu(5).is_err());
}

#[test]
fn missing_and_non_fits_files_are_named() {
    let dir = support::scratch("fits_bad");
    let e = Fits::open(dir.join("none.fits")).err().unwrap().to_string();
    assert!(e.contains("none.fits") && e.contains("no such file"), "{e}");
    let txt = dir.join("x.fits");
    std::fs::write(&txt, "not a fits file").unwrap();
    let e = Fits::open(&txt).err().unwrap().to_string();
    assert!(e.contains("x.fits"), "{e}");
}

#[test]
fn reads_gzip_compressed_images() {
    let Some(p) = support::shared(
        "reads_gzip_compressed_images",
        "reference/sky/case_small/input/im3to20keV.fits.gz",
    ) else {
        return;
    };
    let mut f = Fits::open(&p).unwrap();
    let img = f.read_image().unwrap();
    assert_eq!((img.nx, img.ny), (1000, 1000));
    assert!(f.key_f64("PA_PNT").is_ok());
}

#[test]
fn float_keywords_keep_every_digit() {
    let dir = support::scratch("fits_keys");
    let p = dir.join("k.fits");
    let vals = [0.1, 1e-7, 6.828076e-4, -3.4e21, 12.0, 0.0, 1.0 / 3.0];
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(1, 1), -32)?;
            for (i, v) in vals.iter().enumerate() {
                f.set_key_f64(&format!("K{i}"), *v, "")?;
            }
            Ok(())
        })
        .unwrap();
    let mut f = Fits::open(&p).unwrap();
    for (i, v) in vals.iter().enumerate() {
        assert_eq!(f.key_f64(&format!("K{i}")).unwrap(), *v);
    }
}
