//! A fitting session built from a save file: spectra (each in a data group), sources 1..N
//! (expression, responses per spectrum) and one parameter list per source holding
//! P parameters for each data group (global index (g−1)·P + k, as XSPEC numbers them).

use crate::error::{Error, Result, SpectralError};
use crate::spectral::expr::Expression;
use crate::spectral::grouping::Bins;
use crate::spectral::ogip::pha::Spectrum;
use crate::spectral::ogip::{arf::Arf, rmf::Rmf};
use crate::spectral::params::{resolve_links, Addr, Param};
use crate::spectral::stat::{self, BackgroundBin, PoissonBin, StatTerms, Statistic};
use crate::spectral::xcm::file::XcmFile;
use crate::spectral::xcm::link::ParRef;
use std::collections::BTreeMap;
use std::sync::Arc;

mod attach;
mod load;
mod plan;
mod prefold;
mod save;

/// One model source.
#[derive(Debug, Clone)]
pub struct Source {
    /// XSPEC source number (1 = the source model).
    pub number: usize,
    pub name: Option<String>,
    pub expr: Expression,
    /// Parameters per data group (None when a component is unknown).
    pub per_group: Option<usize>,
    /// Index of the `model` item in the save file.
    item: usize,
}

impl Source {
    /// Index of this source's `model` command among the save file's items.
    pub fn model_item(&self) -> usize {
        self.item
    }
}

/// A response of one source on one spectrum.
#[derive(Debug, Clone)]
pub struct Resp {
    pub rmf: Arc<Rmf>,
    pub arf: Option<Arc<Arf>>,
}

/// A background spectrum subtracted from a data set, as XSPEC does for the spectrum's
/// BACKFILE or a `backgrnd` command.
#[derive(Debug, Clone)]
pub struct Background {
    /// The file as resolved.
    pub file: String,
    /// Background counts per channel.
    pub counts: Vec<f64>,
    /// Variance of those counts per channel (STAT_ERR², or the counts when Poisson): the
    /// Gaussian background width of pgstat.
    pub variance: Vec<f64>,
    /// Factor turning background counts into counts of the data set:
    /// (EXPOSURE·AREASCAL·BACKSCAL) of the data over the same of the background.
    pub scale: f64,
}

/// One loaded spectrum.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Data group (1-based) and spectrum number (1-based).
    pub group: usize,
    pub number: usize,
    /// The file as named in the save file.
    pub file: String,
    pub spectrum: Spectrum,
    pub bins: Bins,
    pub noticed: Vec<bool>,
    /// Response per source (index into `Session::sources`).
    pub resp: Vec<Option<Resp>>,
    /// Background subtracted from the data (None: none, or switched off by
    /// `backgrnd n none`).
    pub background: Option<Background>,
}

/// The session.
#[derive(Debug)]
pub struct Session {
    /// Fit statistic.
    pub statistic: Statistic,
    pub sources: Vec<Source>,
    /// Parameters of each source.
    pub params: Vec<Vec<Param>>,
    pub data: Vec<DataSet>,
    /// Data groups.
    pub ngroups: usize,
    /// Files named in the save file that could not be found or read.
    pub missing: Vec<(String, String)>,
    /// The save file this came from (written back with new values).
    pub xcm: XcmFile,
    /// Folded counts per (data set, source), keyed by the parameter values used: only
    /// sources whose values changed are folded again (most fit steps move one source).
    cache: std::sync::Mutex<FoldCache>,
}

/// Folded counts keyed by (data set, source, term): the parameter values used and the counts.
type FoldCache = BTreeMap<(usize, usize, usize), (Vec<f64>, Arc<Vec<f64>>)>;

/// The sources a reference can name: each source's name and number.
///
/// XSPEC's rule (HEASoft 6.20, Xspec/src/XSModel/Parameter/ParameterLink.cxx,
/// `ParameterLink::wordToParam` and `addPointer`): `name:pN` (or `name:N`) is parameter N of
/// the source called `name`; a bare `pN` (or `N`) carries XSPEC's default model name
/// `_DEFAULT`, which is the unnamed model (source 1), wherever the link is written, inside a
/// named source too. `addPointer` looks in the link's own model only when the names match,
/// then asks the model container; when no model has that name it finds no parameter and
/// `wordToParam` throws "No matching parameter for parameter reference pN in link
/// expression". So a bare pN with no unnamed model is an error, here as in XSPEC.
#[derive(Debug, Clone)]
pub(crate) struct Names(Vec<(Option<String>, usize)>);

impl Names {
    pub(crate) fn of(sources: &[Source]) -> Names {
        Names(sources.iter().map(|s| (s.name.clone(), s.number)).collect())
    }

    /// Index (into the sources) of the source `r` names; None when there is none. A
    /// number as model (`1:p2`, as rnewpar writes) names the source of that number.
    pub(crate) fn source(&self, r: &ParRef) -> Option<usize> {
        match &r.model {
            None => self.0.iter().position(|(n, _)| n.is_none()),
            Some(m) => self
                .0
                .iter()
                .position(|(n, num)| n.as_deref() == Some(m.as_str()) || num.to_string() == *m),
        }
    }

    /// Address of `r` among parameter lists of lengths `lens`.
    fn addr(&self, lens: &[usize], r: &ParRef) -> Option<Addr> {
        let s = self.source(r)?;
        (r.index >= 1 && r.index <= *lens.get(s)?).then_some(Addr::new(s, r.index - 1))
    }
}

impl Session {
    /// Address of a parameter reference, by XSPEC's rule (see [`Names`]): `name:pN` in
    /// source `name`, a bare `pN` in the unnamed model (source 1), wherever it is written.
    /// None when that source or parameter does not exist.
    pub fn addr(&self, r: &ParRef) -> Option<Addr> {
        let lens: Vec<usize> = self.params.iter().map(Vec::len).collect();
        Names::of(&self.sources).addr(&lens, r)
    }

    /// Recompute every linked parameter.
    pub fn resolve(&mut self) -> Result<()> {
        let names = Names::of(&self.sources);
        let lens: Vec<usize> = self.params.iter().map(Vec::len).collect();
        // the source a link sits in does not change what it names (XSPEC's rule, above)
        let resolve = move |_from: usize, r: &ParRef| names.addr(&lens, r);
        resolve_links(&mut self.params, &resolve)
    }

    /// Folded counts per channel of `flux` through response `r` on data set `ds`.
    fn fold(ds: &DataSet, r: &Resp, flux: &[f64]) -> Vec<f64> {
        let mut rate = vec![0.0; ds.spectrum.len()];
        r.rmf
            .fold_into(flux, r.arf.as_ref().map(|a| a.area.as_slice()), &mut rate);
        let scale = ds.spectrum.exposure * ds.spectrum.areascal;
        rate.iter_mut().for_each(|x| *x *= scale);
        rate
    }

    /// Cached fold keyed by (data set, source, term) and the parameter values it used.
    fn cached(
        &self,
        key: (usize, usize, usize),
        vals: &[f64],
        make: impl FnOnce() -> Result<Vec<f64>>,
    ) -> Result<Arc<Vec<f64>>> {
        if let Some((k, c)) = self.cache.lock().unwrap().get(&key) {
            if k.as_slice() == vals {
                return Ok(c.clone());
            }
        }
        let c = Arc::new(make()?);
        self.cache
            .lock()
            .unwrap()
            .insert(key, (vals.to_vec(), c.clone()));
        Ok(c)
    }

    /// Counts per channel of component `c` of source `si` on data set `di` at unit norm,
    /// for the group parameter values `vals` (cached by the component's shape parameters).
    fn unit_fold(
        &self,
        di: usize,
        si: usize,
        c: usize,
        vals: &[f64],
        range: &std::ops::Range<usize>,
    ) -> Result<Arc<Vec<f64>>> {
        let ds = &self.data[di];
        let r = ds.resp[si]
            .as_ref()
            .ok_or_else(|| Error::from(SpectralError::NoResponse))?;
        let mut unit = vals[range.clone()].to_vec();
        *unit.last_mut().unwrap() = 1.0;
        if !self.is_fresh((di, si, c), &unit) {
            // one pass folds this and every other stale component of the source
            self.prefold_set(di, ds, Some(si))?;
        }
        let s = &self.sources[si];
        self.cached((di, si, c), &unit, || {
            let flux = s
                .expr
                .eval_component(c, &padded(vals, range, &unit), &r.rmf.edges())?;
            Ok(Self::fold(ds, r, &flux))
        })
    }

    /// Current values of source `si`'s parameters for data group `group` (1-based; a group
    /// beyond those the source has uses the last), `p` parameters per group.
    fn group_values(&self, si: usize, group: usize, p: usize) -> Vec<f64> {
        let g = group.min(self.params[si].len() / p.max(1)).max(1);
        self.params[si][(g - 1) * p..g * p]
            .iter()
            .map(|q| q.value)
            .collect()
    }

    /// Counts per channel of source `si` on data set `di` for the current parameters. A
    /// source that is a plain sum of additive components is folded one component at a time
    /// at unit norm, so a change of norm never folds again.
    fn source_counts(&self, di: usize, si: usize) -> Result<Option<Vec<f64>>> {
        let ds = &self.data[di];
        let Some(r) = &ds.resp[si] else {
            return Ok(None);
        };
        let s = &self.sources[si];
        let p = s.per_group.ok_or_else(|| {
            Error::from(SpectralError::BadSource {
                number: s.number,
                msg: ": a component is unknown and cannot be evaluated".into(),
            })
        })?;
        let vals = self.group_values(si, ds.group, p);
        let edges = r.rmf.edges();
        match s.expr.additive_terms() {
            Some(terms) => {
                let mut total = vec![0.0; ds.spectrum.len()];
                for (c, range) in terms.iter().enumerate() {
                    let norm = vals[range.end - 1];
                    if norm == 0.0 {
                        continue;
                    }
                    let folded = self.unit_fold(di, si, c, &vals, range)?;
                    total
                        .iter_mut()
                        .zip(folded.iter())
                        .for_each(|(t, f)| *t += norm * f);
                }
                Ok(Some(total))
            }
            None => {
                let folded = self.cached((di, si, usize::MAX), &vals, || {
                    let flux = s.expr.eval(&vals, &edges)?;
                    Ok(Self::fold(ds, r, &flux))
                })?;
                Ok(Some(folded.to_vec()))
            }
        }
    }

    /// Derivative of the predicted counts (noticed bins, `model_counts` layout) when the
    /// parameters in `rates` move at the given rates (d param / d θ): exact when every one of
    /// them is the norm of a component in a plain sum, since counts are linear in a norm
    /// (the unit-norm fold times the rate). None when some other parameter moves.
    pub fn norm_derivative(&self, rates: &[(Addr, f64)]) -> Result<Option<Vec<f64>>> {
        // (source, global index) → (component, group)
        let mut terms: Vec<(usize, usize, usize, f64)> = Vec::new();
        for &(
            Addr {
                source: si,
                index: gi,
            },
            rate,
        ) in rates
        {
            let s = &self.sources[si];
            let (Some(p), Some(ranges)) = (s.per_group, s.expr.additive_terms()) else {
                return Ok(None);
            };
            let (g, k) = (gi / p + 1, gi % p);
            let Some(c) = ranges.iter().position(|r| r.end - 1 == k) else {
                return Ok(None);
            };
            terms.push((si, c, g, rate));
        }
        let mut out = Vec::new();
        for (di, ds) in self.data.iter().enumerate() {
            let mut counts = vec![0.0; ds.spectrum.len()];
            for &(si, c, g, rate) in &terms {
                if ds.resp[si].is_none() {
                    continue;
                }
                let p = self.sources[si].per_group.unwrap_or(0);
                if ds.group.min(self.params[si].len() / p.max(1)).max(1) != g {
                    continue;
                }
                let range = self.sources[si].expr.additive_terms().unwrap()[c].clone();
                let vals: Vec<f64> = self.params[si][(g - 1) * p..g * p]
                    .iter()
                    .map(|q| q.value)
                    .collect();
                let folded = self.unit_fold(di, si, c, &vals, &range)?;
                counts
                    .iter_mut()
                    .zip(folded.iter())
                    .for_each(|(a, b)| *a += rate * b);
            }
            let b = ds.bins.sum(&counts);
            out.extend(
                b.iter()
                    .zip(&ds.noticed)
                    .filter(|(_, n)| **n)
                    .map(|(v, _)| *v),
            );
        }
        Ok(Some(out))
    }

    /// Predicted counts per channel (every channel of the spectrum, ungrouped, whatever is
    /// ignored) of source `si` on data set `di`, for the data set's EXPOSURE × AREASCAL;
    /// only component `comp` (index into the source's components) when given, which must
    /// then be an additive term of a plain sum. Zeros when the source has no response there.
    pub fn channel_counts(&self, di: usize, si: usize, comp: Option<usize>) -> Result<Vec<f64>> {
        let ds = &self.data[di];
        let zeros = || vec![0.0; ds.spectrum.len()];
        match comp {
            None => Ok(self.source_counts(di, si)?.unwrap_or_else(zeros)),
            Some(c) => {
                if ds.resp[si].is_none() {
                    return Ok(zeros());
                }
                let s = &self.sources[si];
                let (Some(p), Some(terms)) = (s.per_group, s.expr.additive_terms()) else {
                    return Err(Error::from(SpectralError::BadSource {
                        number: s.number,
                        msg: " is not a sum of additive components".into(),
                    }));
                };
                let range = terms.get(c).cloned().ok_or_else(|| {
                    Error::from(SpectralError::BadSource {
                        number: s.number,
                        msg: format!(" has no component {}", c + 1),
                    })
                })?;
                let vals = self.group_values(si, ds.group, p);
                let norm = vals[range.end - 1];
                if norm == 0.0 {
                    return Ok(zeros());
                }
                let folded = self.unit_fold(di, si, c, &vals, &range)?;
                Ok(folded.iter().map(|v| v * norm).collect())
            }
        }
    }

    /// Predicted counts of source `si` on data set `di` summed over its noticed bins; only
    /// component `comp` (index into the source's components) when given, which must then be
    /// an additive term of a plain sum.
    pub fn band_counts(&self, di: usize, si: usize, comp: Option<usize>) -> Result<f64> {
        let ds = &self.data[di];
        let per_channel = self.channel_counts(di, si, comp)?;
        let b = ds.bins.sum(&per_channel);
        Ok(b.iter()
            .zip(&ds.noticed)
            .filter(|(_, n)| **n)
            .map(|(v, _)| *v)
            .sum())
    }

    /// Predicted counts per noticed bin of every data set, concatenated in data order.
    pub fn model_counts(&self) -> Result<Vec<f64>> {
        self.prefold()?;
        let mut out = Vec::new();
        for (di, ds) in self.data.iter().enumerate() {
            let mut counts = vec![0.0; ds.spectrum.len()];
            for si in 0..self.sources.len() {
                if let Some(c) = self.source_counts(di, si)? {
                    counts.iter_mut().zip(c.iter()).for_each(|(a, b)| *a += b);
                }
            }
            let b = ds.bins.sum(&counts);
            out.extend(
                b.iter()
                    .zip(&ds.noticed)
                    .filter(|(_, n)| **n)
                    .map(|(v, _)| *v),
            );
        }
        Ok(out)
    }

    /// Observed counts and variances of the noticed bins, in the order of `model_counts`;
    /// a background is subtracted (scaled) with its Poisson variance added, as XSPEC does.
    pub fn data_counts(&self) -> (Vec<f64>, Vec<f64>) {
        let (mut d, mut v) = (Vec::new(), Vec::new());
        for ds in &self.data {
            let mut c = ds.bins.sum(&ds.spectrum.counts);
            let mut var = match &ds.spectrum.stat_err {
                Some(e) => ds.bins.sum(&e.iter().map(|x| x * x).collect::<Vec<_>>()),
                None => c.clone(),
            };
            if let Some(b) = &ds.background {
                let bc = ds.bins.sum(&b.counts);
                for k in 0..c.len() {
                    c[k] -= b.scale * bc[k];
                    var[k] += b.scale * b.scale * bc[k].max(0.0);
                }
            }
            for b in 0..ds.bins.len() {
                if ds.noticed[b] {
                    d.push(c[b]);
                    v.push(var[b]);
                }
            }
        }
        (d, v)
    }

    /// Source and background counts of the noticed bins (in the order of `model_counts`),
    /// each summed over the bin's channels as XSPEC groups both spectra: what the Poisson
    /// statistics (cstat/W-stat, pgstat) see.
    pub fn poisson_bins(&self) -> Vec<PoissonBin> {
        let mut out = Vec::new();
        for ds in &self.data {
            let counts = ds.bins.sum(&ds.spectrum.counts);
            let bg = ds.background.as_ref().map(|b| {
                let ratio = 1.0 / b.scale;
                (ds.bins.sum(&b.counts), ds.bins.sum(&b.variance), ratio)
            });
            for k in (0..ds.bins.len()).filter(|&k| ds.noticed[k]) {
                out.push(PoissonBin {
                    counts: counts[k],
                    background: bg.as_ref().map(|(c, v, ratio)| BackgroundBin {
                        counts: c[k],
                        variance: v[k],
                        ratio: *ratio,
                    }),
                });
            }
        }
        out
    }

    /// Refuse a statistic that is undefined on the loaded data: the W-statistic (cstat
    /// with a background) takes the logarithm of the background counts, so a noticed
    /// background bin with negative counts (a RATE background file) has no W-stat.
    pub fn check_statistic(&self) -> Result<()> {
        if self.statistic != Statistic::Cstat {
            return Ok(());
        }
        for ds in &self.data {
            let Some(b) = &ds.background else { continue };
            let c = ds.bins.sum(&b.counts);
            if let Some(k) = (0..c.len()).find(|&k| ds.noticed[k] && c[k] < 0.0) {
                return Err(Error::from(SpectralError::NotPoisson {
                    spectrum: ds.number,
                    file: ds.file.to_string(),
                    background: b.file.to_string(),
                    counts: c[k],
                    bin: k + 1,
                }));
            }
        }
        Ok(())
    }

    /// The statistic for the current parameters.
    pub fn statistic_value(&self) -> Result<f64> {
        self.check_statistic()?;
        let m = self.model_counts()?;
        let (d, v) = self.data_counts();
        Ok(self.stat_of(&d, &m, &v))
    }

    /// Statistic of data `d` and variances `v` (as `data_counts` gives them) at predicted
    /// counts `m`. Under cstat/pgstat a bin with a background is evaluated on the
    /// session's own source and background counts (the W-stat and pgstat likelihoods need
    /// both, not their difference in `d`); bins without one use `d`.
    pub fn stat_of(&self, d: &[f64], m: &[f64], v: &[f64]) -> f64 {
        match self.statistic {
            Statistic::Chi => stat::chi(d, m, v),
            _ => {
                let bins = self.poisson_bins_with(d);
                stat::poisson_terms(self.statistic, &bins, m).value
            }
        }
    }

    /// [`Session::poisson_bins`] with the source counts of background-free bins taken
    /// from `d`.
    fn poisson_bins_with(&self, d: &[f64]) -> Vec<PoissonBin> {
        let mut bins = self.poisson_bins();
        for (b, d) in bins.iter_mut().zip(d) {
            if b.background.is_none() {
                b.counts = *d;
            }
        }
        bins
    }

    /// The statistic at predicted counts `m` (noticed bins, in the order of
    /// `model_counts`) with its derivatives per bin, for the fitter.
    pub fn stat_terms(&self, m: &[f64]) -> StatTerms {
        match self.statistic {
            Statistic::Chi => {
                let (d, v) = self.data_counts();
                stat::chi_terms(&d, m, &v)
            }
            _ => stat::poisson_terms(self.statistic, &self.poisson_bins(), m),
        }
    }

    /// Addresses of the free parameters.
    pub fn free(&self) -> Vec<Addr> {
        let mut v = Vec::new();
        for (s, ps) in self.params.iter().enumerate() {
            for (i, p) in ps.iter().enumerate() {
                if p.is_free() {
                    v.push(Addr::new(s, i));
                }
            }
        }
        v
    }

    /// Noticed bins in all data sets.
    pub fn n_bins(&self) -> usize {
        self.data
            .iter()
            .map(|d| d.noticed.iter().filter(|n| **n).count())
            .sum()
    }
}

/// All parameters with one component's slice replaced (for evaluating that component).
fn padded(vals: &[f64], range: &std::ops::Range<usize>, part: &[f64]) -> Vec<f64> {
    let mut v = vals.to_vec();
    v[range.clone()].copy_from_slice(part);
    v
}
