//! Which raw pixel owns each DET1 sub-pixel: from the CALDB PIXPOS file (per-grade 7×7
//! position PDFs of every raw pixel, grade-weighted; each DET1 sub-pixel goes to the raw
//! pixel with the largest summed PDF there), or from the auxiliary IDL maps.
//!
//! Both maps are 360×360, row-major `[dety][detx]`, 0-based, and carry the original's
//! (−1, −1) shift: map[y][x] describes DET1 pixel (x+1, y+1) of the PDF grid.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use crate::nustar::module::Module;
use std::path::Path;

/// DET1 grid side.
pub const N: usize = 360;

/// Grade weights of the original ("from NGC253 obs 002"), grades 0..26.
pub const GRADE_WEIGHTS: [f64; 27] = [
    1.00000,
    0.124902,
    0.117130,
    0.114720,
    0.118038,
    0.0114296,
    0.0101738,
    0.0113617,
    0.0122017,
    0.0157910,
    0.0144079,
    0.0145691,
    0.0149934,
    0.00165462,
    0.00194312,
    0.00156128,
    0.00143400,
    0.00210433,
    0.00180735,
    0.00140006,
    0.00169704,
    0.00189220,
    0.00160371,
    0.00150188,
    0.00168007,
    0.000296983,
    0.000364864,
];

/// Raw-pixel ownership of the DET1 grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PixelMap {
    /// RAWX + 32·RAWY of the owning raw pixel, −1 where none.
    pub pixmap: Vec<i32>,
    /// Detector (0..3) of the owning raw pixel, −1 where none.
    pub detnum: Vec<i32>,
}

/// new[y][x] = old[y+1][x+1]; the last row and column (nothing beyond) become −1.
fn shift_minus_one(old: &[i32]) -> Vec<i32> {
    let mut new = vec![-1; N * N];
    for y in 0..N - 1 {
        for x in 0..N - 1 {
            new[y * N + x] = old[(y + 1) * N + x + 1];
        }
    }
    new
}

impl PixelMap {
    /// Build from a CALDB PIXPOS file (extensions named PIXPOS with DETNAM DET0..DET3).
    pub fn from_pixpos(path: &Path) -> Result<PixelMap> {
        let mut f = Fits::open(path)?;
        let mut acc = Best {
            pixmap: vec![-1i32; N * N],
            detnum: vec![-1i32; N * N],
            weight: vec![0.0f64; N * N],
        };
        let mut found = 0;
        for h in 2..=f.num_hdus()? {
            f.goto_hdu(h)?;
            let Some(det) = pixpos_detector(&mut f)? else {
                continue;
            };
            found += 1;
            let t = PixposRows::read(&mut f, path)?;
            let mut this = vec![0.0f64; N * N];
            let rows = t.usable_by_pixel();
            // RAWX outer, RAWY inner: the first pixel to reach a maximum keeps a tie
            for raw in (0..32).flat_map(|ix| (0..32).map(move |iy| ix + 32 * iy)) {
                if !rows[raw].is_empty() {
                    t.spread(&rows[raw], raw as i32, det, &mut this, &mut acc);
                }
            }
        }
        if found == 0 {
            return Err(NustarError::MissingExtension {
                path: path.to_path_buf(),
                what: "PIXPOS extensions with DETNAM DET0..DET3".into(),
            }
            .into());
        }
        Ok(PixelMap {
            pixmap: shift_minus_one(&acc.pixmap),
            detnum: shift_minus_one(&acc.detnum),
        })
    }

    /// Read the auxiliary IDL maps `idl_pixmap{M}.fits` and `idl_detnum{M}.fits` (written by
    /// the IDL original after its (−1, −1) shift).
    pub fn from_auxil(auxil: &Path, m: Module) -> Result<PixelMap> {
        let read = |name: String| -> Result<Vec<i32>> {
            let p = auxil.join(&name);
            let mut f = Fits::open(&p)?;
            let mut img = None;
            for h in 1..=f.num_hdus()? {
                f.goto_hdu(h)?;
                if f.opt_key_i64("NAXIS")? == Some(2) {
                    img = Some(f.read_image()?);
                    break;
                }
            }
            let img = img.ok_or_else(|| NustarError::MissingExtension {
                path: p.to_path_buf(),
                what: "image".into(),
            })?;
            if (img.nx, img.ny) != (N, N) {
                return Err(NustarError::WrongMapSize {
                    path: p.to_path_buf(),
                    expected: "expected a 360x360 map".into(),
                    nx: img.nx,
                    ny: img.ny,
                }
                .into());
            }
            Ok(img.data.iter().map(|v| v.round() as i32).collect())
        };
        Ok(PixelMap {
            pixmap: read(format!("idl_pixmap{}.fits", m.letter()))?,
            detnum: read(format!("idl_detnum{}.fits", m.letter()))?,
        })
    }
}

/// The detector (0–3) of the current HDU when it is a PIXPOS extension with DETNAM DETn.
fn pixpos_detector(f: &mut Fits) -> Result<Option<i32>> {
    if !f.extname()?.to_ascii_uppercase().contains("PIXPOS") {
        return Ok(None);
    }
    let detnam = f.opt_key_str("DETNAM")?.unwrap_or_default();
    Ok(detnam
        .strip_prefix("DET")
        .and_then(|d| d.parse::<i32>().ok())
        .filter(|d| (0..4).contains(d)))
}

/// Per DET1 pixel (row-major `[y][x]`, before the (−1, −1) shift): the RAW pixel whose
/// grade-weighted probability there is largest so far, its detector and that probability.
struct Best {
    pixmap: Vec<i32>,
    detnum: Vec<i32>,
    weight: Vec<f64>,
}

/// The rows of one PIXPOS extension: RAW pixel and grade, the DET1 corner of its 7×7
/// probability footprint, and the footprint (row-major, 49 per row).
struct PixposRows {
    rawx: Vec<i64>,
    rawy: Vec<i64>,
    grade: Vec<i64>,
    ref_x: Vec<i64>,
    ref_y: Vec<i64>,
    pdf: Vec<f64>,
}

impl PixposRows {
    fn read(f: &mut Fits, path: &Path) -> Result<PixposRows> {
        let t = PixposRows {
            rawx: f.read_scalar_col_i64("RAWX")?,
            rawy: f.read_scalar_col_i64("RAWY")?,
            grade: f.read_scalar_col_i64("GRADE")?,
            ref_x: f.read_scalar_col_i64("REF_DET1X")?,
            ref_y: f.read_scalar_col_i64("REF_DET1Y")?,
            pdf: f.read_col_f64("PDF")?,
        };
        if t.pdf.len() != 49 * t.rawx.len() {
            return Err(NustarError::BadPdfShape {
                path: path.to_path_buf(),
            }
            .into());
        }
        Ok(t)
    }

    /// Usable rows (placed, RAW pixel 0–31, grade 0–26, no NaN in the footprint) of each
    /// RAW pixel `rawx + 32·rawy`, in file order.
    fn usable_by_pixel(&self) -> Vec<Vec<usize>> {
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); 1024];
        for i in 0..self.rawx.len() {
            let usable = self.ref_x[i] != -1
                && (0..32).contains(&self.rawx[i])
                && (0..32).contains(&self.rawy[i])
                && (0..=26).contains(&self.grade[i])
                && self.pdf[49 * i..49 * i + 49].iter().all(|v| !v.is_nan());
            if usable {
                rows[(self.rawx[i] + 32 * self.rawy[i]) as usize].push(i);
            }
        }
        rows
    }

    /// Add the grade-weighted footprints of one RAW pixel's rows into `this` (zero on
    /// entry and on return), and claim every DET1 pixel where the sum beats `acc`.
    fn spread(&self, list: &[usize], raw: i32, det: i32, this: &mut [f64], acc: &mut Best) {
        let mut touched = Vec::new();
        for &i in list {
            let w = GRADE_WEIGHTS[self.grade[i] as usize];
            for r in 0..7 {
                for c in 0..7 {
                    let (x, y) = (self.ref_x[i] + c as i64, self.ref_y[i] + r as i64);
                    if (0..N as i64).contains(&x) && (0..N as i64).contains(&y) {
                        let k = y as usize * N + x as usize;
                        if this[k] == 0.0 {
                            touched.push(k);
                        }
                        this[k] += self.pdf[49 * i + 7 * r + c] * w;
                    }
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for k in touched {
            if this[k] > acc.weight[k] {
                acc.weight[k] = this[k];
                acc.pixmap[k] = raw;
                acc.detnum[k] = det;
            }
            this[k] = 0.0;
        }
    }
}
