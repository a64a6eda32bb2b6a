//! How a fit runs and when it stops: XSPEC's `method leven N crit` and `xset delta`, read
//! from a save file or set by the caller, and the fitter's own convergence test.

use crate::spectral::xcm::file::{Item, XcmFile};

/// Settings of one fit.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Most Levenberg–Marquardt iterations (XSPEC's `method leven N`).
    pub max_iter: usize,
    /// XSPEC's critical delta (`method leven N crit`): the statistic may change by at most
    /// this much over the last iteration for the fit to count as converged.
    pub crit: f64,
    /// The fitter's own test, which one small clipped step cannot fool: the decrease a full
    /// Newton step on the parameters not held at a limit would still bring, relative to
    /// max(1, statistic), must be at most this.
    pub pred_tol: f64,
    /// XSPEC's `xset delta`: when positive, each parameter's derivative step is this
    /// fraction of its value instead of its own delta.
    pub proportional_delta: Option<f64>,
    /// Print one line per iteration on stderr (XSPEC's `chatter` at a high level).
    pub chatter: bool,
}

impl Default for FitOptions {
    /// 1000 iterations, XSPEC's default critical delta 0.01, predicted decrease ≤ 1e-10 of
    /// the statistic (the statistic itself is exact to ~1e-13 relative).
    fn default() -> Self {
        FitOptions {
            max_iter: 1000,
            crit: 0.01,
            pred_tol: 1e-10,
            proportional_delta: None,
            chatter: false,
        }
    }
}

impl FitOptions {
    /// The options a save file sets (`method leven N crit`, `xset delta D`), defaults for
    /// what it does not say.
    pub fn from_xcm(x: &XcmFile) -> FitOptions {
        let mut o = FitOptions::default();
        for it in &x.items {
            let Item::Cmd { name, args, .. } = it else {
                continue;
            };
            let w: Vec<&str> = args.split_whitespace().collect();
            match (name.as_str(), w.as_slice()) {
                ("method", [m, rest @ ..]) if m.starts_with("lev") => {
                    if let Some(n) = rest.first().and_then(|s| s.parse::<f64>().ok()) {
                        if n >= 1.0 {
                            o.max_iter = n.min(1e7) as usize;
                        }
                    }
                    if let Some(c) = rest.get(1).and_then(|s| s.parse::<f64>().ok()) {
                        o.crit = c;
                    }
                }
                ("xset", [k, v, ..]) if k.eq_ignore_ascii_case("delta") => {
                    o.proportional_delta = v.parse::<f64>().ok().filter(|d| *d > 0.0);
                }
                _ => {}
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn reads_method_and_delta() {
        let x = XcmFile::parse(
            Path::new("t.xcm"),
            "statistic cstat\nmethod leven 30000 0.0001\nxset delta 0.01\n",
        )
        .unwrap();
        let o = FitOptions::from_xcm(&x);
        assert_eq!((o.max_iter, o.crit), (30000, 1e-4));
        assert_eq!(o.proportional_delta, Some(0.01));
        let x = XcmFile::parse(Path::new("t.xcm"), "method migrad\nxset delta -1\n").unwrap();
        assert_eq!(FitOptions::from_xcm(&x), FitOptions::default());
    }
}
