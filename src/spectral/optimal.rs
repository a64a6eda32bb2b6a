//! Optimal binning (Kaastra & Bleeker 2016, A&A 587, A151) as HEASoft's `ftgrouppha
//! grouptype=opt` does it: the response's FWHM in channels at each channel, the counts per
//! resolution element N_r, and from them the largest safe bin width at each channel.

use crate::error::{Error, Result, SpectralError};
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::rmf_ops::dense_row;

/// FWHM in channels of each energy row: from the (first) maximum, step outwards until the
/// response is no longer above half the maximum, on both sides; the width is the distance
/// between those two channels. A side that runs into the matrix edge still above half the
/// maximum is not used and the other side is doubled; None when neither side is usable or
/// the row is empty.
pub fn fwhm_per_energy(rmf: &Rmf) -> Vec<Option<f64>> {
    (0..rmf.rows.len())
        .map(|e| {
            let v = dense_row(rmf, e);
            let n = v.len();
            let (imax, vmax) =
                v.iter().enumerate().fold(
                    (0, f64::MIN),
                    |b, (i, x)| if *x > b.1 { (i, *x) } else { b },
                );
            if n == 0 || !(vmax > 0.0) {
                return None;
            }
            let half = vmax / 2.0;
            let mut hi = imax;
            while hi < n - 1 && v[hi] > half {
                hi += 1;
            }
            let mut lo = imax;
            while lo > 0 && v[lo] > half {
                lo -= 1;
            }
            let good_hi = v[n - 1] <= half;
            let good_lo = v[0] <= half;
            match (good_lo, good_hi) {
                (true, true) => Some((hi - lo) as f64),
                (true, false) => Some(2.0 * (imax - lo) as f64),
                (false, true) => Some(2.0 * (hi - imax) as f64),
                (false, false) => None,
            }
        })
        .collect()
}

/// FWHM in channels at each channel: that of the energy row containing the channel's
/// nominal centre energy (EBOUNDS); channels below/above the grid take the first/last row.
/// Rows without a usable width give None.
pub fn fwhm_per_channel(rmf: &Rmf) -> Result<Vec<Option<f64>>> {
    if rmf.e_min.len() != rmf.nchan || rmf.energy_lo.is_empty() {
        return Err(Error::from(SpectralError::BadRmf {
            path: std::path::PathBuf::from(&rmf.path),
            msg: ("optimal binning needs the RMF's EBOUNDS channel energies").into(),
        }));
    }
    let per_e = fwhm_per_energy(rmf);
    let (lo, hi) = (&rmf.energy_lo, &rmf.energy_hi);
    Ok((0..rmf.nchan)
        .map(|c| {
            let e = 0.5 * (rmf.e_min[c] + rmf.e_max[c]);
            // first row with e <= ENERG_HI (rows ascend), i.e. lo < e <= hi
            let i = hi.partition_point(|h| *h < e).min(lo.len() - 1);
            per_e[i]
        })
        .collect())
}

/// GROUPING (+1 starts a group, −1 continues it) of the optimal binning for `counts` per
/// channel with response FWHM `fwhm` (channels; None where unknown, which bins that channel
/// alone and leaves it out of the count of resolution elements R).
///
/// With R = 1 + Σ 1/FWHM and N_r = 1.314 × counts within ±FWHM/2 of the channel,
/// x = ln(N_r (1 + 0.2 ln R)); the bin width is FWHM × (0.08x + 7 + 1.8/x)/(x + 5.9) when
/// x > 2.119, else FWHM, truncated to an integer ≥ 1. A group starting at channel i spans
/// the width wanted at i, shortened so that it does not pass the end wanted by any channel
/// inside it.
pub fn group_optimal(counts: &[f64], fwhm: &[Option<f64>]) -> Result<Vec<i16>> {
    let n = counts.len();
    if fwhm.len() != n {
        return Err(Error::from(SpectralError::CountMismatch {
            msg: format!(
                "optimal binning: {n} channels of counts but the response has {}",
                fwhm.len()
            ),
        }));
    }
    let r = 1.0
        + fwhm
            .iter()
            .flatten()
            .filter(|f| **f > 0.0)
            .map(|f| 1.0 / f)
            .sum::<f64>();
    let log_r = r.ln();
    let width: Vec<usize> = (0..n)
        .map(|i| {
            let Some(f) = fwhm[i].filter(|f| *f > 0.0) else {
                return 1;
            };
            let (lo, hi) = (i as f64 - f / 2.0, i as f64 + f / 2.0);
            let start = if lo.round() >= 0.0 {
                lo.round() as usize
            } else {
                0
            };
            let end = if hi.round() < n as f64 {
                hi.round() as usize
            } else {
                n - 1
            };
            let nr = 1.314 * counts[start.min(n - 1)..=end].iter().sum::<f64>();
            let x = (nr * (1.0 + 0.2 * log_r)).ln();
            let b = if x > 2.119 {
                f * (0.08 * x + 7.0 + 1.8 / x) / (x + 5.9)
            } else {
                f
            };
            (b as usize).max(1)
        })
        .collect();
    let mut g = vec![-1i16; n];
    let mut i = 0;
    while i < n {
        g[i] = 1;
        // the group may not pass the end wanted by any channel inside its first span
        let first = (i + width[i] - 1).min(n - 1);
        let end = (i + 1..=first)
            .map(|k| k + width[k] - 1)
            .fold(first, usize::min);
        i = end + 1;
    }
    Ok(g)
}
