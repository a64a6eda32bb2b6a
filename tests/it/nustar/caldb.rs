//! CALDB lookups filtered on the calibration boundary (CAL_CBD), as GRPRMF needs.

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use std::path::Path;

/// Real CALDB indexes store CAL_CBD as several 70-character strings per row (TFORM 630A70):
/// the boundary filter reads every string of the row.
#[test]
fn grprmf_boundary_filter_reads_vector_cal_cbd() {
    let dir = support::scratch("getspec_cbd");
    let bcf = dir.join("data/nustar/fpm/bcf");
    std::fs::create_dir_all(&bcf).unwrap();
    for n in ["nominal.fits", "shallow.fits"] {
        std::fs::write(bcf.join(n), "").unwrap();
    }
    let idx = dir.join("data/nustar/fpm/caldb.indx");
    let cbd: Vec<String> = [
        "GRADE(0-4)",
        "DEPTHCUT(NOMINAL)",
        "",
        "DEPTHCUT(SHALLOW)",
        "GRADE(0-4)",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    write_grprmf_index(&idx, &cbd);
    let mut f = Fits::open(&idx).unwrap();
    f.goto_hdu(2).unwrap();
    assert_eq!(
        f.read_col_str_joined("CAL_CBD").unwrap(),
        vec![
            "GRADE(0-4) DEPTHCUT(NOMINAL)",
            "DEPTHCUT(SHALLOW) GRADE(0-4)"
        ]
    );
    let c = Caldb {
        root: dir.to_path_buf(),
    };
    let date = "2016-02-12T19:06:40";
    let nominal = c
        .lookup_boundary("GRPRMF", "FPMB", Some("DET2"), date, "DEPTHCUT(NOMINAL)")
        .unwrap();
    assert!(nominal.path.ends_with("nominal.fits") && nominal.ext == 3);
    // without the filter the later (shallow) entry wins, as before
    assert!(c
        .lookup("GRPRMF", "FPMB", Some("DET2"), date)
        .unwrap()
        .path
        .ends_with("shallow.fits"));
    let e = c
        .lookup_boundary("GRPRMF", "FPMB", Some("DET2"), date, "DEPTHCUT(DEEP)")
        .unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Nustar(nuskybgd::error::NustarError::NoCaldbEntry { .. })
        ),
        "{e}"
    );
    assert!(e.to_string().contains("CAL_CBD DEPTHCUT(DEEP)"), "{e}");
}

/// Writes a CALDB index with two FPMB DET2 GRPRMF entries (nominal.fits from 2010,
/// shallow.fits from 2013) whose CAL_CBD is `cbd`, three 70-character strings per row.
fn write_grprmf_index(idx: &Path, cbd: &[String]) {
    Output::new(idx.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [
                ("TELESCOP", "10A", ""),
                ("INSTRUME", "10A", ""),
                ("DETNAM", "20A", ""),
                ("CAL_DIR", "70A", ""),
                ("CAL_FILE", "40A", ""),
                ("CAL_CNAM", "20A", ""),
                ("CAL_XNO", "1I", ""),
                ("CAL_VSD", "10A", ""),
                ("CAL_VST", "8A", ""),
                ("CAL_CBD", "210A70", ""),
            ];
            f.create_table("CIF", &cols, 2)?;
            let two = |v: &str| vec![v.to_string(); 2];
            f.write_col_str(1, &two("NUSTAR"))?;
            f.write_col_str(2, &two("FPMB"))?;
            f.write_col_str(3, &two("DET2"))?;
            f.write_col_str(4, &two("data/nustar/fpm/bcf"))?;
            f.write_col_str(5, &["nominal.fits".to_string(), "shallow.fits".to_string()])?;
            f.write_col_str(6, &two("GRPRMF"))?;
            f.write_col_i64(7, &[3, 3])?;
            f.write_col_str(8, &["2010-01-01".to_string(), "2013-01-01".to_string()])?;
            f.write_col_str(9, &two("00:00:00"))?;
            f.write_col_str(10, cbd)
        })
        .unwrap();
}
