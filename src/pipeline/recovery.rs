//! How well a fit recovered a known background: each free normalisation of the background
//! sources (2 apbgd, 3 intbgd, 4 fcxb, 5 intn) next to its true value and its 1σ error
//! from the fit's covariance, for simulated observations where the truth is known.

use crate::spectral::fit::FitResult;
use crate::spectral::params::Addr;
use crate::spectral::session::Session;

/// True normalisations of the background sources for one region (the values a perfect
/// fit would give for that region's spectrum, in the model's own units).
#[derive(Debug, Clone, PartialEq)]
pub struct TrueNorms {
    /// apbgd cutoffpl norm.
    pub apbgd: f64,
    /// intbgd apec norm.
    pub apec: f64,
    /// intbgd lorentz norms, lines 1..29 in the presets' order.
    pub lines: Vec<f64>,
    /// fcxb cutoffpl norm.
    pub fcxb: f64,
    /// intn bknpower norm.
    pub intn: f64,
}

/// One free parameter compared with its truth.
#[derive(Debug, Clone)]
pub struct Recovered {
    /// Spectrum (= data group), 1-based.
    pub spectrum: usize,
    /// Source name and parameter, e.g. `apbgd norm`, `intbgd line 4 norm`.
    pub what: String,
    pub truth: f64,
    pub fitted: f64,
    /// 1σ from the covariance matrix.
    pub sigma: f64,
    /// The parameter in the session (source index, 0-based parameter index).
    pub addr: Addr,
}

impl Recovered {
    /// (fitted − truth) / σ.
    pub fn pull(&self) -> f64 {
        (self.fitted - self.truth) / self.sigma
    }
}

/// The truth of parameter `k` (1-based within its data group) of a background source,
/// or None when it is not a normalisation.
fn truth_of(source: &str, k: usize, t: &TrueNorms) -> Option<(String, f64)> {
    match (source, k) {
        ("apbgd", 3) => Some(("apbgd norm".into(), t.apbgd)),
        ("fcxb", 3) => Some(("fcxb norm".into(), t.fcxb)),
        ("intn", 4) => Some(("intn norm".into(), t.intn)),
        ("intbgd", 4) => Some(("intbgd apec norm".into(), t.apec)),
        ("intbgd", k) if k >= 7 && (k - 7) % 3 == 0 => {
            let c = (k - 7) / 3;
            t.lines
                .get(c)
                .map(|v| (format!("intbgd line {} norm", c + 1), *v))
        }
        _ => None,
    }
}

/// Every free normalisation of the background sources of a fitted session, with the
/// truth of its spectrum (`truth(s)` for 0-based spectrum s).
pub fn recovered(
    sess: &Session,
    fit: &FitResult,
    truth: &dyn Fn(usize) -> TrueNorms,
) -> Vec<Recovered> {
    let mut out = Vec::new();
    for (
        i,
        &Addr {
            source: s,
            index: gi,
        },
    ) in fit.free.iter().enumerate()
    {
        let src = &sess.sources[s];
        let (Some(name), Some(p)) = (src.name.as_deref(), src.per_group) else {
            continue;
        };
        if p == 0 {
            continue;
        }
        let (g, k) = (gi / p, gi % p + 1);
        let Some((what, t)) = truth_of(name, k, &truth(g)) else {
            continue;
        };
        out.push(Recovered {
            spectrum: g + 1,
            what,
            truth: t,
            fitted: sess.params[s][gi].value,
            sigma: fit.covariance[i][i].max(0.0).sqrt(),
            addr: Addr::new(s, gi),
        });
    }
    out
}

/// Fractions of rows whose truth lies within 1σ and within 2σ of the fitted value.
pub fn coverage(rows: &[Recovered]) -> (f64, f64) {
    if rows.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = rows.len() as f64;
    let within = |z: f64| rows.iter().filter(|r| r.pull().abs() <= z).count() as f64 / n;
    (within(1.0), within(2.0))
}

/// A readable table of the rows.
pub fn table(rows: &[Recovered]) -> String {
    let mut s = format!(
        "{:>4}  {:<22}{:>13}{:>13}{:>12}{:>8}\n",
        "spec", "parameter", "truth", "fitted", "sigma", "pull"
    );
    for r in rows {
        s += &format!(
            "{:>4}  {:<22}{:>13.5e}{:>13.5e}{:>12.3e}{:>8.2}\n",
            r.spectrum,
            r.what,
            r.truth,
            r.fitted,
            r.sigma,
            r.pull()
        );
    }
    s
}
