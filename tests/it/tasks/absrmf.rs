//! absrmf: each energy row of a detector RMF times that detector's absorption at the row's
//! energy (real DETABS file; real DET3 RMF), from files or a stand-in CALDB; the general
//! weighted routine normalises its weights; bad input writes nothing.

use crate::support::{self, assert_variant};
use nuskybgd::bgmodel::detrmf::{Detabs, DetabsSource, RmfSource};
use nuskybgd::error::{IoError, NustarError, TaskError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::nustar::caldb_index::{write_index, IndexEntry};
use nuskybgd::spectral::ogip::rmf::Rmf;
use nuskybgd::spectral::rmf_ops::dense_row;
use nuskybgd::tasks::absrmf::{absorbed_rmf, absrmf, AbsrmfRequest};
use nuskybgd::Error;
use std::path::{Path, PathBuf};

fn write_evt(path: &Path, instrume: &str) {
    Output::new(path.to_str().unwrap(), true)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("EVENTS", &[("PI", "1J", "")], 0)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", instrume, "")?;
            f.set_key_str("DATE-OBS", "2016-02-12T19:06:40.5", "")
        })
        .unwrap();
}

fn detabs_col(path: &Path, d: usize) -> Vec<f64> {
    let mut f = Fits::open(path).unwrap();
    f.goto_hdu(d + 2).unwrap();
    f.read_col_f64("DETABS").unwrap()
}

/// Each energy row of DET0 and DET2 is the input row times DETABS at the row's energy,
/// and the two detectors' outputs differ.
fn check_scaled_rows(rmf: &Path, da: &Path, outputs: &[PathBuf]) {
    let input = Rmf::read(rmf).unwrap();
    for d in [0, 2] {
        let out = Rmf::read(&outputs[d]).unwrap();
        let a = detabs_col(da, d);
        let mut rows = 0;
        for e in [5, 30, 100, 400, 1500, 3000] {
            let (r_in, r_out) = (dense_row(&input, e), dense_row(&out, e));
            let peak = r_in.iter().cloned().fold(0.0, f64::max);
            if peak == 0.0 {
                continue;
            }
            rows += 1;
            for c in 0..4096 {
                let want = r_in[c] * a[e];
                assert!(
                    (r_out[c] - want).abs() <= 1e-6 * peak,
                    "DET{d} row {e} ch {c}"
                );
            }
            // the port's channel-axis product differs wherever DETABS varies over the row
            if a[e] < 0.95 {
                assert!((0..4096).any(|c| (r_out[c] - r_in[c] * a[c]).abs() > 1e-3 * peak));
            }
        }
        assert!(rows >= 5);
        assert!(
            a[5] < 0.9 && a[3000] > 0.95,
            "DETABS low-energy absorption {} {}",
            a[5],
            a[3000]
        );
    }
    // the detectors differ, so their outputs do
    let (r0, r2) = (
        Rmf::read(&outputs[0]).unwrap(),
        Rmf::read(&outputs[2]).unwrap(),
    );
    assert_ne!(dense_row(&r0, 30), dense_row(&r2, 30));
}

#[test]
fn energy_rows_are_scaled_by_the_detector_absorption() {
    let (Some(rmf), Some(da)) = (
        support::shared("absrmf_real", "caldb/nuAdet3_20100101v002.rmf.gz"),
        support::shared("absrmf_real", "caldb/nuAdetabs20100101v002.fits.gz"),
    ) else {
        return;
    };
    let dir = support::scratch("absrmf_real");
    let evt = dir.join("ev.fits");
    write_evt(&evt, "FPMA");
    let prefix = dir.join("sub/det");
    let t0 = std::time::Instant::now();
    let s = absrmf(&AbsrmfRequest {
        evt: evt.clone(),
        outprefix: prefix.to_str().unwrap().to_string(),
        rmf: RmfSource::File(rmf.clone()),
        detabs: DetabsSource::File(da.clone()),
        clobber: false,
    })
    .unwrap();
    eprintln!(
        "absrmf on the real 4096x4096 RMF: {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    for d in 0..4 {
        assert_eq!(s.outputs[d], dir.join(format!("sub/det{d}A.rmf")));
    }
    check_scaled_rows(&rmf, &da, &s.outputs);
    // outputs exist now: refuse without clobber, nothing touched; '!' replaces
    let before = std::fs::metadata(&s.outputs[1])
        .unwrap()
        .modified()
        .unwrap();
    std::fs::remove_file(&s.outputs[3]).unwrap();
    let e = absrmf(&AbsrmfRequest {
        evt: evt.clone(),
        outprefix: prefix.to_str().unwrap().to_string(),
        rmf: RmfSource::File(rmf.clone()),
        detabs: DetabsSource::File(da.clone()),
        clobber: false,
    })
    .unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert!(
        !s.outputs[3].exists(),
        "nothing written when one output is refused"
    );
    assert_eq!(
        std::fs::metadata(&s.outputs[1])
            .unwrap()
            .modified()
            .unwrap(),
        before
    );
}

fn index(root: &Path, rows: &[(&str, &str, &str, i64)]) {
    let p = root.join("data/nustar/fpm/caldb.indx");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let entries: Vec<IndexEntry> = rows
        .iter()
        .map(|r| {
            IndexEntry::new("FPMB", r.0, r.1, "data/nustar/fpm/bcf", r.2)
                .ext(r.3)
                .boundary("DEPTHCUT(NOMINAL)")
        })
        .collect();
    write_index(
        &Output::new(p.to_str().unwrap(), true),
        &entries,
        |_| Ok(()),
    )
    .unwrap();
}

/// A stand-in FPMB CALDB: the diagonal RMF as every detector's GRPRMF entry, the real DETABS.
fn write_standin_caldb(root: &Path, diag: &Path, da: &Path) {
    let bcf = root.join("data/nustar/fpm/bcf");
    std::fs::create_dir_all(&bcf).unwrap();
    std::fs::copy(diag, bcf.join("diag.rmf")).unwrap();
    std::fs::copy(da, bcf.join("nuBdetabs.fits.gz")).unwrap();
    Output::new(bcf.join("nuBgrprmf.fits").to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            for _ in 0..4 {
                f.create_table("GRPRMF", &[("RMFFILE", "40A", "")], 1)?;
                f.write_col_str(1, &["diag.rmf".to_string()])?;
            }
            Ok(())
        })
        .unwrap();
    let mut rows = Vec::new();
    let dets = ["DET0", "DET1", "DET2", "DET3"];
    for (d, det) in dets.iter().enumerate() {
        rows.push(("GRPRMF", *det, "nuBgrprmf.fits", d as i64 + 1));
        rows.push(("DETABS", *det, "nuBdetabs.fits.gz", d as i64 + 1));
    }
    index(root, &rows);
}

/// The general routine normalises its weights and refuses bad or response-less weights.
fn check_weighted_routine(diag: &Path, da: &Path) {
    let r = Rmf::read(diag).unwrap();
    let t = [0, 1, 2, 3].map(|d| Detabs::read(da, d + 2).unwrap());
    let rr = [Some(&r), None, Some(&r), None];
    let tt = [Some(&t[0]), None, Some(&t[2]), None];
    let w = absorbed_rmf(&rr, &tt, [1.0, 0.0, 3.0, 0.0]).unwrap();
    for e in [3, 200] {
        let want = 0.25 * t[0].value[e] + 0.75 * t[2].value[e];
        // summed in double precision, rounded once to the single precision RMFs hold
        assert_eq!(dense_row(&w, e)[e], want as f32 as f64);
    }
    let e = absorbed_rmf(&rr, &tt, [1.0, -1.0, 0.0, 0.0]).unwrap_err();
    assert_variant!(e, Error::Task(TaskError::BadWeights { .. }));
    let e = absorbed_rmf(&rr, &tt, [0.0; 4]).unwrap_err();
    assert_variant!(e, Error::Task(TaskError::ZeroWeights));
    let e = absorbed_rmf(&rr, &tt, [0.0, 1.0, 0.0, 0.0]).unwrap_err();
    assert!(e.to_string().contains("DET1"));
    assert_variant!(
        e,
        Error::Task(TaskError::WeightWithoutResponse { det: 1, .. })
    );
}

#[test]
fn caldb_inputs_and_weighted_routine() {
    let (Some(diag), Some(da)) = (
        support::shared("absrmf_caldb", "auxil/diag.rmf"),
        support::shared("absrmf_caldb", "caldb/nuAdetabs20100101v002.fits.gz"),
    ) else {
        return;
    };
    let dir = support::scratch("absrmf_caldb");
    let root = dir.join("caldb");
    write_standin_caldb(&root, &diag, &da);
    let evt = dir.join("ev.fits");
    write_evt(&evt, "FPMB");
    let caldb = Caldb { root };
    let s = absrmf(&AbsrmfRequest {
        evt: evt.clone(),
        outprefix: dir.join("det").to_str().unwrap().to_string(),
        rmf: RmfSource::Caldb(caldb.clone()),
        detabs: DetabsSource::Caldb(caldb),
        clobber: false,
    })
    .unwrap();
    assert!(s.rmf_files.iter().all(|p| p.ends_with("diag.rmf")));
    let out = Rmf::read(&dir.join("det1B.rmf")).unwrap();
    let a1 = detabs_col(&da, 1);
    for e in [0, 10, 300, 4000] {
        let row = dense_row(&out, e);
        assert!(
            (row[e] - a1[e]).abs() <= 1e-7,
            "identity row {e} becomes DETABS_1"
        );
        assert_eq!(row.iter().filter(|v| **v != 0.0).count(), 1);
    }

    // general routine: weights [1, 0, 3, 0] are normalised to [0.25, 0, 0.75, 0]
    check_weighted_routine(&diag, &da);

    // wrong instrument: refused before anything is written
    let xmm = dir.join("xmm.fits");
    write_evt(&xmm, "EMOS1");
    let e = absrmf(&AbsrmfRequest {
        evt: xmm,
        outprefix: dir.join("x/det").to_str().unwrap().to_string(),
        rmf: RmfSource::File(diag.clone()),
        detabs: DetabsSource::File(da.clone()),
        clobber: false,
    })
    .unwrap_err();
    assert!(e.to_string().contains("expected FPMA or FPMB"), "{e}");
    assert_variant!(e, Error::Nustar(NustarError::BadInstrume { .. }));
    assert!(!dir.join("x").exists());
    // '!' on the prefix replaces existing outputs
    let again = absrmf(&AbsrmfRequest {
        evt,
        outprefix: format!("!{}", dir.join("det").display()),
        rmf: RmfSource::File(diag),
        detabs: DetabsSource::File(da),
        clobber: false,
    });
    assert!(again.is_ok());
    let _: PathBuf = again.unwrap().outputs[0].clone();
}
