//! apec: emission of a collisionally ionised plasma from AtomDB tables
//! (`apec_v*_coco.fits`: continuum and pseudo-continuum per element; `apec_v*_line.fits`:
//! lines per element and ion; one extension per tabulated temperature after PARAMETERS).
//!
//! As XSPEC computes it: elements 1–30, H and He at solar abundance and the rest at
//! `Abundanc` (relative to Anders & Grevesse, the tables' own; only `abund angr` is
//! supported); the spectrum is interpolated linearly in kT between the two tabulated
//! temperatures around kT; continua (photons cm³ s⁻¹ keV⁻¹, piecewise linear between
//! tabulated energies) are integrated over each bin in the source frame; lines are not
//! broadened (XSPEC's default) and fall into the bin holding E/(1+z); the result is
//! multiplied by 1e14/(1+z) so that norm = 1e-14/(4π[D_A(1+z)]²)∫n_e n_H dV.
//!
//! Files are looked for in the directory set by [`set_atomdb_dir`], `$NUSKYBGD_ATOMDB`,
//! `$ATOMDB`, and HEASoft's `$HEADAS/../spectral/modelData`. Without them evaluation fails
//! with the places searched (XSPEC's library would silently return zeros).

use crate::error::{Error, Result, SpectralError};
use crate::io::fits::Fits;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// keV·Å (XSPEC's conversion between line wavelength and energy).
const KEV_A: f64 = 12.3984191;

static CONFIGURED: OnceLock<Mutex<Option<PathBuf>>> = OnceLock::new();
static LOADED: OnceLock<Mutex<Option<Arc<AtomDb>>>> = OnceLock::new();

/// Use AtomDB files from `dir` (takes precedence over the environment).
pub fn set_atomdb_dir(dir: Option<PathBuf>) {
    *CONFIGURED.get_or_init(|| Mutex::new(None)).lock().unwrap() = dir;
    *LOADED.get_or_init(|| Mutex::new(None)).lock().unwrap() = None;
}

/// Directories searched for AtomDB files, in order.
pub fn search_paths() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(d) = CONFIGURED.get().and_then(|m| m.lock().unwrap().clone()) {
        v.push(d);
    }
    for var in ["NUSKYBGD_ATOMDB", "ATOMDB"] {
        if let Some(p) = std::env::var_os(var) {
            v.push(PathBuf::from(p));
        }
    }
    if let Some(h) = std::env::var_os("HEADAS") {
        v.push(PathBuf::from(h).join("../spectral/modelData"));
    }
    v
}

/// The AtomDB continuum and line files (newest version) in the first directory holding both.
pub fn find_atomdb() -> Option<(PathBuf, PathBuf)> {
    for d in search_paths() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let coco = names
            .iter()
            .rev()
            .find(|n| n.starts_with("apec_v") && n.ends_with("_coco.fits"));
        if let Some(c) = coco {
            let line = c.replace("_coco.fits", "_line.fits");
            if names.contains(&line) {
                return Some((d.join(c), d.join(line)));
            }
        }
    }
    None
}

/// Continuum of one element at one temperature.
#[derive(Debug, Default)]
struct Continuum {
    energy: Vec<f64>,
    flux: Vec<f64>,
    pseudo_energy: Vec<f64>,
    pseudo: Vec<f64>,
}

/// One tabulated temperature.
#[derive(Debug, Default)]
struct TRecord {
    /// Element Z → continuum (the ion-0 record of an equilibrium table).
    cont: BTreeMap<i64, Continuum>,
    /// (element Z, line energy keV, emissivity photons cm³ s⁻¹).
    lines: Vec<(i64, f64, f64)>,
}

/// Loaded tables.
#[derive(Debug)]
pub struct AtomDb {
    coco: PathBuf,
    line: PathBuf,
    /// Tabulated kT (keV).
    kt: Vec<f64>,
    records: Mutex<BTreeMap<usize, Arc<TRecord>>>,
}

fn vec_col(f: &mut Fits, name: &str, row: usize, n: usize) -> Result<Vec<f64>> {
    let col = f.col(name)?;
    let mut v = f.read_cell_f64(col, row)?;
    v.truncate(n);
    Ok(v)
}

impl AtomDb {
    /// Open a pair of AtomDB files (temperatures read now, spectra on demand).
    pub fn open(coco: &Path, line: &Path) -> Result<AtomDb> {
        let mut c = Fits::open(coco)?;
        c.goto_named("PARAMETERS")?;
        let kt = c.read_col_f64("kT")?;
        let mut l = Fits::open(line)?;
        l.goto_named("PARAMETERS")?;
        let lkt = l.read_col_f64("kT")?;
        if kt != lkt || kt.is_empty() {
            return Err(Error::from(SpectralError::AtomDbMismatch {
                path: std::path::PathBuf::from(line),
                coco: coco.to_path_buf(),
            }));
        }
        Ok(AtomDb {
            coco: coco.to_path_buf(),
            line: line.to_path_buf(),
            kt,
            records: Mutex::new(BTreeMap::new()),
        })
    }

    fn record(&self, i: usize) -> Result<Arc<TRecord>> {
        if let Some(r) = self.records.lock().unwrap().get(&i) {
            return Ok(r.clone());
        }
        let mut rec = TRecord::default();
        let mut c = Fits::open(&self.coco)?;
        c.goto_hdu(i + 3)?;
        let z = c.read_col_i64("Z")?;
        let rmj = c.read_col_i64("rmJ")?;
        let nc = c.read_col_i64("N_Cont")?;
        let np = c.read_col_i64("N_Pseudo")?;
        for row in 0..z.len() {
            if rmj[row] != 0 {
                continue;
            }
            rec.cont.insert(
                z[row],
                Continuum {
                    energy: vec_col(&mut c, "E_Cont", row, nc[row].max(0) as usize)?,
                    flux: vec_col(&mut c, "Continuum", row, nc[row].max(0) as usize)?,
                    pseudo_energy: vec_col(&mut c, "E_Pseudo", row, np[row].max(0) as usize)?,
                    pseudo: vec_col(&mut c, "Pseudo", row, np[row].max(0) as usize)?,
                },
            );
        }
        let mut l = Fits::open(&self.line)?;
        l.goto_hdu(i + 3)?;
        if l.nrows()? > 0 {
            let lam = l.read_col_f64("Lambda")?;
            let eps = l.read_col_f64("Epsilon")?;
            let el = l.read_col_i64("Element")?;
            for k in 0..lam.len() {
                if lam[k] > 0.0 {
                    rec.lines.push((el[k], KEV_A / lam[k], eps[k]));
                }
            }
        }
        let r = Arc::new(rec);
        self.records.lock().unwrap().insert(i, r.clone());
        Ok(r)
    }

    /// Photons cm⁻² s⁻¹ per bin for norm 1 (see the module documentation).
    pub fn spectrum(&self, kt: f64, abund: f64, z: f64, e: &[f64], out: &mut [f64]) -> Result<()> {
        out.iter_mut().for_each(|o| *o = 0.0);
        let n = self.kt.len();
        let (i0, i1, w1) = if kt <= self.kt[0] {
            (0, 0, 0.0)
        } else if kt >= self.kt[n - 1] {
            (n - 1, n - 1, 0.0)
        } else {
            let i1 = self.kt.partition_point(|t| *t <= kt).min(n - 1);
            let i0 = i1 - 1;
            (i0, i1, (kt - self.kt[i0]) / (self.kt[i1] - self.kt[i0]))
        };
        let z1 = 1.0 + z;
        let src: Vec<f64> = e.iter().map(|x| x * z1).collect();
        let ab = |zz: i64| if zz <= 2 { 1.0 } else { abund };
        for (idx, w) in [(i0, 1.0 - w1), (i1, w1)] {
            if w == 0.0 {
                continue;
            }
            let rec = self.record(idx)?;
            for (zz, c) in &rec.cont {
                if *zz > 30 {
                    continue;
                }
                integrate_linear(&c.energy, &c.flux, w * ab(*zz), &src, out);
                integrate_linear(&c.pseudo_energy, &c.pseudo, w * ab(*zz), &src, out);
            }
            for (zz, en, eps) in &rec.lines {
                if *zz > 30 || *en <= src[0] || *en > src[src.len() - 1] {
                    continue;
                }
                let b = src.partition_point(|x| x < en) - 1;
                out[b] += w * ab(*zz) * eps;
            }
        }
        let f = 1e14 / z1;
        out.iter_mut().for_each(|o| *o *= f);
        Ok(())
    }
}

/// Add coeff·∫ of a piecewise-linear density (zero outside its table) over each bin.
fn integrate_linear(x: &[f64], y: &[f64], coeff: f64, e: &[f64], out: &mut [f64]) {
    if x.len() < 2 || coeff == 0.0 {
        return;
    }
    let at = |t: f64, k: usize| y[k] + (y[k + 1] - y[k]) * (t - x[k]) / (x[k + 1] - x[k]);
    let mut k = 0;
    for (b, o) in out.iter_mut().enumerate() {
        let (lo, hi) = (e[b].max(x[0]), e[b + 1].min(x[x.len() - 1]));
        if hi <= lo {
            continue;
        }
        while k + 2 < x.len() && x[k + 1] <= lo {
            k += 1;
        }
        let mut s = 0.0;
        let mut j = k;
        let mut a = lo;
        while j + 1 < x.len() && a < hi {
            let bnd = x[j + 1].min(hi);
            if bnd > a {
                s += 0.5 * (at(a, j) + at(bnd, j)) * (bnd - a);
            }
            a = bnd;
            j += 1;
        }
        *o += coeff * s;
    }
}

fn tables() -> Result<Arc<AtomDb>> {
    let slot = LOADED.get_or_init(|| Mutex::new(None));
    if let Some(db) = slot.lock().unwrap().clone() {
        return Ok(db);
    }
    let searched: Vec<String> = search_paths()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let (c, l) = find_atomdb().ok_or_else(|| {
        Error::from(SpectralError::NoAtomDb {
            searched: if searched.is_empty() {
                "$ATOMDB, $NUSKYBGD_ATOMDB or $HEADAS/../spectral/modelData (none set)".to_string()
            } else {
                searched.join(", ")
            },
        })
    })?;
    let db = Arc::new(AtomDb::open(&c, &l)?);
    *slot.lock().unwrap() = Some(db.clone());
    Ok(db)
}

/// apec(kT, Abundanc, Redshift) for norm 1.
pub fn apec(p: &[f64], e: &[f64], out: &mut [f64]) -> Result<()> {
    tables()?.spectrum(p[0], p[1], p[2], e, out)
}
