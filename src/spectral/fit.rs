//! Levenberg–Marquardt minimisation of the session's statistic over its free parameters
//! (derivatives of the predicted counts exact for normalisations, numerical otherwise; Gauss–Newton/Fisher curvature for chi
//! and cstat), hard limits respected, links re-evaluated at every step; covariance matrix
//! and `error`-style confidence intervals (the Δstat at which the profiled statistic rises).

use crate::error::{Error, Result};
use crate::spectral::params::Addr;
use crate::spectral::session::Session;

/// Result of a fit.
#[derive(Debug, Clone)]
pub struct FitResult {
    pub statistic: f64,
    pub iterations: usize,
    pub converged: bool,
    /// Free parameters, in the order of `covariance`.
    pub free: Vec<Addr>,
    /// Covariance matrix of the free parameters (inverse of half the curvature).
    pub covariance: Vec<Vec<f64>>,
}

fn set(sess: &mut Session, free: &[Addr], theta: &[f64]) -> Result<()> {
    for (a, t) in free.iter().zip(theta) {
        sess.params[a.0][a.1].value = *t;
    }
    sess.resolve()
}

/// Solve A x = b (small dense system, partial pivoting); None when singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if a[p][c].abs() < 1e-300 {
            return None;
        }
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r][k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

fn invert(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut cols = Vec::with_capacity(n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        cols.push(solve(a.to_vec(), e)?);
    }
    Some(
        (0..n)
            .map(|i| (0..n).map(|j| cols[j][i]).collect())
            .collect(),
    )
}

/// Gradient and curvature of the statistic at the current parameters.
fn curvature(
    sess: &mut Session,
    free: &[Addr],
    theta: &[f64],
    _d: &[f64],
    _v: &[f64],
) -> Result<(Vec<f64>, Vec<Vec<f64>>, Vec<f64>)> {
    let m0 = sess.model_counts()?;
    let n = free.len();
    let mut jac: Vec<Vec<f64>> = Vec::with_capacity(n);
    for k in 0..n {
        let p = &sess.params[free[k].0][free[k].1];
        let h = 1e-6 * theta[k].abs().max(1e-3 * p.delta.abs()).max(1e-300);
        let (up, down) = (theta[k] + h <= p.max, theta[k] - h >= p.min);
        // which parameters move with this one (itself and those linked to it), and how fast
        let before: Vec<Vec<f64>> = sess
            .params
            .iter()
            .map(|ps| ps.iter().map(|q| q.value).collect())
            .collect();
        let mut t = theta.to_vec();
        let step = if up { h } else { -h };
        t[k] = theta[k] + step;
        set(sess, free, &t)?;
        let mut rates = Vec::new();
        for (si, ps) in sess.params.iter().enumerate() {
            for (i, q) in ps.iter().enumerate() {
                if q.value != before[si][i] {
                    rates.push(((si, i), (q.value - before[si][i]) / step));
                }
            }
        }
        set(sess, free, theta)?;
        if let Some(row) = sess.norm_derivative(&rates)? {
            jac.push(row);
            continue;
        }
        let mp = if up {
            t[k] = theta[k] + h;
            set(sess, free, &t)?;
            sess.model_counts()?
        } else {
            m0.clone()
        };
        let mm = if down {
            t[k] = theta[k] - h;
            set(sess, free, &t)?;
            sess.model_counts()?
        } else {
            m0.clone()
        };
        let span = h * (up as u8 + down as u8) as f64;
        jac.push(
            mp.iter()
                .zip(&mm)
                .map(|(a, b)| (a - b) / span.max(1e-300))
                .collect(),
        );
        set(sess, free, theta)?;
    }
    let terms = sess.stat_terms(&m0);
    let (dsdm, w) = (terms.grad, terms.curv);
    let nb = m0.len();
    let g: Vec<f64> = (0..n)
        .map(|k| (0..nb).map(|b| dsdm[b] * jac[k][b]).sum())
        .collect();
    let h: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..nb).map(|b| w[b] * jac[i][b] * jac[j][b]).sum())
                .collect()
        })
        .collect();
    Ok((g, h, m0))
}

/// Minimise the statistic. Stops when an accepted step lowers it by less than `tol`
/// (absolute) or after `max_iter` iterations.
pub fn fit(sess: &mut Session, max_iter: usize, tol: f64) -> Result<FitResult> {
    let free = sess.free();
    if free.is_empty() {
        return Err(Error::msg("no free parameters to fit"));
    }
    if sess.data.is_empty() {
        return Err(Error::msg("no spectra loaded: nothing to fit"));
    }
    sess.check_statistic()?;
    let (d, v) = sess.data_counts();
    if d.is_empty() {
        return Err(Error::msg("no noticed bins: nothing to fit"));
    }
    let mut theta: Vec<f64> = free.iter().map(|a| sess.params[a.0][a.1].value).collect();
    set(sess, &free, &theta)?;
    let mut s0 = sess.stat_of(&d, &sess.model_counts()?, &v);
    let mut lambda = 1e-3;
    let mut converged = false;
    let mut it = 0;
    let mut h = Vec::new();
    while it < max_iter {
        it += 1;
        let (g, hh, _) = curvature(sess, &free, &theta, &d, &v)?;
        h = hh;
        let mut accepted = false;
        while lambda < 1e12 {
            let a: Vec<Vec<f64>> = (0..free.len())
                .map(|i| {
                    (0..free.len())
                        .map(|j| {
                            if i == j {
                                h[i][j] * (1.0 + lambda) + 1e-300
                            } else {
                                h[i][j]
                            }
                        })
                        .collect()
                })
                .collect();
            let Some(step) = solve(a, g.iter().map(|x| -x).collect()) else {
                lambda *= 10.0;
                continue;
            };
            let trial: Vec<f64> = theta
                .iter()
                .zip(&step)
                .zip(&free)
                .map(|((t, s), ad)| {
                    let p = &sess.params[ad.0][ad.1];
                    (t + s).clamp(p.min, p.max)
                })
                .collect();
            set(sess, &free, &trial)?;
            let s1 = sess.stat_of(&d, &sess.model_counts()?, &v);
            if s1.is_finite() && s1 <= s0 {
                let gain = s0 - s1;
                theta = trial;
                s0 = s1;
                lambda = (lambda / 10.0).max(1e-12);
                accepted = true;
                if gain < tol {
                    converged = true;
                }
                break;
            }
            lambda *= 10.0;
        }
        set(sess, &free, &theta)?;
        if !accepted {
            // no step lowers the statistic: at the minimum to numerical precision
            converged = true;
        }
        if converged {
            break;
        }
    }
    let (_, hh, _) = curvature(sess, &free, &theta, &d, &v)?;
    if !hh.is_empty() {
        h = hh;
    }
    let half: Vec<Vec<f64>> = h
        .iter()
        .map(|r| r.iter().map(|x| x / 2.0).collect())
        .collect();
    let covariance = invert(&half).unwrap_or_else(|| vec![vec![f64::NAN; free.len()]; free.len()]);
    Ok(FitResult {
        statistic: s0,
        iterations: it,
        converged,
        free,
        covariance,
    })
}

/// Confidence interval of each free parameter: the values below and above the best fit at
/// which the statistic, minimised over the other free parameters, exceeds the minimum by
/// `delta_stat` (2.706: 90% for one parameter). Returns (lower, upper) offsets.
pub fn errors(sess: &mut Session, best: &FitResult, delta_stat: f64) -> Result<Vec<(f64, f64)>> {
    let target = best.statistic + delta_stat;
    let theta0: Vec<f64> = best
        .free
        .iter()
        .map(|a| sess.params[a.0][a.1].value)
        .collect();
    let mut out = Vec::new();
    for (k, a) in best.free.iter().enumerate() {
        let sigma = best.covariance[k][k]
            .abs()
            .sqrt()
            .max(1e-12 * theta0[k].abs().max(1e-30));
        let mut bounds = [0.0f64; 2];
        for (side, sign) in [(0, -1.0), (1, 1.0)] {
            let profile = |sess: &mut Session, t: f64| -> Result<f64> {
                set(sess, &best.free, &theta0)?;
                let p = &mut sess.params[a.0][a.1];
                let lim = if sign > 0.0 { p.max } else { p.min };
                p.value = if sign > 0.0 {
                    (theta0[k] + t).min(lim)
                } else {
                    (theta0[k] - t).max(lim)
                };
                let saved = p.delta;
                p.delta = -saved.abs();
                sess.resolve()?;
                let r = if sess.free().is_empty() {
                    sess.statistic_value()
                } else {
                    fit(sess, 200, 1e-6).map(|f| f.statistic)
                };
                sess.params[a.0][a.1].delta = saved;
                r
            };
            // bracket
            let (mut lo, mut hi) = (0.0, 1.6 * sigma);
            let mut f_hi = profile(sess, hi)? - target;
            let mut n = 0;
            while f_hi < 0.0 && n < 30 {
                lo = hi;
                hi *= 2.0;
                f_hi = profile(sess, hi)? - target;
                n += 1;
            }
            // bisection on the profiled statistic
            for _ in 0..40 {
                let mid = 0.5 * (lo + hi);
                if profile(sess, mid)? - target < 0.0 {
                    lo = mid;
                } else {
                    hi = mid;
                }
                if hi - lo < 1e-3 * sigma {
                    break;
                }
            }
            bounds[side] = sign * 0.5 * (lo + hi);
        }
        out.push((bounds[0], bounds[1]));
        set(sess, &best.free, &theta0)?;
    }
    set(sess, &best.free, &theta0)?;
    Ok(out)
}
