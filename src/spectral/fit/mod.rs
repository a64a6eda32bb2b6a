//! Minimisation of a session's statistic over its free parameters: Levenberg–Marquardt
//! with an active set for the hard limits, XSPEC's convergence rule beside a
//! predicted-decrease test, the covariance matrix, and `error`-style confidence intervals.
//!
//! Why an active set: a parameter held at a hard limit by a gradient pointing outward must
//! leave the step, or every clipped step is throttled by it and the fit stalls short of the
//! minimum while each step gains little (the old fitter's failure). Each iteration drops
//! such parameters from the Newton/Marquardt system, solves for the others, and lets a
//! parameter back in as soon as its gradient turns inward. When every free parameter is a
//! normalisation of a plain sum the derivatives are exact and the curvature (2S/M² for
//! cstat) is the exact Hessian, so the steps are Newton steps and the bounded minimum is
//! reached to machine precision in a few iterations.

mod errors;
mod linalg;
mod local;
mod options;

pub use errors::{errors, ErrorReport, Interval};
pub use linalg::solve;
pub use local::derivative_step;
pub use options::FitOptions;

use crate::error::{Error, Result, SpectralError};
use crate::spectral::params::Addr;
use crate::spectral::session::Session;
use linalg::{invert_spd, solve_psd_pivoted, solve_spd, sub_matrix};
use local::{local, set, stat_at, Local};

/// Which hard limit a parameter is held at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Lower,
    Upper,
}

impl Limit {
    /// "lower" or "upper".
    pub fn name(&self) -> &'static str {
        match self {
            Limit::Lower => "lower",
            Limit::Upper => "upper",
        }
    }
}

/// Why the fit stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Both tests hold: the predicted decrease is within `pred_tol` of the statistic and
    /// the last iteration changed the statistic by at most XSPEC's critical delta.
    Converged,
    /// No step, however short, lowers the statistic, and the predicted decrease is below
    /// XSPEC's critical delta: the minimum to the precision of the statistic.
    NoFurtherDecrease,
    /// No step lowers the statistic although the Newton model says it could fall by more
    /// than the critical delta (derivatives too inaccurate, or a discontinuous model).
    Stalled,
    /// The iteration limit was reached first.
    MaxIterations,
}

impl Stop {
    /// Whether the result is a minimum.
    pub fn converged(&self) -> bool {
        matches!(self, Stop::Converged | Stop::NoFurtherDecrease)
    }
}

/// Result of a fit.
#[derive(Debug, Clone)]
pub struct FitResult {
    pub statistic: f64,
    pub iterations: usize,
    pub converged: bool,
    pub stop: Stop,
    /// Decrease a full Newton step would still bring at the end.
    pub predicted_decrease: f64,
    /// Change of the statistic over the last accepted iteration.
    pub last_change: f64,
    /// Free parameters, in the order of `covariance`.
    pub free: Vec<Addr>,
    /// Per free parameter: the hard limit it is held at by the gradient, if any.
    pub at_limit: Vec<Option<Limit>>,
    /// Covariance matrix of the free parameters: the inverse of half the curvature, over
    /// every parameter that affects the statistic (those at a limit included), or over
    /// those not at a limit when that is singular; NaN where a parameter is left out.
    pub covariance: Vec<Vec<f64>>,
}

impl FitResult {
    /// One line saying how the fit ended, for the user.
    pub fn summary(&self, opts: &FitOptions) -> String {
        let how = match self.stop {
            Stop::Converged => format!(
                "converged: predicted decrease {:.2e} <= {:.0e} x statistic and last change {:.2e} <= critical delta {}",
                self.predicted_decrease, opts.pred_tol, self.last_change, opts.crit
            ),
            Stop::NoFurtherDecrease => format!(
                "converged: no step lowers the statistic; predicted decrease {:.2e} <= critical delta {}",
                self.predicted_decrease, opts.crit
            ),
            Stop::Stalled => format!(
                "NOT converged: no step lowers the statistic, but the predicted decrease is {:.2e}",
                self.predicted_decrease
            ),
            Stop::MaxIterations => format!(
                "NOT converged: iteration limit {} reached; predicted decrease {:.2e}, last change {:.2e}",
                opts.max_iter, self.predicted_decrease, self.last_change
            ),
        };
        format!("{how}; {} iterations", self.iterations)
    }

    /// The limit free parameter `a` is held at, if any.
    pub fn limit_of(&self, a: Addr) -> Option<Limit> {
        let k = self.free.iter().position(|f| *f == a)?;
        self.at_limit[k]
    }
}

/// Parameters the step leaves out: held at a hard limit by an outward gradient, or without
/// any effect on the statistic (a component whose norm is 0, as XSPEC freezes them).
fn held(sess: &Session, free: &[Addr], theta: &[f64], l: &Local) -> Vec<Option<Limit>> {
    (0..free.len())
        .map(|k| {
            let p = &sess.params[free[k].source][free[k].index];
            let g = l.grad[k];
            if theta[k] <= p.min && g > 0.0 {
                Some(Limit::Lower)
            } else if theta[k] >= p.max && g < 0.0 {
                Some(Limit::Upper)
            } else {
                None
            }
        })
        .collect()
}

fn insensitive(l: &Local, k: usize) -> bool {
    l.grad[k] == 0.0 && l.hess[k][k] == 0.0
}

/// The parameters that move in this iteration.
fn moving(l: &Local, held: &[Option<Limit>]) -> Vec<usize> {
    (0..held.len())
        .filter(|&k| held[k].is_none() && !insensitive(l, k))
        .collect()
}

/// The decrease a full Newton step over `mv` would bring: ½ gᵀH⁺g over the directions
/// the curvature determines (infinite when the gradient has a part outside them).
fn predicted_decrease(l: &Local, mv: &[usize]) -> f64 {
    let g: Vec<f64> = mv.iter().map(|&k| l.grad[k]).collect();
    if g.iter().all(|x| *x == 0.0) {
        return 0.0;
    }
    let h = sub_matrix(&l.hess, mv);
    let x = solve_psd_pivoted(&h, &g, 1e-12);
    // a gradient outside the curvature's range (a direction with slope but no
    // curvature) has no Newton step: the decrease is unbounded
    let gmax = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let off = h.iter().zip(&g).any(|(row, gi)| {
        let hx: f64 = row.iter().zip(&x).map(|(a, b)| a * b).sum();
        (hx - gi).abs() > 1e-6 * gmax
    });
    if off {
        return f64::INFINITY;
    }
    0.5 * x.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>().max(0.0)
}

/// A Marquardt step over `mv` with damping `lambda`, clipped to the hard limits.
fn damped_trial(
    sess: &Session,
    free: &[Addr],
    theta: &[f64],
    l: &Local,
    mv: &[usize],
    lambda: f64,
) -> Option<Vec<f64>> {
    let scale = l.stat.abs().max(1.0);
    let mut a = sub_matrix(&l.hess, mv);
    for (i, &k) in mv.iter().enumerate() {
        // a parameter seen only by empty bins has no curvature: damp it by g²/S instead
        let d = l.hess[k][k].max(l.grad[k] * l.grad[k] / scale);
        a[i][i] += lambda * d;
    }
    let g: Vec<f64> = mv.iter().map(|&k| -l.grad[k]).collect();
    let step = solve_spd(&a, &g)?;
    let mut t = theta.to_vec();
    for (i, &k) in mv.iter().enumerate() {
        let p = &sess.params[free[k].source][free[k].index];
        t[k] = (theta[k] + step[i]).clamp(p.min, p.max);
    }
    Some(t)
}

/// Along a narrow curved valley a damped step is short and always in about the same
/// direction: try it two, four, … times as long while that keeps lowering the statistic.
fn extrapolate(
    sess: &mut Session,
    free: &[Addr],
    from: &[f64],
    mut best: Vec<f64>,
    mut s_best: f64,
) -> Result<(Vec<f64>, f64)> {
    let step: Vec<f64> = best.iter().zip(from).map(|(b, f)| b - f).collect();
    for k in 1..=10 {
        let f = (1u32 << k) as f64;
        let t: Vec<f64> = (0..from.len())
            .map(|i| {
                let p = &sess.params[free[i].source][free[i].index];
                (from[i] + f * step[i]).clamp(p.min, p.max)
            })
            .collect();
        let s = stat_at(sess, free, &t)?;
        if !(s < s_best) {
            break;
        }
        (best, s_best) = (t, s);
    }
    Ok((best, s_best))
}

/// One line per iteration on stderr (`chatter`).
fn trace(it: usize, stat: f64, pred: f64, lambda: f64, hold: &[Option<Limit>], theta: &[f64]) {
    let held: Vec<String> = hold
        .iter()
        .enumerate()
        .filter_map(|(k, h)| h.map(|l| format!("{}({})", k + 1, l.name())))
        .collect();
    crate::errln!(
        "fit: iteration {it}: statistic {stat:.10} predicted decrease {pred:.3e} lambda {lambda:.0e} held [{}] values {theta:?}",
        held.join(" ")
    );
}

/// Checks before fitting; the free parameters.
fn fittable(sess: &Session) -> Result<Vec<Addr>> {
    let free = sess.free();
    if free.is_empty() {
        return Err(Error::from(SpectralError::NothingToFit {
            what: ("no free parameters to fit").into(),
        }));
    }
    if sess.data.is_empty() {
        return Err(Error::from(SpectralError::NothingToFit {
            what: ("no spectra loaded: nothing to fit").into(),
        }));
    }
    sess.check_statistic()?;
    if sess.n_bins() == 0 {
        return Err(Error::from(SpectralError::NothingToFit {
            what: ("no noticed bins: nothing to fit").into(),
        }));
    }
    Ok(free)
}

/// Minimise the statistic from the session's current values.
pub fn fit(sess: &mut Session, opts: &FitOptions) -> Result<FitResult> {
    let free = fittable(sess)?;
    let mut theta: Vec<f64> = free
        .iter()
        .map(|a| sess.params[a.source][a.index].value)
        .collect();
    let mut s0 = stat_at(sess, &free, &theta)?;
    if !s0.is_finite() {
        return Err(Error::from(SpectralError::BadStartStatistic { value: s0 }));
    }
    let (mut lambda, mut last_change, mut pred) = (1e-3, f64::INFINITY, f64::INFINITY);
    let mut stop = Stop::MaxIterations;
    let mut it = 0;
    while it < opts.max_iter {
        let l = local(sess, &free, &theta, opts)?;
        let hold = held(sess, &free, &theta, &l);
        let mv = moving(&l, &hold);
        pred = predicted_decrease(&l, &mv);
        if opts.chatter {
            trace(it, s0, pred, lambda, &hold, &theta);
        }
        if pred <= opts.pred_tol * s0.abs().max(1.0) && last_change <= opts.crit {
            stop = Stop::Converged;
            break;
        }
        it += 1;
        let mut accepted = false;
        while lambda < 1e16 {
            let trial = damped_trial(sess, &free, &theta, &l, &mv, lambda);
            if let Some(t) = trial {
                let s1 = stat_at(sess, &free, &t)?;
                if s1.is_finite() && s1 < s0 {
                    let (t, s1) = if lambda >= 1e-2 {
                        extrapolate(sess, &free, &theta, t, s1)?
                    } else {
                        (t, s1)
                    };
                    (last_change, s0, theta) = (s0 - s1, s1, t);
                    lambda = (lambda / 10.0).max(1e-15);
                    accepted = true;
                    break;
                }
            }
            lambda *= 10.0;
        }
        if !accepted {
            stop = if pred <= opts.crit {
                Stop::NoFurtherDecrease
            } else {
                Stop::Stalled
            };
            break;
        }
    }
    set(sess, &free, &theta)?;
    finish(sess, free, theta, s0, it, stop, pred, last_change, opts)
}

/// The covariance and limit flags at the end point.
#[allow(clippy::too_many_arguments)]
fn finish(
    sess: &mut Session,
    free: Vec<Addr>,
    theta: Vec<f64>,
    statistic: f64,
    iterations: usize,
    stop: Stop,
    pred: f64,
    last_change: f64,
    opts: &FitOptions,
) -> Result<FitResult> {
    let l = local(sess, &free, &theta, opts)?;
    set(sess, &free, &theta)?;
    let at_limit = held(sess, &free, &theta, &l);
    let n = free.len();
    // the curvature over every sensitive parameter, those at a limit included (their σ
    // says how well the data hold them there); without them when that is singular
    let sensitive: Vec<usize> = (0..n).filter(|&k| !insensitive(&l, k)).collect();
    let mut covariance = vec![vec![f64::NAN; n]; n];
    for keep in [sensitive, moving(&l, &at_limit)] {
        let half: Vec<Vec<f64>> = sub_matrix(&l.hess, &keep)
            .iter()
            .map(|r| r.iter().map(|x| x / 2.0).collect())
            .collect();
        if let Some(c) = invert_spd(&half) {
            for (i, &a) in keep.iter().enumerate() {
                for (j, &b) in keep.iter().enumerate() {
                    covariance[a][b] = c[i][j];
                }
            }
            break;
        }
    }
    Ok(FitResult {
        statistic,
        iterations,
        converged: stop.converged(),
        stop,
        predicted_decrease: pred,
        last_change,
        free,
        at_limit,
        covariance,
    })
}
