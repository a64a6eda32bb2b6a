//! Folding every stale component of a session at once: per data set, the components of
//! every source that share a redistribution matrix go through it in one pass
//! ([`Rmf::fold_many`]), and the data sets are folded in parallel. The first evaluation of
//! a fit (every component at unit norm) then costs one pass over each spectrum's matrix
//! instead of one per component.

use super::{padded, DataSet, Session};
use crate::error::Result;
use crate::spectral::ogip::rmf::Rmf;
use rayon::prelude::*;
use std::sync::Arc;

/// One component to fold: its cache key and unit-norm values, the matrix, and the photons
/// per energy bin (ARF applied).
struct Job {
    key: (usize, usize, usize),
    unit: Vec<f64>,
    rmf: Arc<Rmf>,
    weights: Vec<f64>,
}

impl Session {
    /// Fold every additive component whose cached unit-norm fold is missing or stale, for
    /// the current parameters; later lookups then find them in the cache.
    pub(super) fn prefold(&self) -> Result<()> {
        self.data
            .par_iter()
            .enumerate()
            .try_for_each(|(di, ds)| self.prefold_set(di, ds, None))
    }

    /// True when the cache holds the fold of `key` made for the values `unit`.
    pub(super) fn is_fresh(&self, key: (usize, usize, usize), unit: &[f64]) -> bool {
        matches!(self.cache.lock().unwrap().get(&key), Some((k, _)) if k.as_slice() == unit)
    }

    /// Fold the stale components of data set `di` (of source `only` alone when given).
    pub(super) fn prefold_set(&self, di: usize, ds: &DataSet, only: Option<usize>) -> Result<()> {
        let jobs = self.stale_jobs(di, ds, only)?;
        let mut done: Vec<Option<Vec<f64>>> = jobs.iter().map(|_| None).collect();
        let scale = ds.spectrum.exposure * ds.spectrum.areascal;
        for (i, job) in jobs.iter().enumerate() {
            if done[i].is_some() {
                continue;
            }
            // every job through the same matrix, folded together
            let same: Vec<usize> = (i..jobs.len())
                .filter(|&j| Arc::ptr_eq(&jobs[j].rmf, &job.rmf))
                .collect();
            let weights: Vec<&[f64]> = same.iter().map(|&j| jobs[j].weights.as_slice()).collect();
            let mut outs = vec![vec![0.0; ds.spectrum.len()]; same.len()];
            let mut refs: Vec<&mut [f64]> = outs.iter_mut().map(|o| o.as_mut_slice()).collect();
            job.rmf.fold_many(&weights, &mut refs);
            for (&j, mut o) in same.iter().zip(outs) {
                o.iter_mut().for_each(|x| *x *= scale);
                done[j] = Some(o);
            }
        }
        let mut cache = self.cache.lock().unwrap();
        for (job, counts) in jobs.into_iter().zip(done) {
            cache.insert(job.key, (job.unit, Arc::new(counts.unwrap_or_default())));
        }
        Ok(())
    }

    /// The components of data set `di` (of source `only` alone when given) to fold: additive terms of plain sums with a
    /// non-zero norm whose cache entry is missing or was made for other shape values.
    fn stale_jobs(&self, di: usize, ds: &DataSet, only: Option<usize>) -> Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for (si, s) in self.sources.iter().enumerate() {
            if only.is_some_and(|o| o != si) {
                continue;
            }
            let (Some(r), Some(p), Some(terms)) =
                (&ds.resp[si], s.per_group, s.expr.additive_terms())
            else {
                continue;
            };
            let vals = self.group_values(si, ds.group, p);
            let edges = r.rmf.edges();
            for (c, range) in terms.iter().enumerate() {
                if vals[range.end - 1] == 0.0 {
                    continue;
                }
                let mut unit = vals[range.clone()].to_vec();
                *unit.last_mut().unwrap() = 1.0;
                let key = (di, si, c);
                if self.is_fresh(key, &unit) {
                    continue;
                }
                let mut weights = s
                    .expr
                    .eval_component(c, &padded(&vals, range, &unit), &edges)?;
                if let Some(a) = &r.arf {
                    weights.iter_mut().zip(&a.area).for_each(|(w, a)| *w *= a);
                }
                jobs.push(Job {
                    key,
                    unit,
                    rmf: r.rmf.clone(),
                    weights,
                });
            }
        }
        Ok(jobs)
    }
}
