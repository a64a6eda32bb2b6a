//! Fit statistics as XSPEC computes them, in counts per grouped bin.

/// The fit statistic of a session, as named by XSPEC's `statistic` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// χ² with standard (data) weighting.
    Chi,
    /// Cash's C-statistic (`cstat`; XSPEC's older name `cash` is read as this). On a
    /// spectrum with a background it is XSPEC's W-statistic: Poisson source and Poisson
    /// background, the background's level profiled out bin by bin.
    Cstat,
    /// XSPEC's `pgstat`: Poisson source, Gaussian background (σ from the background's
    /// STAT_ERR, or √counts), the background's level profiled out; plain `cstat` on a
    /// spectrum without a background.
    Pgstat,
}

impl Statistic {
    /// The statistic named `s` (case-insensitive, XSPEC's abbreviations allowed); None for
    /// a statistic the engine does not have.
    pub fn parse(s: &str) -> Option<Statistic> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("cstat") || s.starts_with("cash") {
            Some(Statistic::Cstat)
        } else if s.starts_with("pg") {
            Some(Statistic::Pgstat)
        } else if s.starts_with("chi") {
            Some(Statistic::Chi)
        } else {
            None
        }
    }

    /// The name XSPEC writes in a save file.
    pub fn name(&self) -> &'static str {
        match self {
            Statistic::Chi => "chi",
            Statistic::Cstat => "cstat",
            Statistic::Pgstat => "pgstat",
        }
    }
}

impl std::fmt::Display for Statistic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The statistic of a set of bins and its first two derivatives with respect to each bin's
/// predicted counts (what a Newton or Levenberg–Marquardt step needs).
#[derive(Debug, Clone, Default)]
pub struct StatTerms {
    /// The statistic.
    pub value: f64,
    /// dS/dM per bin.
    pub grad: Vec<f64>,
    /// d²S/dM² per bin (≥ 0).
    pub curv: Vec<f64>,
}

/// [`StatTerms`] of `chi` (see there for the variance rule).
pub fn chi_terms(data: &[f64], model: &[f64], variance: &[f64]) -> StatTerms {
    let mut t = StatTerms::default();
    for ((d, m), v) in data.iter().zip(model).zip(variance) {
        let v = if *v > 0.0 { *v } else { 1.0 };
        t.value += (d - m) * (d - m) / v;
        t.grad.push(-2.0 * (d - m) / v);
        t.curv.push(2.0 / v);
    }
    t
}

/// [`StatTerms`] of `cstat` (see there for the floor); the curvature is the exact one,
/// 2S/M², so that a fit linear in its parameters takes exact Newton steps.
pub fn cstat_terms(data: &[f64], model: &[f64], floor: &[f64]) -> StatTerms {
    let mut t = StatTerms::default();
    for ((s, m), f) in data.iter().zip(model).zip(floor) {
        let m = m.max(*f);
        t.value += 2.0
            * if *s > 0.0 {
                m + s * (s.ln() - m.ln() - 1.0)
            } else {
                m
            };
        t.grad.push(2.0 * (1.0 - s / m));
        t.curv.push(2.0 * s.max(0.0) / (m * m));
    }
    t
}

/// XSPEC's `chi` with standard weighting: Σ (D − M)²/σ², σ² = the bin's counts (Poisson)
/// or its squared STAT_ERR, replaced by 1 count² where it is 0.
pub fn chi(data: &[f64], model: &[f64], variance: &[f64]) -> f64 {
    data.iter()
        .zip(model)
        .zip(variance)
        .map(|((d, m), v)| {
            let v = if *v > 0.0 { *v } else { 1.0 };
            (d - m) * (d - m) / v
        })
        .sum()
}

/// XSPEC's `cstat`: 2 Σ [M + S(ln S − ln M − 1)] (S = 0 gives 2M), with the model floored
/// at 1e-5 counts·(area scaling) so that log terms stay finite.
pub fn cstat(data: &[f64], model: &[f64], floor: &[f64]) -> f64 {
    2.0 * data
        .iter()
        .zip(model)
        .zip(floor)
        .map(|((s, m), f)| {
            let m = m.max(*f);
            if *s > 0.0 {
                m + s * (s.ln() - m.ln() - 1.0)
            } else {
                m
            }
        })
        .sum::<f64>()
}

/// Smallest predicted source counts the Poisson statistics take in a bin (XSPEC's FLOOR, in
/// counts): keeps ln M finite where a model predicts nothing.
pub const MODEL_FLOOR: f64 = 1e-5;

/// The background measured for one noticed bin, in its own region and exposure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackgroundBin {
    /// Counts in the background spectrum (summed over the bin's channels).
    pub counts: f64,
    /// Their variance: STAT_ERR² summed, or the counts when Poisson (pgstat's σ²).
    pub variance: f64,
    /// t_b/t_s: the background's EXPOSURE·AREASCAL·BACKSCAL over the source's, i.e. how
    /// many times more background the background spectrum collects than the source one.
    pub ratio: f64,
}

/// The observed side of one noticed bin for the Poisson statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonBin {
    /// Counts in the source spectrum (background not subtracted).
    pub counts: f64,
    /// The bin's background, when the spectrum has one (W-stat or pgstat then).
    pub background: Option<BackgroundBin>,
}

/// One bin's statistic and its first two derivatives with respect to the bin's predicted
/// source counts M.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinTerms {
    /// The bin's contribution to the statistic.
    pub value: f64,
    /// dS/dM.
    pub grad: f64,
    /// d²S/dM² (≥ 0).
    pub curv: f64,
}

/// Cash's 2[M + S(ln S − ln M − 1)] (2M for S = 0) for source counts `s` and predicted
/// counts `m` (floored at [`MODEL_FLOOR`]).
pub fn cash_bin(s: f64, m: f64) -> BinTerms {
    let m = m.max(MODEL_FLOOR);
    let s = s.max(0.0);
    let value = if s > 0.0 {
        m + s * (s.ln() - m.ln() - 1.0)
    } else {
        m
    };
    BinTerms {
        value: 2.0 * value,
        grad: 2.0 * (1.0 - s / m),
        curv: 2.0 * s / (m * m),
    }
}

/// Larger root of a·x² + b·x + c = 0 (a > 0, real roots), computed without cancellation:
/// the profiled background level is always that root.
fn larger_root(a: f64, b: f64, c: f64) -> f64 {
    let d = (b * b - 4.0 * a * c).max(0.0).sqrt();
    if b >= 0.0 {
        -2.0 * c / (b + d)
    } else {
        (d - b) / (2.0 * a)
    }
}

/// XSPEC's W-statistic in one bin: source counts `s` ~ Poisson(M + u), background counts
/// `b` ~ Poisson(α·u) with α = t_b/t_s = `ratio`, and u (the background counts expected in
/// the source spectrum) set to its maximum-likelihood value for the given M. Twice the
/// negative log-likelihood ratio against the saturated model, as XSPEC's cstat reports it.
pub fn wstat_bin(s: f64, b: f64, ratio: f64, m: f64) -> BinTerms {
    let m = m.max(MODEL_FLOOR);
    let t = 1.0 + ratio;
    if s == 0.0 {
        // u = b/(1+α): the source spectrum only constrains M through its 0 counts
        return BinTerms {
            value: 2.0 * (m - b * (ratio / t).ln()),
            grad: 2.0,
            curv: 0.0,
        };
    }
    if b == 0.0 {
        return wstat_no_background_counts(s, ratio, m);
    }
    // d/du of the log-likelihood vanishes: (1+α)u² + ((1+α)M − S − B)u − BM = 0
    let u = larger_root(t, t * m - s - b, -b * m);
    let value =
        m + t * u + s * (s.ln() - (m + u).ln() - 1.0) + b * (b.ln() - (ratio * u).ln() - 1.0);
    BinTerms {
        value: 2.0 * value,
        // envelope theorem: ∂/∂M at the profiled u
        grad: 2.0 * (1.0 - s / (m + u)),
        // d/dM of the gradient, u moving with M (implicit differentiation)
        curv: 2.0 / ((m + u) * (m + u) / s + u * u / b),
    }
}

/// W-stat where the background spectrum has 0 counts but the source does not: the
/// profiled u is S/(1+α) − M while that is positive (the model falls short of the data
/// and the background makes up the rest), 0 beyond, where W-stat is Cash.
fn wstat_no_background_counts(s: f64, ratio: f64, m: f64) -> BinTerms {
    let t = 1.0 + ratio;
    if m <= s / t {
        BinTerms {
            value: 2.0 * (s * t.ln() - ratio * m),
            grad: -2.0 * ratio,
            curv: 0.0,
        }
    } else {
        cash_bin(s, m)
    }
}

/// XSPEC's pgstat in one bin: source counts `s` ~ Poisson(M + u), background counts `b`
/// ~ Gaussian(α·u, σ² = `variance`) with α = `ratio`, u profiled out (it may be negative, a
/// Gaussian background allowing that). σ² = 0 takes the background as exact.
pub fn pgstat_bin(s: f64, b: f64, variance: f64, ratio: f64, m: f64) -> BinTerms {
    if variance == 0.0 {
        // no background uncertainty: Cash on the model plus the scaled background
        return cash_bin(s, m + b / ratio);
    }
    let m = m.max(MODEL_FLOOR);
    if s == 0.0 {
        // u = B/α − σ²/α², as XSPEC's S = 0 branch takes it
        return BinTerms {
            value: 2.0 * (m + b / ratio - 0.5 * variance / (ratio * ratio)),
            grad: 2.0,
            curv: 0.0,
        };
    }
    let a2 = ratio * ratio;
    // d/du = 0: α²u² + (σ² − αB + α²M)u + (σ²M − Sσ² − αBM) = 0
    let u = larger_root(
        a2,
        variance - ratio * b + a2 * m,
        variance * m - s * variance - ratio * b * m,
    );
    let r = b - ratio * u;
    let value = m + u + s * (s.ln() - (m + u).ln() - 1.0) + 0.5 * r * r / variance;
    BinTerms {
        value: 2.0 * value,
        grad: 2.0 * (1.0 - s / (m + u)),
        curv: 2.0 / ((m + u) * (m + u) / s + variance / a2),
    }
}

/// One bin of a Poisson statistic (`cstat` or `pgstat`): Cash without a background,
/// W-stat (cstat) or pgstat with one.
pub fn poisson_bin(stat: Statistic, bin: &PoissonBin, m: f64) -> BinTerms {
    match (bin.background, stat) {
        (None, _) | (Some(_), Statistic::Chi) => cash_bin(bin.counts, m),
        (Some(bg), Statistic::Cstat) => wstat_bin(bin.counts, bg.counts, bg.ratio, m),
        (Some(bg), Statistic::Pgstat) => {
            pgstat_bin(bin.counts, bg.counts, bg.variance, bg.ratio, m)
        }
    }
}

/// [`StatTerms`] of a Poisson statistic over noticed bins `bins` at predicted source
/// counts `model` (see [`poisson_bin`]).
pub fn poisson_terms(stat: Statistic, bins: &[PoissonBin], model: &[f64]) -> StatTerms {
    let mut t = StatTerms::default();
    for (bin, m) in bins.iter().zip(model) {
        let b = poisson_bin(stat, bin, *m);
        t.value += b.value;
        t.grad.push(b.grad);
        t.curv.push(b.curv);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `f`'s gradient against central differences of its value and its curvature
    /// against central differences of its gradient, at `m`.
    fn check_derivatives(f: impl Fn(f64) -> BinTerms, m: f64, what: &str) {
        let h = 1e-4 * m;
        let (lo, mid, hi) = (f(m - h), f(m), f(m + h));
        let grad = (hi.value - lo.value) / (2.0 * h);
        let curv = (hi.grad - lo.grad) / (2.0 * h);
        let scale = mid.grad.abs().max(1e-3);
        assert!(
            (grad - mid.grad).abs() <= 1e-6 * scale,
            "{what}: grad {} vs {grad}",
            mid.grad
        );
        let cs = mid.curv.abs().max(1e-6);
        assert!(
            (curv - mid.curv).abs() <= 1e-5 * cs,
            "{what}: curv {} vs {curv}",
            mid.curv
        );
        assert!(mid.curv >= 0.0, "{what}");
    }

    #[test]
    fn wstat_derivatives_are_exact() {
        for (s, b, ratio) in [
            (7.0, 3.0, 4.0),
            (1.0, 1.0, 0.1),
            (250.0, 40.0, 2.5),
            (3.0, 120.0, 30.0),
        ] {
            for m in [0.01, 0.3, 2.0, 9.0, 400.0] {
                check_derivatives(
                    |m| wstat_bin(s, b, ratio, m),
                    m,
                    &format!("W {s} {b} {ratio} {m}"),
                );
            }
        }
        // the zero-count branches (away from the B = 0 kink at M = S/(1+α))
        for m in [0.01, 0.5, 3.0, 50.0] {
            check_derivatives(|m| wstat_bin(0.0, 5.0, 3.0, m), m, "S = 0");
            check_derivatives(|m| wstat_bin(0.0, 0.0, 3.0, m), m, "S = B = 0");
            check_derivatives(|m| wstat_bin(8.0, 0.0, 3.0, m), m, "B = 0");
        }
    }

    #[test]
    fn pgstat_derivatives_are_exact() {
        for (s, b, var, ratio) in [
            (7.0, 3.0, 3.0, 4.0),
            (2.0, 9.0, 20.0, 0.5),
            (300.0, 50.0, 50.0, 1.0),
        ] {
            for m in [0.01, 0.3, 2.0, 9.0, 400.0] {
                check_derivatives(
                    |m| pgstat_bin(s, b, var, ratio, m),
                    m,
                    &format!("PG {s} {b} {m}"),
                );
            }
        }
        for m in [0.01, 0.5, 3.0, 50.0] {
            check_derivatives(|m| pgstat_bin(0.0, 5.0, 5.0, 3.0, m), m, "S = 0");
            check_derivatives(|m| pgstat_bin(6.0, 0.0, 0.0, 3.0, m), m, "σ = 0");
        }
    }

    /// The W-stat of one bin minimised over u by brute force (golden section), to check the
    /// closed-form profile.
    fn wstat_brute(s: f64, b: f64, ratio: f64, m: f64) -> f64 {
        let nll = |u: f64| {
            let mut v = m + (1.0 + ratio) * u;
            if s > 0.0 {
                v += s * (s.ln() - (m + u).ln() - 1.0);
            }
            if b > 0.0 {
                v += b * (b.ln() - (ratio * u).ln() - 1.0);
            }
            2.0 * v
        };
        let (mut lo, mut hi) = (0.0, 10.0 * (s + b + 1.0));
        for _ in 0..200 {
            let (a, c) = (lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo));
            if nll(a) < nll(c) {
                hi = c
            } else {
                lo = a
            }
        }
        nll(0.5 * (lo + hi))
    }

    #[test]
    fn wstat_is_the_profiled_likelihood_in_every_branch() {
        for (s, b) in [(0.0, 0.0), (0.0, 4.0), (5.0, 0.0), (5.0, 4.0), (1.0, 30.0)] {
            for m in [0.2, 1.0, 6.0] {
                let w = wstat_bin(s, b, 2.0, m).value;
                let want = wstat_brute(s, b, 2.0, m);
                assert!(
                    (w - want).abs() <= 1e-7 * want.abs().max(1.0),
                    "S {s} B {b} M {m}: {w} vs {want}"
                );
            }
        }
    }

    #[test]
    fn zero_count_branches() {
        // S = 0: 2M − 2B ln(α/(1+α)); with B = 0 too, Cash's 2M
        let w = wstat_bin(0.0, 6.0, 3.0, 2.0);
        assert!((w.value - (4.0 - 12.0 * (0.75f64).ln())).abs() < 1e-12);
        assert_eq!((w.grad, w.curv), (2.0, 0.0));
        assert_eq!(
            wstat_bin(0.0, 0.0, 3.0, 2.0).value,
            cash_bin(0.0, 2.0).value
        );
        // B = 0, M ≤ S/(1+α): the background takes up the rest; beyond, Cash
        let w = wstat_bin(8.0, 0.0, 3.0, 1.0);
        assert!((w.value - 2.0 * (8.0 * 4f64.ln() - 3.0)).abs() < 1e-12);
        assert_eq!((w.grad, w.curv), (-6.0, 0.0));
        assert_eq!(wstat_bin(8.0, 0.0, 3.0, 5.0), cash_bin(8.0, 5.0));
        // continuous at the switch M = S/(1+α)
        let (a, b) = (
            wstat_bin(8.0, 0.0, 3.0, 2.0 - 1e-9),
            wstat_bin(8.0, 0.0, 3.0, 2.0 + 1e-9),
        );
        assert!((a.value - b.value).abs() < 1e-6);
        // the floor: M below 1e-5 counts is taken as 1e-5
        assert_eq!(
            wstat_bin(0.0, 2.0, 1.0, 0.0),
            wstat_bin(0.0, 2.0, 1.0, MODEL_FLOOR)
        );
        // pgstat: S = 0 as XSPEC has it; σ = 0 is Cash on M + B/α
        let p = pgstat_bin(0.0, 6.0, 6.0, 3.0, 2.0);
        assert!((p.value - 2.0 * (2.0 + 2.0 - 0.5 * 6.0 / 9.0)).abs() < 1e-12);
        assert_eq!(pgstat_bin(4.0, 0.0, 0.0, 2.0, 1.5), cash_bin(4.0, 1.5));
        assert_eq!(pgstat_bin(4.0, 6.0, 0.0, 2.0, 1.5), cash_bin(4.0, 4.5));
    }

    #[test]
    fn a_bin_without_background_is_cash_whatever_the_statistic() {
        let bin = PoissonBin {
            counts: 4.0,
            background: None,
        };
        for st in [Statistic::Cstat, Statistic::Pgstat] {
            assert_eq!(poisson_bin(st, &bin, 3.0), cash_bin(4.0, 3.0));
        }
        let t = cstat_terms(&[4.0], &[3.0], &[MODEL_FLOOR]);
        assert_eq!(t.value, cash_bin(4.0, 3.0).value);
    }

    #[test]
    fn pgstat_parses() {
        assert_eq!(Statistic::parse("PGSTAT"), Some(Statistic::Pgstat));
        assert_eq!(Statistic::Pgstat.name(), "pgstat");
    }
}
