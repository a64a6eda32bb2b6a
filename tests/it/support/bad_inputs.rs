//! Small malformed-or-minimal inputs the bad-input tests write: images, instrument maps,
//! DET1, GTI and aspect files, and a snapshot of a folder to show nothing changed.

use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` (relative name → bytes), hidden ones included.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// An `n`x`n` sky image with a TAN WCS of NuSTAR's sky pixel and PA_PNT.
pub fn write_sky_image(path: &Path, n: usize) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(n, n), 32)?;
            for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
                f.set_key_f64(&format!("CRPIX{ax}"), n as f64 / 2.0, "")?;
                f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
                f.set_key_f64(&format!("CDELT{ax}"), 2.4581 / 3600.0, "")?;
            }
            f.set_key_f64("PA_PNT", 10.0, "")
        })
        .unwrap();
}

/// A 360x360 instrument map all `value`.
pub fn write_instrmap(path: &Path, value: f64) {
    let mut img = Image::zeros(360, 360);
    img.data.iter_mut().for_each(|v| *v = value);
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&img, 32))
        .unwrap();
}

/// A DET1 reference-point file of FPMA with three samples at 0, 1, 2 s.
pub fn write_det1(path: &Path) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [
                ("TIME", "1D", "s"),
                ("X_DET1", "1D", "pixel"),
                ("Y_DET1", "1D", "pixel"),
            ];
            f.create_table("DET1_REFPOINT", &cols, 3)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMA", "")?;
            f.write_col_f64(1, &[0.0, 1.0, 2.0])?;
            f.write_col_f64(2, &[500.5, 500.5, 501.5])?;
            f.write_col_f64(3, &[400.2, 400.2, 400.2])
        })
        .unwrap();
}

/// A GTI file with the rows given.
pub fn write_gti(path: &Path, rows: &[(f64, f64)]) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [("START", "1D", "s"), ("STOP", "1D", "s")];
            f.create_table("GTI", &cols, rows.len())?;
            f.set_key_str("HDUCLAS1", "GTI", "")?;
            let (a, b): (Vec<f64>, Vec<f64>) = rows.iter().cloned().unzip();
            f.write_col_f64(1, &a)?;
            f.write_col_f64(2, &b)
        })
        .unwrap();
}

/// A 3x2 aspect histogram, with or without X_OFF/Y_OFF.
pub fn write_aspect(path: &Path, offsets: bool) {
    let mut img = Image::zeros(3, 2);
    img.data.iter_mut().for_each(|v| *v = 1.0);
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&img, -64)?;
            if offsets {
                f.set_key_i64("X_OFF", 400, "")?;
                f.set_key_i64("Y_OFF", 400, "")?;
            }
            Ok(())
        })
        .unwrap();
}
