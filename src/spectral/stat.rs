//! Fit statistics as XSPEC computes them, in counts per grouped bin.

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
