//! The built-in synthetic instrument: an auxiliary directory and a CALDB tree in the formats
//! the readers expect (`bgmodel::presets`, `sky::aperture`, `nustar::pixpos`, `nustar::caldb`,
//! `nustar::badpix`, `sky::instrmap`, `bgmodel::arf`, `spectral::ogip`), written when the
//! user has no real calibration. Every file says it is synthetic ([`SYNTHETIC_LABEL`]).
//!
//! With the small responses (the default) the four detectors of a module share one RMF and
//! one DETABS curve: the fit model uses region-averaged responses, so identical detectors
//! keep the recovery of a simulation exact. The full-size responses differ per detector.

use super::fullrmf;
use super::request::Responses;
use crate::error::{Error, Result, SimError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::badpix::{write_badpix_extensions, BadPixelRow, BadpixLayout};
use crate::nustar::caldb_index::{write_index, IndexEntry};
use crate::nustar::module::Module;
use crate::nustar::pixpos::PixelMap;
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::ogip::{arf::write_specresp, rmf::write_rmf};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Label carried by every synthetic calibration file.
pub const SYNTHETIC_LABEL: &str = "synthetic nuskybgd instrument, not NuSTAR calibration";

/// Response grid: 4096 bins of 0.04 keV from 1.6 keV (also the PI channel grid).
pub const NBINS: usize = 4096;

/// Line energies and widths (keV) of the 29 intbgd lines, in preset order.
pub const LINES: [(f64, f64); 29] = [
    (3.539, 0.425),
    (4.514, 0.544),
    (10.203, 0.641),
    (19.646, 0.229),
    (21.894, 0.5),
    (22.972, 0.2),
    (24.748, 1.8),
    (25.299, 0.2),
    (27.749, 1.6),
    (28.078, 2.0),
    (28.545, 0.3),
    (30.174, 0.7),
    (30.856, 0.5),
    (32.188, 0.8),
    (35.029, 0.8),
    (39.253, 9.13),
    (39.399, 0.5),
    (47.556, 6.5),
    (52.503, 1.5),
    (57.992, 4.5),
    (65.009, 5.0),
    (67.056, 0.5),
    (75.177, 5.5),
    (85.815, 7.5),
    (87.898, 0.6),
    (92.673, 0.6),
    (105.355, 0.5),
    (122.739, 2.3),
    (144.556, 0.7),
];

/// Bin edges of the response grid (keV), 4097 values.
pub fn energy_edges() -> Vec<f64> {
    (0..=NBINS).map(|i| 1.6 + 0.04 * i as f64).collect()
}

fn centres() -> Vec<f64> {
    (0..NBINS).map(|i| 1.62 + 0.04 * i as f64).collect()
}

fn label(f: &mut Fits) -> Result<()> {
    f.history(SYNTHETIC_LABEL)?;
    f.comment(SYNTHETIC_LABEL)
}

fn empty_primary(f: &mut Fits, m: Option<Module>) -> Result<()> {
    f.write_image(&Image::zeros(0, 0), 8)?;
    f.set_key_str("TELESCOP", "NuSTAR", "mission")?;
    if let Some(m) = m {
        f.set_key_str("INSTRUME", m.instrume(), "focal plane module")?;
    }
    label(f)
}

fn out(path: &Path) -> Output {
    Output {
        path: path.to_path_buf(),
        clobber: true,
    }
}

/// Write a FITS file and gzip it to `path` (which ends in .gz).
fn write_gz_fits<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut Fits) -> Result<()>,
{
    use std::io::Write;
    let plain = path.with_extension("plain.tmp");
    let _ = std::fs::remove_file(&plain);
    out(&plain).write_fits(fill)?;
    let bytes = std::fs::read(&plain).map_err(|e| SimError::Fs {
        path: plain.clone(),
        source: e,
    })?;
    let _ = std::fs::remove_file(&plain);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&bytes)
        .and_then(|_| enc.finish())
        .map_err(|e| {
            Error::from(SimError::Compress {
                path: path.into(),
                source: e,
            })
        })
        .and_then(|gz| {
            std::fs::write(path, gz).map_err(|e| {
                SimError::Fs {
                    path: path.into(),
                    source: e,
                }
                .into()
            })
        })
}

/// Smooth aperture stray-light pattern (576×576, the auxiliary image's units: the scaled
/// pattern ranges over roughly 0.006–0.05 10–15 keV counts per pixel per 1e5 s).
fn aperture_pattern(m: Module) -> Image {
    let n = 576;
    let (cx, cy, sx, sy) = match m {
        Module::A => (470.0, 430.0, 230.0, 260.0),
        Module::B => (110.0, 450.0, 250.0, 240.0),
    };
    let mut img = Image::zeros(n, n);
    for y in 0..n {
        for x in 0..n {
            let (dx, dy) = ((x as f64 - cx) / sx, (y as f64 - cy) / sy);
            let v = 2.0e4 + 3.1e5 * (-0.5 * (dx * dx + dy * dy)).exp() + 60.0 * y as f64;
            *img.at_mut(x, y) = (v as f32) as f64;
        }
    }
    img
}

/// Raw-pixel ownership of the DET1 grid: four 160×160 blocks of 5×5 sub-pixels per raw
/// pixel, DET0 upper right, DET1 upper left, DET2 lower left, DET3 lower right.
pub fn synthetic_pixel_map() -> PixelMap {
    let n = 360;
    let mut pixmap = vec![-1i32; n * n];
    let mut detnum = vec![-1i32; n * n];
    let origin = [(182, 182), (18, 182), (18, 18), (182, 18)];
    for (d, (x0, y0)) in origin.iter().enumerate() {
        for y in *y0..y0 + 160 {
            for x in *x0..x0 + 160 {
                let (rx, ry) = ((x - x0) / 5, (y - y0) / 5);
                pixmap[y * n + x] = (rx + 32 * ry) as i32;
                detnum[y * n + x] = d as i32;
            }
        }
    }
    PixelMap { pixmap, detnum }
}

fn ifactor(seed: f64, d: usize, scale: f64) -> f64 {
    // smooth, deterministic detector-to-detector differences of ±20%
    scale * (1.0 + 0.2 * (1.7 * seed + 2.3 * d as f64).sin())
}

/// The synthetic `ratios.json`.
fn ratios_json() -> Value {
    let mut intbgd = Map::new();
    let apec = |m: usize| {
        json!({"kt": 1.15, "abundanc": 1.3, "redshift": 0.0,
               "ifactors": (0..4).map(|d| ifactor(0.3 + m as f64, d, 0.2)).collect::<Vec<_>>()})
    };
    intbgd.insert("apec".into(), json!({"A": apec(0), "B": apec(1)}));
    for (c, (e, w)) in LINES.iter().enumerate() {
        let name = if c == 0 {
            "lorentz".to_string()
        } else {
            format!("lorentz_{}", c + 2)
        };
        // strengths: a few strong lines near 20-40 keV and 65-90 keV, weaker elsewhere
        let base = 1.2e-3
            + 3.0e-3 * (-(((e - 30.0) / 12.0).powi(2))).exp()
            + 2.0e-3 * (-(((e - 80.0) / 15.0).powi(2))).exp();
        let line = |m: usize| {
            json!({"linee": e, "width": w,
                   "ifactors": (0..4).map(|d| ifactor(c as f64 + 0.5 * m as f64, d, base)).collect::<Vec<_>>()})
        };
        intbgd.insert(name, json!({"A": line(0), "B": line(1)}));
    }
    let intn = |m: usize| {
        json!({"phoindx1": -0.05, "breake": 124.0, "phoindx2": -0.85,
               "ifactors": (0..4).map(|d| ifactor(7.0 + m as f64, d, 2.3e-5)).collect::<Vec<_>>()})
    };
    json!({
        "name": "ratios",
        "comment": SYNTHETIC_LABEL,
        "comment1": "models are read by position: apbgd, intbgd, fcxb, intn",
        "comment2": "ifactors: per-detector norms (DET0..DET3) for a whole detector",
        "models": [
            {"name": "2:apbgd", "formula": "cutoffpl",
             "components": {"cutoffpl": {"A": {"phoindex": 1.29, "highecut": 41.13},
                                          "B": {"phoindex": 1.29, "highecut": 41.13}}}},
            {"name": "3:intbgd", "formula": "{apec}+{lorentz}+...", "components": Value::Object(intbgd)},
            {"name": "4:fcxb", "formula": "{cutoffpl}",
             "components": {"cutoffpl": {"A": {"name": "cutoffpl", "phoindex": "=apbgd:1", "highecut": "=apbgd:2"},
                                          "B": {"name": "cutoffpl", "phoindex": "=apbgd:1", "highecut": "=apbgd:2"}}}},
            {"name": "5:intn", "formula": "{bknpower}",
             "components": {"bknpower": {"A": intn(0), "B": intn(1)}}}
        ]
    })
}

fn write_arf_file(path: &Path, m: Option<Module>, area: &[f64]) -> Result<()> {
    let e = energy_edges();
    out(path).write_fits(|f| {
        empty_primary(f, m)?;
        write_specresp(f, &e[..NBINS], &e[1..], area, m.map(Module::instrume))?;
        label(f)
    })
}

/// Be window + blanket transmission (0.06 at 1.6 keV, > 0.98 above 10 keV).
fn be_curve() -> Vec<f64> {
    centres()
        .iter()
        .map(|e| (-2.8 * (e / 1.6).powi(-3)).exp())
        .collect()
}

/// Focused-CXB effective area: smooth, peak ~300 cm² (A) / ~290 cm² (B), 0 above 79 keV.
fn fcxb_curve(m: Module) -> Vec<f64> {
    let peak = if m == Module::A { 300.0 } else { 290.0 };
    let raw: Vec<f64> = centres()
        .iter()
        .map(|&e| {
            if e >= 79.0 {
                0.0
            } else {
                (1.0 - (-(e / 3.0).powi(3)).exp())
                    * (-(e / 30.0).powi(2)).exp()
                    * (1.0 - (e / 79.0).powi(4))
            }
        })
        .collect();
    let max = raw.iter().cloned().fold(0.0, f64::max);
    raw.iter().map(|v| peak * v / max).collect()
}

/// Detector absorption (transmission): soft dead-layer loss and a hard-energy roll-off.
fn detabs_curve() -> Vec<f64> {
    centres()
        .iter()
        .map(|&e| (-0.25 * (e / 3.0).powf(-2.5)).exp() * (1.0 - 0.3 * (-(80.0 / e).powi(2)).exp()))
        .collect()
}

fn rmf_struct(rows: Vec<Vec<(usize, Vec<f64>)>>) -> Rmf {
    let e = energy_edges();
    Rmf {
        path: PathBuf::new(),
        energy_lo: e[..NBINS].to_vec(),
        energy_hi: e[1..].to_vec(),
        // single precision, as the file stores it
        rows: rows
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|(c, v)| (c, v.into_iter().map(|x| x as f32).collect()))
                    .collect()
            })
            .collect(),
        nchan: NBINS,
        first_channel: 0,
        e_min: e[..NBINS].to_vec(),
        e_max: e[1..].to_vec(),
    }
}

/// FWHM (keV) of the synthetic detectors: 0.4 keV at 10 keV, 1.0 keV at 86 keV.
pub fn fwhm(e: f64) -> f64 {
    (0.0495 + 0.011053 * e).sqrt()
}

/// Gaussian redistribution on the channel grid, each row normalised to 1, stored sparsely
/// over ±5σ.
fn gaussian_rmf() -> Rmf {
    let c = centres();
    let mut rows = Vec::with_capacity(NBINS);
    for &ec in &c {
        let sigma = fwhm(ec) / (8.0f64.ln() * 2.0).sqrt();
        let lo = (((ec - 5.0 * sigma - 1.6) / 0.04).floor().max(0.0)) as usize;
        let hi = ((((ec + 5.0 * sigma - 1.6) / 0.04).ceil()) as usize).min(NBINS - 1);
        let cdf = |x: f64| 0.5 * (1.0 + libm::erf((x - ec) / (sigma * std::f64::consts::SQRT_2)));
        let mut v: Vec<f64> = (lo..=hi)
            .map(|ch| cdf(1.64 + 0.04 * ch as f64) - cdf(1.6 + 0.04 * ch as f64))
            .collect();
        let s: f64 = v.iter().sum();
        v.iter_mut().for_each(|x| *x /= s);
        rows.push(vec![(lo, v)]);
    }
    rmf_struct(rows)
}

fn write_image_file(path: &Path, img: &Image, bitpix: i32, m: Module, extra: &str) -> Result<()> {
    out(path).write_fits(|f| {
        f.write_image(img, bitpix)?;
        f.set_key_str("TELESCOP", "NuSTAR", "")?;
        f.set_key_str("INSTRUME", m.instrume(), "")?;
        f.history(extra)?;
        label(f)
    })
}

/// Write the synthetic auxiliary directory into `dir` (created if needed); returns the files.
pub fn write_auxil(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| SimError::Fs {
        path: dir.into(),
        source: e,
    })?;
    let mut written = Vec::new();
    for m in Module::ALL {
        let p = dir.join(format!("det{}_det1.img.gz", m.letter()));
        let img = aperture_pattern(m);
        write_gz_fits(&p, |f| {
            f.write_image(&img, -32)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", m.instrume(), "")?;
            f.history("aperture stray-light pattern, 576x576 DET1 sub-pixels with margins")?;
            label(f)
        })?;
        written.push(p);
    }
    let p = dir.join("nomapbgdparams.dat");
    let text = format!(
        "# {SYNTHETIC_LABEL}\n0.32   # A norm: 10-15 keV cts/deg^2/mm^2/(10^5 s)\n0.32   # B norm\n0.     # A const offset (unused)\n0.     # B const offset (unused)\n-3.0   # A x shift in mm\n1.5    # A y shift in mm\n0.     # A detector rotation\n-3.2   # B x shift in mm\n1.2    # B y shift in mm\n0.     # B detector rotation\n"
    );
    out(&p).write_text(&text)?;
    written.push(p);
    let p = dir.join("ratios.json");
    let text = serde_json::to_string_pretty(&ratios_json()).expect("JSON value");
    out(&p).write_text(&(text + "\n"))?;
    written.push(p);
    for m in Module::ALL {
        let p = dir.join(format!("fcxb{}.arf", m.letter()));
        write_arf_file(&p, Some(m), &fcxb_curve(m))?;
        written.push(p);
    }
    let p = dir.join("be.arf");
    write_arf_file(&p, None, &be_curve())?;
    written.push(p);
    let p = dir.join("template.arf");
    write_arf_file(&p, None, &vec![1.0; NBINS])?;
    written.push(p);
    let p = dir.join("diag.rmf");
    let diag = rmf_struct((0..NBINS).map(|i| vec![(i, vec![1.0])]).collect());
    write_rmf(&out(&p), &diag, "FPM", &[SYNTHETIC_LABEL.to_string()])?;
    written.push(p);
    let pm = synthetic_pixel_map();
    let as_img = |v: &[i32]| Image {
        nx: 360,
        ny: 360,
        data: v.iter().map(|x| *x as f64).collect(),
    };
    for m in Module::ALL {
        let p = dir.join(format!("idl_pixmap{}.fits", m.letter()));
        write_image_file(
            &p,
            &as_img(&pm.pixmap),
            32,
            m,
            "RAWX+32*RAWY owning each DET1 sub-pixel, -1 none",
        )?;
        written.push(p);
        let p = dir.join(format!("idl_detnum{}.fits", m.letter()));
        write_image_file(
            &p,
            &as_img(&pm.detnum),
            32,
            m,
            "detector owning each DET1 sub-pixel, -1 none",
        )?;
        written.push(p);
    }
    Ok(written)
}

/// Bad raw pixels of the synthetic CALDB list: (detector, RAWX, RAWY).
pub const BAD_PIXELS: [(u8, i64, i64); 8] = [
    (0, 5, 7),
    (0, 20, 26),
    (1, 11, 3),
    (1, 28, 17),
    (2, 8, 8),
    (2, 17, 30),
    (3, 2, 14),
    (3, 23, 9),
];

fn write_badpix(path: &Path, m: Module) -> Result<()> {
    out(path).write_fits(|f| {
        empty_primary(f, Some(m))?;
        badpix_extensions(f, m, &BAD_PIXELS, None)
    })
}

/// Bad pixels of the observation itself (hot pixels flagged by the pipeline for the whole
/// observation), written into the event file's BADPIX extensions and `nu<obsid><M>_bp.fits`.
pub const OBSERVATION_BAD_PIXELS: [(u8, i64, i64); 6] = [
    (0, 14, 21),
    (1, 3, 27),
    (1, 25, 10),
    (2, 29, 4),
    (3, 12, 12),
    (3, 6, 30),
];

/// Append four BADPIX extensions (DET0..DET3) listing `pixels` (detector, RAWX, RAWY),
/// each labelled synthetic. With `span` = (TSTART, TSTOP) every pixel is bad over the whole
/// span (the layout of an observation's lists, TIME and TIME_STOP columns); without, the
/// CALDB layout (TIME only).
pub fn badpix_extensions(
    f: &mut Fits,
    m: Module,
    pixels: &[(u8, i64, i64)],
    span: Option<(f64, f64)>,
) -> Result<()> {
    let rows: Vec<BadPixelRow> = pixels
        .iter()
        .map(|&(det, rawx, rawy)| BadPixelRow {
            det,
            rawx,
            rawy,
            time: span.map_or(0.0, |s| s.0),
            time_stop: span.map_or(0.0, |s| s.1),
            // BADFLAG 0000000000000001: "bad in the list"
            flag: 1,
        })
        .collect();
    let layout = BadpixLayout {
        time_stop: span.is_some(),
        span,
        module: Some(m),
    };
    write_badpix_extensions(f, &rows, &layout, label)
}

fn write_detabs(path: &Path, m: Module) -> Result<()> {
    let e = energy_edges();
    let v = detabs_curve();
    out(path).write_fits(|f| {
        empty_primary(f, Some(m))?;
        for det in 0..4 {
            f.create_table(
                "DETABS",
                &[
                    ("ENERG_LO", "1E", "keV"),
                    ("ENERG_HI", "1E", "keV"),
                    ("DETABS", "1E", ""),
                ],
                NBINS,
            )?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", m.instrume(), "")?;
            f.set_key_str("DETNAM", &format!("DET{det}"), "")?;
            f.write_col_f64(1, &e[..NBINS])?;
            f.write_col_f64(2, &e[1..])?;
            f.write_col_f64(3, &v)?;
            f.history("the four detectors share one curve (synthetic instrument)")?;
            label(f)?;
        }
        Ok(())
    })
}

fn write_grprmf(path: &Path, m: Module, rmf_names: &[String; 4]) -> Result<()> {
    out(path).write_fits(|f| {
        empty_primary(f, Some(m))?;
        for (d, name) in rmf_names.iter().enumerate() {
            f.create_table("GRPRMF", &[("RMFFILE", "64A", "")], 1)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", m.instrume(), "")?;
            f.set_key_str("DETNAM", &format!("DET{d}"), "")?;
            f.set_key_str("CBD10001", "DEPTHCUT(NOMINAL)", "")?;
            f.write_col_str(1, std::slice::from_ref(name))?;
            label(f)?;
        }
        Ok(())
    })
}

/// The CALDB instrument map matching an ownership map: active wherever a raw pixel owns the
/// DET1 sub-pixel, stored shifted by (+1, +1) so that mkinstrmap's (−1, −1) registration
/// shift lands it exactly on the ownership map.
fn caldb_instrmap(pm: &PixelMap) -> Image {
    let n = 360;
    let mut img = Image::zeros(n, n);
    for y in 1..n {
        for x in 1..n {
            if pm.detnum[(y - 1) * n + x - 1] >= 0 {
                *img.at_mut(x, y) = 1.0;
            }
        }
    }
    img
}

/// Write the synthetic CALDB tree under `root` (INSTRMAP from the ownership maps of `auxil`,
/// BADPIX, DETABS, GRPRMF and the detector RMFs for both modules, and `caldb.indx`). The
/// RMFs are the small Gaussian one shared by all detectors ([`Responses::Small`]) or eight
/// full-size ones, one per detector ([`Responses::Full`], see [`super::fullrmf`]).
pub fn write_caldb(root: &Path, auxil: &Path, responses: Responses) -> Result<Vec<PathBuf>> {
    let mut w = CaldbWriter {
        bcf: root.join("data/nustar/fpm/bcf"),
        written: Vec::new(),
        rows: Vec::new(),
    };
    for d in ["instrmap", "badpix", "detabs", "rmf"] {
        let dir = w.bcf.join(d);
        std::fs::create_dir_all(&dir).map_err(|e| SimError::Fs {
            path: dir.clone(),
            source: e,
        })?;
    }
    let small = (responses == Responses::Small).then(gaussian_rmf);
    for m in Module::ALL {
        w.instrmap(m, &PixelMap::from_auxil(auxil, m)?)?;
        let l = m.letter();
        let file = format!("nu{l}badpix20100101v900.fits");
        write_badpix(&w.file("badpix", &file), m)?;
        w.per_detector(m, "BADPIX", "badpix", &file, "NONE");
        let file = format!("nu{l}detabs20100101v900.fits");
        write_detabs(&w.file("detabs", &file), m)?;
        w.per_detector(m, "DETABS", "detabs", &file, "NONE");
        match &small {
            Some(rmf) => w.responses(m, rmf)?,
            None => w.full_responses(m)?,
        }
    }
    let p = root.join("data/nustar/fpm/caldb.indx");
    write_index(&out(&p), &w.rows, label)?;
    w.written.push(p);
    Ok(w.written)
}

/// The CALDB tree being written: its `bcf` directory, the files so far and the index rows.
struct CaldbWriter {
    bcf: PathBuf,
    written: Vec<PathBuf>,
    rows: Vec<IndexEntry>,
}

impl CaldbWriter {
    /// The path of `file` in the bcf subdirectory `sub`, recorded as written.
    fn file(&mut self, sub: &str, file: &str) -> PathBuf {
        let p = self.bcf.join(sub).join(file);
        self.written.push(p.clone());
        p
    }

    /// Index rows for a file with one extension per detector (DET0..DET3 in HDUs 1..4).
    fn per_detector(&mut self, m: Module, cnam: &str, sub: &str, file: &str, cbd: &str) {
        let dir = format!("data/nustar/fpm/bcf/{sub}");
        for d in 0..4 {
            let e = IndexEntry::new(m.instrume(), cnam, &format!("DET{d}"), &dir, file);
            self.rows.push(e.ext(d + 1).boundary(cbd));
        }
    }

    /// The module's INSTRMAP file and its index row.
    fn instrmap(&mut self, m: Module, pm: &PixelMap) -> Result<()> {
        let file = format!("nu{}instrmap20100101v900.fits", m.letter());
        let p = self.file("instrmap", &file);
        let map = caldb_instrmap(pm);
        out(&p).write_fits(|f| {
            empty_primary(f, Some(m))?;
            f.write_image(&map, 16)?;
            f.set_key_str("EXTNAME", "INSTRMAP", "")?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", m.instrume(), "")?;
            f.set_key_str("CCNM0001", "INSTRMAP", "")?;
            label(f)
        })?;
        let dir = "data/nustar/fpm/bcf/instrmap";
        let e = IndexEntry::new(m.instrume(), "INSTRMAP", "-", dir, &file);
        self.rows.push(e.ext(1).boundary("NONE"));
        Ok(())
    }

    /// The module's four detector RMFs (one response, copied) and the GRPRMF naming them.
    fn responses(&mut self, m: Module, rmf: &Rmf) -> Result<()> {
        let l = m.letter();
        let names: [String; 4] = std::array::from_fn(|d| format!("nu{l}det{d}_20100101v900.rmf"));
        let first = self.file("rmf", &names[0]);
        write_rmf(
            &out(&first),
            rmf,
            m.instrume(),
            &[
                SYNTHETIC_LABEL.to_string(),
                "Gaussian redistribution, FWHM 0.4 keV at 10 keV, 1.0 keV at 86 keV".into(),
                "the four detectors of a module share this response (synthetic instrument)".into(),
            ],
        )?;
        for name in &names[1..] {
            let p = self.file("rmf", name);
            std::fs::copy(&first, &p).map_err(|e| SimError::Fs {
                path: p.clone(),
                source: e,
            })?;
        }
        self.grprmf(m, &names)
    }

    /// The module's GRPRMF naming its four detector RMFs, and its index rows.
    fn grprmf(&mut self, m: Module, names: &[String; 4]) -> Result<()> {
        let file = format!("nu{}grprmf20100101v900.fits", m.letter());
        write_grprmf(&self.file("rmf", &file), m, names)?;
        self.per_detector(m, "GRPRMF", "rmf", &file, "DEPTHCUT(NOMINAL)");
        Ok(())
    }

    /// The module's four full-size detector RMFs (each its own gain and resolution),
    /// built and written one at a time, and the GRPRMF naming them.
    fn full_responses(&mut self, m: Module) -> Result<()> {
        let l = m.letter();
        let names: [String; 4] = std::array::from_fn(|d| format!("nu{l}det{d}_20100101v901.rmf"));
        for (d, name) in names.iter().enumerate() {
            let s = fullrmf::detector_shape(m, d);
            let rmf = fullrmf::full_rmf(m, d);
            let p = self.file("rmf", name);
            write_rmf(
                &out(&p),
                &rmf,
                m.instrume(),
                &[
                    SYNTHETIC_LABEL.to_string(),
                    "full-size CZT response: Gaussian core, low-energy tail, shelf, Cd/Te escape, efficiency".into(),
                    format!("DET{d}: gain {:.4}, resolution factor {:.4}", s.gain, s.resolution),
                ],
            )?;
        }
        self.grprmf(m, &names)
    }
}
