//! CALDB lookups through `$CALDB/data/nustar/fpm/caldb.indx`, as HEASoft's quzcif selects:
//! matching TELESCOP/INSTRUME/DETNAM/CAL_CNAM, quality CAL_QUAL = 0, validity start
//! (CAL_VSD + CAL_VST) not after the observation start; the latest such start wins, and
//! among equal starts the entry listed last (the newest file) wins.

use crate::error::{NustarError, Result};
use crate::io::fits::Fits;
use std::path::{Path, PathBuf};

/// The observation start (DATE-OBS), the key of the CALDB lookups, from the first header
/// of a file (a spectrum, an event list) that has it.
pub fn date_obs(file: &Path) -> Result<String> {
    let mut f = Fits::open(file)?;
    for h in 1..=f.num_hdus()? {
        f.goto_hdu(h)?;
        if let Some(d) = f.opt_key_str("DATE-OBS")? {
            return Ok(d);
        }
    }
    Err(NustarError::NoDateObs {
        path: file.to_path_buf(),
    }
    .into())
}

/// A CALDB tree.
#[derive(Debug, Clone)]
pub struct Caldb {
    /// `$CALDB`.
    pub root: PathBuf,
}

/// A selected calibration file: path and extension number (CAL_XNO, 1-based extension
/// after the primary; 0 when the index does not say).
#[derive(Debug, Clone, PartialEq)]
pub struct CalFile {
    pub path: PathBuf,
    pub ext: usize,
    /// Start of validity (CAL_VSD `T` CAL_VST).
    pub valid_from: String,
    /// The row's calibration boundary (CAL_CBD strings joined; empty when none).
    pub boundary: String,
}

impl Caldb {
    /// The CALDB named by `$CALDB`, or None when unset.
    pub fn from_env() -> Option<Caldb> {
        std::env::var_os("CALDB").map(|r| Caldb {
            root: PathBuf::from(r),
        })
    }

    /// The NuSTAR FPM index file.
    pub fn index_path(&self) -> PathBuf {
        self.root.join("data/nustar/fpm/caldb.indx")
    }

    /// Select the file for `cnam` (PIXPOS, INSTRMAP, BADPIX, DETABS, …) for an instrument
    /// (FPMA/FPMB) and detector (e.g. "DET0"; None to ignore DETNAM) valid at `date_obs`
    /// (ISO `YYYY-MM-DDThh:mm:ss[.fff]`).
    pub fn lookup(
        &self,
        cnam: &str,
        instrume: &str,
        detnam: Option<&str>,
        date_obs: &str,
    ) -> Result<CalFile> {
        self.select(cnam, instrume, detnam, date_obs, None)
    }

    /// As [`Caldb::lookup`], and also keep only rows whose CAL_CBD (calibration boundary,
    /// e.g. `DEPTHCUT(NOMINAL)` for GRPRMF) contains `boundary` (case-insensitive). An
    /// index without a CAL_CBD column is not filtered.
    pub fn lookup_boundary(
        &self,
        cnam: &str,
        instrume: &str,
        detnam: Option<&str>,
        date_obs: &str,
        boundary: &str,
    ) -> Result<CalFile> {
        self.select(cnam, instrume, detnam, date_obs, Some(boundary))
    }

    /// The newest valid row of the index matching the query, started on or before
    /// `date_obs`, as a file that exists.
    fn select(
        &self,
        cnam: &str,
        instrume: &str,
        detnam: Option<&str>,
        date_obs: &str,
        boundary: Option<&str>,
    ) -> Result<CalFile> {
        let index = self.index_path();
        if !index.is_file() {
            return Err(NustarError::CaldbIndexMissing {
                path: index.to_path_buf(),
            }
            .into());
        }
        let when = normalise_date(date_obs).ok_or_else(|| NustarError::BadDateObs {
            date_obs: date_obs.to_string(),
        })?;
        let rows = IndexRows::read(&index)?;
        let q = Query {
            cnam,
            instrume,
            detnam,
            boundary: boundary.map(|b| b.to_ascii_uppercase()),
        };
        let i = rows
            .newest(&q, &when)
            .ok_or_else(|| NustarError::NoCaldbEntry {
                path: index.to_path_buf(),
                cnam: cnam.to_string(),
                what: format!(
                    "{instrume}{}{}",
                    detnam.map(|d| format!(" {d}")).unwrap_or_default(),
                    boundary
                        .map(|b| format!(" with CAL_CBD {b}"))
                        .unwrap_or_default()
                ),
                date_obs: date_obs.to_string(),
            })?;
        let path = self.root.join(&rows.dir[i]).join(&rows.file[i]);
        if !path.is_file() {
            return Err(NustarError::CaldbFileMissing {
                path: path.to_path_buf(),
                cnam: cnam.to_string(),
            }
            .into());
        }
        Ok(CalFile {
            path,
            ext: rows.xno[i].max(0) as usize,
            valid_from: format!("{}T{}", rows.vsd[i].trim(), rows.vst[i].trim()),
            boundary: rows.cbd.as_ref().map(|c| c[i].clone()).unwrap_or_default(),
        })
    }
}

/// What a lookup asks of the index; `boundary` upper-cased.
struct Query<'a> {
    cnam: &'a str,
    instrume: &'a str,
    detnam: Option<&'a str>,
    boundary: Option<String>,
}

/// The columns of a CALDB index (caldb.indx, extension 2) a lookup reads.
struct IndexRows {
    tel: Vec<String>,
    ins: Vec<String>,
    det: Vec<String>,
    cnam: Vec<String>,
    dir: Vec<String>,
    file: Vec<String>,
    vsd: Vec<String>,
    vst: Vec<String>,
    /// CAL_QUAL, 0 (good) when the column is absent.
    qual: Vec<i64>,
    /// CAL_XNO (extension number), 0 when absent.
    xno: Vec<i64>,
    /// CAL_CBD strings joined per row; None when the index has no such column.
    cbd: Option<Vec<String>>,
}

impl IndexRows {
    fn read(index: &Path) -> Result<IndexRows> {
        let mut f = Fits::open(index)?;
        f.goto_hdu(2)?;
        let tel = f.read_col_str("TELESCOP")?;
        let n = tel.len();
        let int_or_zero = |f: &mut Fits, name: &str| -> Result<Vec<i64>> {
            match f.opt_col(name)? {
                Some(_) => f.read_scalar_col_i64(name),
                None => Ok(vec![0; n]),
            }
        };
        let qual = int_or_zero(&mut f, "CAL_QUAL")?;
        let xno = int_or_zero(&mut f, "CAL_XNO")?;
        let cbd = match f.opt_col("CAL_CBD")? {
            Some(_) => Some(f.read_col_str_joined("CAL_CBD")?),
            None => None,
        };
        Ok(IndexRows {
            tel,
            ins: f.read_col_str("INSTRUME")?,
            det: f.read_col_str("DETNAM")?,
            cnam: f.read_col_str("CAL_CNAM")?,
            dir: f.read_col_str("CAL_DIR")?,
            file: f.read_col_str("CAL_FILE")?,
            vsd: f.read_col_str("CAL_VSD")?,
            vst: f.read_col_str("CAL_VST")?,
            qual,
            xno,
            cbd,
        })
    }

    /// Row `i` is a good NuSTAR entry of the query (DETNAM `-` serves every detector; an
    /// index without CAL_CBD is not filtered by boundary).
    fn matches(&self, q: &Query, i: usize) -> bool {
        self.tel[i].eq_ignore_ascii_case("NUSTAR")
            && self.ins[i].eq_ignore_ascii_case(q.instrume)
            && self.cnam[i].eq_ignore_ascii_case(q.cnam)
            && self.qual[i] == 0
            && q.detnam
                .is_none_or(|d| self.det[i].eq_ignore_ascii_case(d) || self.det[i] == "-")
            && match (&self.cbd, &q.boundary) {
                (Some(c), Some(w)) => c[i].to_ascii_uppercase().contains(w.as_str()),
                _ => true,
            }
    }

    /// The matching row with the latest validity start not after `when` (the later row on
    /// ties, as the CALDB tools pick).
    fn newest(&self, q: &Query, when: &str) -> Option<usize> {
        let mut best: Option<(String, usize)> = None;
        for i in (0..self.tel.len()).filter(|&i| self.matches(q, i)) {
            let Some(start) = normalise_date(&format!("{}T{}", self.vsd[i], self.vst[i])) else {
                continue;
            };
            if start.as_str() <= when && best.as_ref().is_none_or(|(s, _)| start >= *s) {
                best = Some((start, i));
            }
        }
        best.map(|(_, i)| i)
    }
}

/// `YYYY-MM-DDThh:mm:ss` from an ISO date with optional time and fractional seconds, so that
/// string order is time order; None when malformed.
pub fn normalise_date(s: &str) -> Option<String> {
    let s = s.trim();
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, t),
        None => (s, "00:00:00"),
    };
    let d: Vec<&str> = date.split('-').collect();
    let t: Vec<&str> = time.split(':').collect();
    if d.len() != 3
        || t.len() != 3
        || d.iter()
            .chain(t[..2].iter())
            .any(|p| p.parse::<u32>().is_err())
    {
        return None;
    }
    let sec: f64 = t[2].parse().ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        d[0].parse::<u32>().ok()?,
        d[1].parse::<u32>().ok()?,
        d[2].parse::<u32>().ok()?,
        t[0].parse::<u32>().ok()?,
        t[1].parse::<u32>().ok()?,
        sec.floor() as u32
    ))
}

/// Convenience: a CALDB from `$CALDB` or a clear error.
pub fn caldb_from_env() -> Result<Caldb> {
    Caldb::from_env().ok_or_else(|| NustarError::CaldbUnset.into())
}

/// True when `path` exists and is a CALDB root with a NuSTAR FPM index.
pub fn has_index(root: &Path) -> bool {
    root.join("data/nustar/fpm/caldb.indx").is_file()
}

#[cfg(test)]
mod tests {
    use super::normalise_date;

    #[test]
    fn dates() {
        assert_eq!(
            normalise_date("2016-02-12T19:06:40.25").unwrap(),
            "2016-02-12T19:06:40"
        );
        assert_eq!(
            normalise_date("2010-01-01T00:00:00").unwrap(),
            "2010-01-01T00:00:00"
        );
        assert_eq!(normalise_date("2010-1-1").unwrap(), "2010-01-01T00:00:00");
        assert!(normalise_date("yesterday").is_none());
    }
}
