//! Fit statistics as XSPEC computes them, in counts per grouped bin.

/// The fit statistic of a session, as named by XSPEC's `statistic` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// χ² with standard (data) weighting.
    Chi,
    /// Cash's C-statistic (`cstat`; XSPEC's older name `cash` is read as this).
    Cstat,
}

impl Statistic {
    /// The statistic named `s` (case-insensitive, XSPEC's abbreviations allowed); None for
    /// a statistic the engine does not have.
    pub fn parse(s: &str) -> Option<Statistic> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("cstat") || s.starts_with("cash") {
            Some(Statistic::Cstat)
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
