//! The bgdspec test case on case_real: preset background model, a grouped source spectrum
//! with BACKSCAL and checksums, and helpers to compare files before and after.
#![allow(dead_code)]

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::spectral::grouping::group_min;
use nuskybgd::spectral::ogip::pha::{write_pha, PhaOut};
use nuskybgd::tasks::bgdspec::{BgdspecRequest, DEFAULT_SEED};
use std::path::{Path, PathBuf};

pub const EXPFACTOR: f64 = 100.0;

pub struct Case {
    /// The scratch folder, removed when the case is dropped.
    pub dir: support::Scratch,
    pub info: PathBuf,
    pub caldb: Caldb,
    pub auxil: PathBuf,
    pub model: PathBuf,
    pub region: PathBuf,
    pub src: PathBuf,
}

/// A grouped (min 30) source spectrum with BACKSCAL, OBS_ID and checksums, as getspec
/// writes them.
pub fn write_source(path: &Path) {
    write_source_of(path, "FPMA")
}

pub fn write_source_of(path: &Path, instrume: &str) {
    let counts: Vec<f64> = (0..4096)
        .map(|c| (6000.0 / (c as f64 + 50.0)).round() + (c % 2) as f64)
        .collect();
    let (grouping, quality) = group_min(&counts, &vec![0; 4096], 30.0);
    let mut p = PhaOut::new(instrume, counts, 5e4);
    p.grouping = Some(grouping);
    p.quality = Some(quality);
    p.backscal = 0.0113;
    p.respfile = Some("diag.rmf".into());
    p.keys = vec![
        ("DATE-OBS".into(), "2016-02-12T19:06:40".into()),
        ("OBS_ID".into(), "90000000001".into()),
        ("OBJECT".into(), "test source".into()),
    ];
    write_pha(&Output::new(path.to_str().unwrap(), true), &p).unwrap();
}

pub fn case(name: &str) -> Option<Case> {
    let (dir, info, caldb, auxil) = crate::support::case_real::setup(name)?;
    let model = dir.join("model.xcm");
    crate::support::case_real::preset_model(&info, &caldb, &auxil, &model);
    let region = support::shared(name, "reference/sky/case_real/input/src_fk5.reg")?;
    let src = dir.join("src_sr_g30.pha");
    write_source(&src);
    Some(Case {
        dir,
        info,
        caldb,
        auxil,
        model,
        region,
        src,
    })
}

impl Case {
    pub fn req(&self) -> BgdspecRequest {
        BgdspecRequest {
            bgdinfo: self.info.clone(),
            xcm: self.model.clone(),
            region: self.region.clone(),
            pha: self.src.clone(),
            expfactor: EXPFACTOR,
            poisson: false,
            seed: DEFAULT_SEED,
            out: None,
            clobber: false,
            caldb: self.caldb.clone(),
            auxil: self.auxil.clone(),
        }
    }
}

pub fn counts_of(path: &Path) -> Vec<f64> {
    let mut f = Fits::open(path).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    f.read_col_f64("COUNTS").unwrap()
}

/// Every header record of every HDU except those bgdspec may change.
pub fn cards_except_edit(path: &Path) -> Vec<Vec<String>> {
    let mut f = Fits::open(path).unwrap();
    let mut out = Vec::new();
    for h in 1..=f.num_hdus().unwrap() {
        f.goto_hdu(h).unwrap();
        out.push(
            f.cards()
                .unwrap()
                .into_iter()
                .filter(|c| {
                    let k = c.get(..8).unwrap_or(c).trim();
                    !matches!(k, "BACKFILE" | "HISTORY" | "CHECKSUM" | "DATASUM")
                })
                .collect(),
        );
    }
    out
}

pub fn columns(path: &Path) -> Vec<Vec<f64>> {
    let mut f = Fits::open(path).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    ["CHANNEL", "COUNTS", "QUALITY", "GROUPING"]
        .iter()
        .map(|c| f.read_col_f64(c).unwrap())
        .collect()
}

/// cfitsio's checksum verdict for every HDU (1 = correct, 0 = absent, -1 = wrong):
/// (datasum, hdusum) per HDU.
pub fn checksums(path: &Path) -> Vec<(i32, i32)> {
    let mut f = fitsio::FitsFile::open(path).unwrap();
    let n = Fits::open(path).unwrap().num_hdus().unwrap();
    let mut v = Vec::new();
    for h in 1..=n {
        let (mut d, mut hs, mut status, mut t) = (0, 0, 0, 0);
        unsafe {
            fitsio::sys::ffmahd(f.as_raw(), h as i32, &mut t, &mut status);
            fitsio::sys::ffvcks(f.as_raw(), &mut d, &mut hs, &mut status);
        }
        assert_eq!(status, 0);
        v.push((d, hs));
    }
    v
}

pub fn backfile_of(path: &Path) -> Option<String> {
    let mut f = Fits::open(path).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    f.opt_key_str("BACKFILE").unwrap()
}

/// The directory's file names (temporary files included).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs())
}
