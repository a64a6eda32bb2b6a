//! Attaching the data a plan names: spectra, their responses and backgrounds, then the
//! ignore/notice ranges.

use super::plan::DataSpec;
use super::{Background, DataSet, Resp, Session};
use crate::error::{Error, Result, SpectralError};
use crate::spectral::grouping::{apply, Bins, Selection};
use crate::spectral::ogip::pha::Spectrum;
use crate::spectral::ogip::{arf::Arf, rmf::Rmf};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A companion file named in a spectrum: tried in the current directory, then beside the
/// spectrum.
fn find(cwd: &Path, spec_dir: &Path, name: &str) -> String {
    let a = cwd.join(name);
    if a.exists() {
        return a.to_string_lossy().into_owned();
    }
    spec_dir.join(name).to_string_lossy().into_owned()
}

/// Responses and ARFs read so far, by resolved file name (each file read once).
#[derive(Default)]
struct ResponseCache {
    rmfs: BTreeMap<String, Arc<Rmf>>,
    arfs: BTreeMap<String, Arc<Arf>>,
}

impl ResponseCache {
    /// The RMF `file`, read on first use.
    fn rmf(&mut self, file: &str) -> Result<Arc<Rmf>> {
        if let Some(r) = self.rmfs.get(file) {
            return Ok(r.clone());
        }
        let r = crate::spectral::ogip::store::read_rmf(Path::new(file))?;
        self.rmfs.insert(file.to_string(), r.clone());
        Ok(r)
    }

    /// The ARF `file`, read and checked against `rmf` on first use.
    fn arf(&mut self, file: &str, rmf: &Rmf) -> Result<Arc<Arf>> {
        if let Some(x) = self.arfs.get(file) {
            return Ok(x.clone());
        }
        let x = Arc::new(Arf::read(Path::new(file))?);
        x.check_against(rmf)?;
        self.arfs.insert(file.to_string(), x.clone());
        Ok(x)
    }
}

/// The directory of a spectrum file (empty when it has none).
fn spectrum_dir(sp: &Spectrum) -> PathBuf {
    sp.path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Session {
    /// Without loading: note each data or response file of the plan that does not exist.
    pub(super) fn note_missing(&mut self, specs: &BTreeMap<usize, DataSpec>) {
        for d in specs.values() {
            if !d.dir.join(&d.file).exists() {
                self.missing
                    .push((d.file.clone(), "data file not found".into()));
            }
            for f in d
                .resp
                .values()
                .chain(d.arf.values())
                .chain(d.back.iter().filter(|b| *b != "none"))
            {
                if !Path::new(f).exists() {
                    self.missing
                        .push((f.clone(), "response file not found".into()));
                }
            }
        }
    }

    /// Read every spectrum of the plan with its responses and background.
    pub(super) fn attach_data(&mut self, specs: &BTreeMap<usize, DataSpec>) -> Result<()> {
        let mut cache = ResponseCache::default();
        for (&number, d) in specs {
            let ds = self.read_dataset(number, d, &mut cache)?;
            self.data.push(ds);
        }
        Ok(())
    }

    /// One data set: spectrum `number` (1-based) as `d` names it.
    fn read_dataset(
        &self,
        number: usize,
        d: &DataSpec,
        cache: &mut ResponseCache,
    ) -> Result<DataSet> {
        let fpath = d.dir.join(&d.file);
        let sp = Spectrum::read(fpath.to_str().unwrap_or(&d.file))?;
        let bins = Bins::of(&sp);
        let resp = self.responses(d, &sp, cache)?;
        let background = read_background(d, &sp, &fpath)?;
        let noticed = bins.initially_noticed();
        Ok(DataSet {
            background,
            group: d.group,
            number,
            file: d.file.clone(),
            spectrum: sp,
            bins,
            noticed,
            resp,
        })
    }

    /// The response of each source on spectrum `sp` (source 1 defaults to the spectrum's
    /// RESPFILE and ANCRFILE).
    fn responses(
        &self,
        d: &DataSpec,
        sp: &Spectrum,
        cache: &mut ResponseCache,
    ) -> Result<Vec<Option<Resp>>> {
        let mut resp = vec![None; self.sources.len()];
        let sdir = spectrum_dir(sp);
        for (si, s) in self.sources.iter().enumerate() {
            let (rmf, arf) = match (d.resp.get(&s.number), s.number) {
                (Some(r), _) => (Some(r.clone()), d.arf.get(&s.number).cloned()),
                (None, 1) => (
                    sp.respfile.as_ref().map(|r| find(&d.dir, &sdir, r)),
                    d.arf
                        .get(&1)
                        .cloned()
                        .or_else(|| sp.ancrfile.as_ref().map(|a| find(&d.dir, &sdir, a))),
                ),
                _ => (None, None),
            };
            let Some(rmf) = rmf else { continue };
            let r = cache.rmf(&rmf)?;
            if r.nchan != sp.len() {
                return Err(Error::from(SpectralError::Mismatch {
                    path: std::path::PathBuf::from(&r.path),
                    msg: format!(
                        "RMF has {} channels but spectrum {} has {}",
                        r.nchan,
                        sp.path.display(),
                        sp.len()
                    ),
                }));
            }
            let a = match arf {
                None => None,
                Some(a) => Some(cache.arf(&a, &r)?),
            };
            resp[si] = Some(Resp { rmf: r, arf: a });
        }
        Ok(resp)
    }

    /// Apply the `ignore` (false) / `notice` (true) commands in order to every data set.
    pub(super) fn apply_selections(&mut self, selections: &[(bool, Selection)]) {
        for (value, sel) in selections {
            for (range, ranges) in sel {
                for ds in self.data.iter_mut() {
                    if range.is_some_and(|(a, b)| ds.number < a || ds.number > b) {
                        continue;
                    }
                    let r = ds.resp.iter().flatten().next().map(|r| r.rmf.clone());
                    let (lo, hi) = r
                        .map(|r| (r.e_min.clone(), r.e_max.clone()))
                        .unwrap_or_default();
                    for rg in ranges {
                        apply(rg, &ds.bins, &lo, &hi, &mut ds.noticed, *value);
                    }
                }
            }
        }
    }
}

/// The background of spectrum `sp` (file `fpath`): `backgrnd`'s file, else its BACKFILE.
fn read_background(d: &DataSpec, sp: &Spectrum, fpath: &Path) -> Result<Option<Background>> {
    let back = match &d.back {
        Some(b) if b == "none" => None,
        Some(b) => Some(b.clone()),
        None => sp
            .backfile
            .as_ref()
            .map(|b| find(&d.dir, &spectrum_dir(sp), b)),
    };
    let Some(b) = back else { return Ok(None) };
    let bs = Spectrum::read(&b).map_err(|e| {
        Error::from(SpectralError::BackgroundUnreadable {
            path: std::path::PathBuf::from(fpath),
            name: b.to_string(),
            inner: Box::new(e),
        })
    })?;
    if bs.len() != sp.len() {
        return Err(Error::from(SpectralError::Mismatch {
            path: std::path::PathBuf::from(&bs.path),
            msg: format!(
                "background has {} channels but spectrum {} has {}",
                bs.len(),
                sp.path.display(),
                sp.len()
            ),
        }));
    }
    let scale =
        (sp.exposure * sp.areascal * sp.backscal) / (bs.exposure * bs.areascal * bs.backscal);
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::from(SpectralError::BadBackgroundScale {
            path: std::path::PathBuf::from(&bs.path),
            scale,
        }));
    }
    // pgstat's σ²: STAT_ERR² when the file has errors, else Poisson
    let variance = match &bs.stat_err {
        Some(e) => e.iter().map(|x| x * x).collect(),
        None => bs.counts.iter().map(|c| c.max(0.0)).collect(),
    };
    Ok(Some(Background {
        file: b,
        counts: bs.counts,
        variance,
        scale,
    }))
}
