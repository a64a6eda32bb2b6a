//! The statistic near the current parameters: its gradient and (Gauss–Newton) curvature
//! with respect to the free parameters, from the derivatives of the predicted counts.

use super::options::FitOptions;
use crate::error::Result;
use crate::spectral::params::Addr;
use crate::spectral::session::Session;

/// The statistic, its gradient and its curvature matrix at one point.
#[derive(Debug, Clone)]
pub struct Local {
    pub stat: f64,
    pub grad: Vec<f64>,
    /// Σ_b (d²S/dM_b²) (dM_b/dθ_i)(dM_b/dθ_j): the exact Hessian when the predicted counts
    /// are linear in the parameters (the nuskybgd model), Gauss–Newton otherwise.
    pub hess: Vec<Vec<f64>>,
}

/// Put `theta` into the free parameters and recompute every link.
pub fn set(sess: &mut Session, free: &[Addr], theta: &[f64]) -> Result<()> {
    for (a, t) in free.iter().zip(theta) {
        sess.params[a.source][a.index].value = *t;
    }
    sess.resolve()
}

/// The statistic at `theta`.
pub fn stat_at(sess: &mut Session, free: &[Addr], theta: &[f64]) -> Result<f64> {
    set(sess, free, theta)?;
    let m = sess.model_counts()?;
    Ok(sess.stat_terms(&m).value)
}

/// XSPEC's derivative scale of a parameter (`ModParam::value('d')`): its own delta, or
/// with `xset delta D` the fraction D of its value. The fitter steps by 1% of it: XSPEC
/// steps by the whole delta, which for a line energy (δ 0.1 keV, width 0.5 keV) biases
/// the derivative by a few per cent and so the point where it vanishes.
pub fn derivative_step(value: f64, delta: f64, opts: &FitOptions) -> f64 {
    let d = match opts.proportional_delta {
        Some(p) if value != 0.0 => (p * value).abs(),
        _ => delta.abs(),
    };
    (0.01 * d).max(1e-10 * value.abs()).max(1e-300)
}

/// How every parameter moves when free parameter `k` moves (d param / d θ_k), by a
/// central difference of the links (exact for the multiples nuskybgd writes).
fn link_rates(
    sess: &mut Session,
    free: &[Addr],
    theta: &[f64],
    k: usize,
    h: f64,
) -> Result<Vec<(Addr, f64)>> {
    let probe = h.max(1e-4 * theta[k].abs());
    let mut t = theta.to_vec();
    t[k] = theta[k] + probe;
    set(sess, free, &t)?;
    let up: Vec<Vec<f64>> = values(sess);
    t[k] = theta[k] - probe;
    set(sess, free, &t)?;
    let down = values(sess);
    set(sess, free, theta)?;
    let mut rates = Vec::new();
    for (si, (u, d)) in up.iter().zip(&down).enumerate() {
        for (i, (a, b)) in u.iter().zip(d).enumerate() {
            if a != b {
                rates.push((Addr::new(si, i), (a - b) / (2.0 * probe)));
            }
        }
    }
    Ok(rates)
}

fn values(sess: &Session) -> Vec<Vec<f64>> {
    sess.params
        .iter()
        .map(|ps| ps.iter().map(|q| q.value).collect())
        .collect()
}

/// dM/dθ_k over the noticed bins: exact for normalisations (and parameters linked only to
/// normalisations), a central difference with XSPEC's step otherwise (one-sided at a limit).
fn model_derivative(
    sess: &mut Session,
    free: &[Addr],
    theta: &[f64],
    k: usize,
    m0: &[f64],
    opts: &FitOptions,
) -> Result<Vec<f64>> {
    let p = &sess.params[free[k].source][free[k].index];
    let h = derivative_step(theta[k], p.delta, opts);
    let (up, down) = (theta[k] + h <= p.max, theta[k] - h >= p.min);
    let rates = link_rates(sess, free, theta, k, h)?;
    if let Some(row) = sess.norm_derivative(&rates)? {
        return Ok(row);
    }
    let mut t = theta.to_vec();
    let mut eval = |sess: &mut Session, v: f64| -> Result<Vec<f64>> {
        t[k] = v;
        set(sess, free, &t)?;
        sess.model_counts()
    };
    let mp = if up {
        eval(sess, theta[k] + h)?
    } else {
        m0.to_vec()
    };
    let mm = if down {
        eval(sess, theta[k] - h)?
    } else {
        m0.to_vec()
    };
    set(sess, free, theta)?;
    let span = h * (up as u8 + down as u8) as f64;
    Ok(mp
        .iter()
        .zip(&mm)
        .map(|(a, b)| if span > 0.0 { (a - b) / span } else { 0.0 })
        .collect())
}

/// The statistic with its gradient and curvature at `theta`.
pub fn local(sess: &mut Session, free: &[Addr], theta: &[f64], opts: &FitOptions) -> Result<Local> {
    set(sess, free, theta)?;
    let m0 = sess.model_counts()?;
    let jac: Vec<Vec<f64>> = (0..free.len())
        .map(|k| model_derivative(sess, free, theta, k, &m0, opts))
        .collect::<Result<_>>()?;
    let terms = sess.stat_terms(&m0);
    let dot = |a: &[f64], b: &[f64], w: &[f64]| -> f64 {
        a.iter().zip(b).zip(w).map(|((x, y), z)| x * y * z).sum()
    };
    let ones = vec![1.0; m0.len()];
    let grad: Vec<f64> = jac.iter().map(|j| dot(j, &terms.grad, &ones)).collect();
    let n = free.len();
    let mut hess = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let v = dot(&jac[i], &jac[j], &terms.curv);
            hess[i][j] = v;
            hess[j][i] = v;
        }
    }
    Ok(Local {
        stat: terms.value,
        grad,
        hess,
    })
}
