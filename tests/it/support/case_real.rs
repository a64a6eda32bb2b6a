//! Shared setup of the workflow tests: case_real's projected images and regions
//! (`/work/shared/reference/sky/case_real`), synthetic spectra with diag.rmf responses, and
//! a stand-in CALDB holding the real DETABS file.
#![allow(dead_code)]

use crate::support;
use crate::support::pha::PhaFixture;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::nustar::caldb_index::{write_index, IndexEntry};
use nuskybgd::nustar::module::Module;
use std::path::{Path, PathBuf};

/// A synthetic 4096-channel spectrum (RESPFILE diag.rmf, EXPOSURE 5e4 s).
pub fn write_pha(path: &Path, instrume: &str, level: i64) {
    // a falling spectrum with some scatter, enough to fit
    let counts: Vec<f64> = (0..4096)
        .map(|c| ((level as f64 * 200.0 / (c as f64 + 50.0)).round() as i64 + (c % 3)) as f64)
        .collect();
    PhaFixture::new(Module::A)
        .instrume(instrume)
        .key("DATE-OBS", "2016-02-12T19:06:40")
        .counts(&counts)
        .exposure(5e4)
        .respfile("diag.rmf")
        .write(path);
}

/// Scratch directory with three FPMA background spectra, bgdinfo.json, a CALDB and the
/// auxil directory: (dir, bgdinfo, caldb, auxil), the directory removed when `dir` is
/// dropped; None when the shared data are absent.
pub fn setup(name: &str) -> Option<(support::Scratch, PathBuf, Caldb, PathBuf)> {
    // shared() first: it prints the SKIPPED line when the data are missing
    let case = support::shared(name, "reference/sky/case_real")?;
    let root = support::root()?;
    let dir = support::scratch(name);
    std::fs::copy(root.join("auxil/diag.rmf"), dir.join("diag.rmf")).unwrap();
    let caldb = dir.join("caldb");
    let bcf = caldb.join("data/nustar/fpm/bcf/detabs");
    std::fs::create_dir_all(&bcf).unwrap();
    std::fs::copy(
        root.join("caldb/nuAdetabs20100101v002.fits.gz"),
        bcf.join("nuAdetabs20100101v002.fits.gz"),
    )
    .unwrap();
    let idx = caldb.join("data/nustar/fpm/caldb.indx");
    let detabs = IndexEntry::new(
        "FPMA",
        "DETABS",
        "DET0",
        "data/nustar/fpm/bcf/detabs",
        "nuAdetabs20100101v002.fits.gz",
    );
    write_index(
        &Output::new(idx.to_str().unwrap(), false),
        &[detabs],
        |_| Ok(()),
    )
    .unwrap();
    let e = case.join("expected");
    let mut bg = Vec::new();
    for k in 1..=3 {
        let p = dir.join(format!("bgd{k}A_sr_g30.pha"));
        write_pha(&p, "FPMA", 10 + k as i64);
        bg.push(p);
    }
    let info = serde_json::json!({
        "bgfiles": bg,
        "regfiles": (1..=3).map(|k| case.join(format!("input/bgd{k}_fk5.reg"))).collect::<Vec<_>>(),
        "refimgf": case.join("input/im3to20keV.fits.gz"),
        "bgdapfiles": {"A": e.join("bgdapA.fits.gz")},
        "bgddetfiles": {"A": (0..4).map(|d| e.join(format!("det{d}Aim.fits.gz"))).collect::<Vec<_>>()},
    });
    let path = dir.join("bgdinfo.json");
    std::fs::write(&path, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    Some((dir, path, Caldb { root: caldb }, root.join("auxil")))
}

/// The background model with its preset values (`fit fit=no`, chi, solar off) written to
/// `out`: what spec, image and bgdspec start from in these tests.
pub fn preset_model(info: &Path, caldb: &Caldb, auxil: &Path, out: &Path) {
    nuskybgd::tasks::fit_task::fit_task(&nuskybgd::tasks::fit_task::FitRequest {
        bgdinfo: info.to_path_buf(),
        savefile: Output::new(out.to_str().unwrap(), false),
        fit: false,
        statistic: nuskybgd::spectral::stat::Statistic::Chi,
        solar_off: true,
        force: false,
        intn_port_scale: false,
        caldb: caldb.clone(),
        auxil: auxil.to_path_buf(),
    })
    .unwrap();
}
