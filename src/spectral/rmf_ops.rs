//! Arithmetic on redistribution matrices: weighted sums of RMFs on one grid (numkrmf /
//! addrmf) and per-energy-row scaling (detector absorption folded into an RMF).

use crate::error::{Error, Result, SpectralError};
use crate::spectral::ogip::rmf::Rmf;

/// Energy row `e` (0-based) of `rmf` as a dense vector over all `nchan` channels.
pub fn dense_row(rmf: &Rmf, e: usize) -> Vec<f64> {
    let mut row = vec![0.0; rmf.nchan];
    for (c0, v) in &rmf.rows[e] {
        for (o, x) in row[*c0..*c0 + v.len()].iter_mut().zip(v) {
            *o = f64::from(*x);
        }
    }
    row
}

/// Runs of consecutive values of a dense row that are non-zero in single precision, as
/// `Rmf::rows` stores them (each value rounded once to f32).
fn runs_of(row: &[f64]) -> Vec<(usize, Vec<f32>)> {
    let row: Vec<f32> = row.iter().map(|v| *v as f32).collect();
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
    weighted_sum_scaled(rmfs, w, &[])
}

/// Σ_k w_k · f_k[e] · R_k[e]: a weighted sum of RMFs on one grid whose energy row e of RMF
/// k is also multiplied by `factors[k][e]` (e.g. detector k's transmission at the row's
/// energy; `factors` empty: no factors). Summed in double precision and rounded to single
/// once. The result takes its grids, EBOUNDS and path from the first RMF.
pub fn weighted_sum_scaled(rmfs: &[&Rmf], w: &[f64], factors: &[Vec<f64>]) -> Result<Rmf> {
    let Some(first) = rmfs.first() else {
        return Err(Error::from(SpectralError::CountMismatch {
            msg: ("no RMF to combine").into(),
        }));
    };
    if rmfs.len() != w.len() || !(factors.is_empty() || factors.len() == w.len()) {
        return Err(Error::from(SpectralError::CountMismatch {
            msg: format!(
                "{} RMFs but {} weights and {} row factors",
                rmfs.len(),
                w.len(),
                factors.len()
            ),
        }));
    }
    for r in &rmfs[1..] {
        check_same_grid(first, r)?;
    }
    if let Some(f) = factors.iter().find(|f| f.len() != first.rows.len()) {
        return Err(Error::from(SpectralError::BadRmf {
            path: first.path.clone(),
            msg: format!(
                "{} energy rows but {} row factors",
                first.rows.len(),
                f.len()
            ),
        }));
    }
    let mut row = vec![0.0; first.nchan];
    let rows = (0..first.rows.len())
        .map(|e| {
            row.iter_mut().for_each(|x| *x = 0.0);
            for (k, (r, wk)) in rmfs.iter().zip(w).enumerate() {
                let wk = wk * factors.get(k).map_or(1.0, |f| f[e]);
                if wk == 0.0 {
                    continue;
                }
                for (c0, v) in &r.rows[e] {
                    for (o, m) in row[*c0..*c0 + v.len()].iter_mut().zip(v) {
                        *o += wk * f64::from(*m);
                    }
                }
            }
            runs_of(&row)
        })
        .collect();
    Ok(Rmf {
        path: first.path.clone(),
        energy_lo: first.energy_lo.clone(),
        energy_hi: first.energy_hi.clone(),
        rows,
        nchan: first.nchan,
        first_channel: first.first_channel,
        e_min: first.e_min.clone(),
        e_max: first.e_max.clone(),
    })
}
