//! Arithmetic on redistribution matrices: weighted sums of RMFs on one grid (numkrmf /
//! addrmf) and per-energy-row scaling (detector absorption folded into an RMF).

use crate::error::{Error, Result, SpectralError};
use crate::spectral::ogip::rmf::Rmf;

/// Energy row `e` (0-based) of `rmf` as a dense vector over all `nchan` channels.
pub fn dense_row(rmf: &Rmf, e: usize) -> Vec<f64> {
    let mut row = vec![0.0; rmf.nchan];
    for (c0, v) in &rmf.rows[e] {
        row[*c0..*c0 + v.len()].copy_from_slice(v);
    }
    row
}

/// Runs of consecutive non-zero values of a dense row, as `Rmf::rows` stores them.
fn runs_of(row: &[f64]) -> Vec<(usize, Vec<f64>)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < row.len() {
        if row[i] == 0.0 {
            i += 1;
            continue;
        }
        let j = row[i..]
            .iter()
            .position(|v| *v == 0.0)
            .map_or(row.len(), |k| i + k);
        runs.push((i, row[i..j].to_vec()));
        i = j;
    }
    runs
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1e-30)
}

/// Fail unless `b` has the energy rows, channels and channel numbering of `a`.
pub fn check_same_grid(a: &Rmf, b: &Rmf) -> Result<()> {
    let why = if a.energy_lo.len() != b.energy_lo.len() {
        Some(format!(
            "{} energy rows, {} has {}",
            b.energy_lo.len(),
            a.path.display(),
            a.energy_lo.len()
        ))
    } else if a.nchan != b.nchan || a.first_channel != b.first_channel {
        Some(format!(
            "{} channels from {}, {} has {} from {}",
            b.nchan,
            b.first_channel,
            a.path.display(),
            a.nchan,
            a.first_channel
        ))
    } else {
        (0..a.energy_lo.len())
            .find(|&i| {
                !same(a.energy_lo[i], b.energy_lo[i]) || !same(a.energy_hi[i], b.energy_hi[i])
            })
            .map(|i| format!("energy row {} differs from {}", i + 1, a.path.display()))
    };
    match why {
        Some(w) => Err(Error::from(SpectralError::Mismatch {
            path: std::path::PathBuf::from(&b.path),
            msg: format!("cannot combine RMFs: {w}"),
        })),
        None => Ok(()),
    }
}

/// Σ_k w_k · R_k for RMFs on one grid (weights as given, not normalised). The result takes
/// its grids, EBOUNDS and path from the first RMF.
pub fn weighted_sum(rmfs: &[&Rmf], w: &[f64]) -> Result<Rmf> {
    let Some(first) = rmfs.first() else {
        return Err(Error::from(SpectralError::CountMismatch {
            msg: ("no RMF to combine").into(),
        }));
    };
    if rmfs.len() != w.len() {
        return Err(Error::from(SpectralError::CountMismatch {
            msg: format!("{} RMFs but {} weights", rmfs.len(), w.len()),
        }));
    }
    for r in &rmfs[1..] {
        check_same_grid(first, r)?;
    }
    let mut out = (*first).clone();
    for e in 0..first.rows.len() {
        let mut row = vec![0.0; first.nchan];
        for (r, wk) in rmfs.iter().zip(w) {
            if *wk == 0.0 {
                continue;
            }
            for (c0, v) in &r.rows[e] {
                for (o, m) in row[*c0..*c0 + v.len()].iter_mut().zip(v) {
                    *o += wk * m;
                }
            }
        }
        out.rows[e] = runs_of(&row);
    }
    Ok(out)
}

/// `rmf` with energy row e multiplied by `f[e]` (one factor per energy row, e.g. a detector
/// transmission at the row's energy).
pub fn scale_rows(rmf: &Rmf, f: &[f64]) -> Result<Rmf> {
    if f.len() != rmf.rows.len() {
        return Err(Error::from(SpectralError::BadRmf {
            path: std::path::PathBuf::from(&rmf.path),
            msg: format!("{} energy rows but {} row factors", rmf.rows.len(), f.len()),
        }));
    }
    let mut out = rmf.clone();
    for (runs, k) in out.rows.iter_mut().zip(f) {
        for (_, v) in runs.iter_mut() {
            v.iter_mut().for_each(|x| *x *= k);
        }
        runs.retain(|(_, v)| v.iter().any(|x| *x != 0.0));
    }
    Ok(out)
}
