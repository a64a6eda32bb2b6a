//! Confidence intervals as XSPEC's `error` command finds them: for each free parameter the
//! values below and above the best fit where the statistic, minimised over the other free
//! parameters, has risen by Δstat. A profile that falls below the best fit means the fit
//! had not found the minimum: as XSPEC does ("new minimum found") the fit is redone from
//! there and the intervals are started again.

use super::local::set;
use super::{fit, FitOptions, FitResult, Limit};
use crate::error::Result;
use crate::spectral::params::Addr;
use crate::spectral::session::Session;

/// A confidence interval around the best-fit value, as offsets from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Offset of the lower bound (≤ 0).
    pub lower: f64,
    /// Offset of the upper bound (≥ 0).
    pub upper: f64,
    /// The lower bound is the parameter's hard limit, reached before Δstat was.
    pub lower_at_limit: bool,
    /// The upper bound is the parameter's hard limit, reached before Δstat was.
    pub upper_at_limit: bool,
}

/// Intervals of every free parameter, with the fit they are around.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    /// In the order of `best.free`.
    pub intervals: Vec<Interval>,
    /// The best fit the intervals are around (a refit when a new minimum was found).
    pub best: FitResult,
    /// How many times profiling found a lower statistic and the fit was redone.
    pub new_minima: usize,
}

/// Most restarts after new minima before giving the intervals found last.
const MAX_RESTARTS: usize = 5;

/// Intervals at Δstat `delta_stat` (2.706: 90% for one parameter) around `best`, which
/// must be the fit the session is at.
pub fn errors(
    sess: &mut Session,
    best: &FitResult,
    delta_stat: f64,
    opts: &FitOptions,
) -> Result<ErrorReport> {
    let mut best = best.clone();
    let mut new_minima = 0;
    loop {
        match intervals(sess, &best, delta_stat, opts)? {
            Scan::Done(intervals) => {
                return Ok(ErrorReport {
                    intervals,
                    best,
                    new_minima,
                })
            }
            Scan::Lower(values) => {
                restore(sess, &values)?;
                let refit = fit(sess, opts)?;
                new_minima += 1;
                let gained = best.statistic - refit.statistic;
                best = refit;
                if gained <= tolerance(opts) || new_minima >= MAX_RESTARTS {
                    if let Scan::Done(intervals) = intervals(sess, &best, delta_stat, opts)? {
                        return Ok(ErrorReport {
                            intervals,
                            best,
                            new_minima,
                        });
                    }
                }
            }
        }
    }
}

/// How far below the best fit a profile must fall to count as a new minimum.
fn tolerance(opts: &FitOptions) -> f64 {
    opts.crit.max(1e-6)
}

enum Scan {
    Done(Vec<Interval>),
    /// A profile went below the best fit: every parameter value at that point.
    Lower(Vec<Vec<f64>>),
}

fn snapshot(sess: &Session) -> Vec<Vec<f64>> {
    sess.params
        .iter()
        .map(|ps| ps.iter().map(|p| p.value).collect())
        .collect()
}

fn restore(sess: &mut Session, values: &[Vec<f64>]) -> Result<()> {
    for (ps, vs) in sess.params.iter_mut().zip(values) {
        for (p, v) in ps.iter_mut().zip(vs) {
            p.value = *v;
        }
    }
    sess.resolve()
}

fn intervals(
    sess: &mut Session,
    best: &FitResult,
    delta_stat: f64,
    opts: &FitOptions,
) -> Result<Scan> {
    let theta0: Vec<f64> = best
        .free
        .iter()
        .map(|a| sess.params[a.source][a.index].value)
        .collect();
    let mut out = Vec::new();
    for k in 0..best.free.len() {
        let mut iv = Interval {
            lower: 0.0,
            upper: 0.0,
            lower_at_limit: false,
            upper_at_limit: false,
        };
        for sign in [-1.0, 1.0] {
            let held = best.at_limit[k]
                == Some(if sign < 0.0 {
                    Limit::Lower
                } else {
                    Limit::Upper
                });
            let side = if held {
                Side::Bound(0.0, true)
            } else {
                let mut p = Profile {
                    best,
                    theta0: &theta0,
                    k,
                    sign,
                    target: best.statistic + delta_stat,
                    opts,
                };
                p.search(sess)?
            };
            set(sess, &best.free, &theta0)?;
            let (off, lim) = match side {
                Side::Lower(v) => return Ok(Scan::Lower(v)),
                Side::Bound(o, l) => (o, l),
            };
            if sign < 0.0 {
                (iv.lower, iv.lower_at_limit) = (-off, lim);
            } else {
                (iv.upper, iv.upper_at_limit) = (off, lim);
            }
        }
        out.push(iv);
    }
    Ok(Scan::Done(out))
}

enum Side {
    /// Distance from the best fit and whether it is the hard limit.
    Bound(f64, bool),
    Lower(Vec<Vec<f64>>),
}

/// The profiled statistic along one side of one parameter.
struct Profile<'a> {
    best: &'a FitResult,
    theta0: &'a [f64],
    k: usize,
    sign: f64,
    target: f64,
    opts: &'a FitOptions,
}

impl Profile<'_> {
    fn addr(&self) -> Addr {
        self.best.free[self.k]
    }

    /// Distance to the hard limit on this side.
    fn room(&self, sess: &Session) -> f64 {
        let a = self.addr();
        let p = &sess.params[a.source][a.index];
        let lim = if self.sign > 0.0 { p.max } else { p.min };
        (lim - self.theta0[self.k]).abs()
    }

    /// The statistic minimised with the parameter held at distance `t` from the best fit.
    fn at(&self, sess: &mut Session, t: f64) -> Result<f64> {
        set(sess, &self.best.free, self.theta0)?;
        let a = self.addr();
        sess.params[a.source][a.index].value = self.theta0[self.k] + self.sign * t;
        let saved = sess.params[a.source][a.index].delta;
        sess.params[a.source][a.index].delta = -saved.abs();
        sess.resolve()?;
        let inner = FitOptions {
            max_iter: self.opts.max_iter.min(200),
            ..self.opts.clone()
        };
        let r = if sess.free().is_empty() {
            sess.statistic_value()
        } else {
            fit(sess, &inner).map(|f| f.statistic)
        };
        sess.params[a.source][a.index].delta = saved;
        r
    }

    fn sigma(&self) -> f64 {
        let c = self.best.covariance[self.k][self.k];
        let scale = self.theta0[self.k].abs().max(1e-30);
        if c.is_finite() && c > 0.0 {
            c.sqrt().max(1e-12 * scale)
        } else {
            1e-3 * scale
        }
    }

    /// Bracket the crossing of the target, then bisect it.
    fn search(&mut self, sess: &mut Session) -> Result<Side> {
        let room = self.room(sess);
        let (mut lo, mut hi) = (0.0, (1.6 * self.sigma()).min(room));
        loop {
            let f = self.at(sess, hi)?;
            if f < self.best.statistic - tolerance(self.opts) {
                return Ok(Side::Lower(snapshot(sess)));
            }
            if f >= self.target {
                break;
            }
            if hi >= room {
                return Ok(Side::Bound(room, true));
            }
            lo = hi;
            hi = (hi * 2.0).min(room);
        }
        let sigma = self.sigma();
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            let f = self.at(sess, mid)?;
            if f < self.best.statistic - tolerance(self.opts) {
                return Ok(Side::Lower(snapshot(sess)));
            }
            if f < self.target {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-3 * sigma {
                break;
            }
        }
        Ok(Side::Bound(0.5 * (lo + hi), false))
    }
}
