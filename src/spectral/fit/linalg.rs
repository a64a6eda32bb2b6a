//! Small dense linear algebra for the fitter (a few tens of parameters at most).

/// Solve A x = b by Gaussian elimination with partial pivoting; None when A is singular.
pub fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
        if !(a[p][c].abs() > 1e-300) {
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
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// The scales 1/√H_ii (1 where H_ii is 0) and H scaled by them on both sides, so that its
/// diagonal is 1 wherever it is not 0.
fn equilibrate(h: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = h.len();
    let s: Vec<f64> = (0..n)
        .map(|i| {
            if h[i][i] > 0.0 {
                1.0 / h[i][i].sqrt()
            } else {
                1.0
            }
        })
        .collect();
    let a = (0..n)
        .map(|i| (0..n).map(|j| h[i][j] * s[i] * s[j]).collect())
        .collect();
    (s, a)
}

/// Solve H x = b for a symmetric positive semi-definite H, equilibrated by its diagonal so
/// that parameters of very different scales (norms of 1e-9 beside indices of 1) pivot
/// alike; None when H is singular on the given columns.
pub fn solve_spd(h: &[Vec<f64>], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    let (s, a) = equilibrate(h);
    let y = solve(a, (0..n).map(|i| b[i] * s[i]).collect())?;
    Some((0..n).map(|i| y[i] * s[i]).collect())
}

/// Solve H x = b for a symmetric positive semi-definite H over its numerically independent
/// columns: a Cholesky factorisation of the equilibrated H that pivots on the largest
/// remaining diagonal and drops a column once what is left of it is below `rel` (1 on the
/// equilibrated diagonal), leaving its x at zero. For a Gauss–Newton curvature JᵀWJ a
/// dropped column is a combination of the kept ones, and so is its gradient; the solution
/// then gives the decrease over the directions the data determine.
pub fn solve_psd_pivoted(h: &[Vec<f64>], b: &[f64], rel: f64) -> Vec<f64> {
    let n = b.len();
    let (s, mut a) = equilibrate(h);
    // l holds the factor's columns over the kept pivots, in pivot order
    let mut kept: Vec<usize> = Vec::new();
    let mut l: Vec<Vec<f64>> = Vec::new();
    // a column without curvature has 0 on the diagonal and is never kept
    let mut open: Vec<usize> = (0..n).collect();
    while let Some(pos) =
        (0..open.len()).max_by(|&x, &y| a[open[x]][open[x]].total_cmp(&a[open[y]][open[y]]))
    {
        let p = open.swap_remove(pos);
        let d = a[p][p];
        if !(d > rel) {
            break;
        }
        let r = d.sqrt();
        let mut col = vec![0.0; n];
        col[p] = r;
        for &i in &open {
            col[i] = a[i][p] / r;
        }
        for &i in &open {
            for &j in &open {
                a[i][j] -= col[i] * col[j];
            }
        }
        kept.push(p);
        l.push(col);
    }
    // forward then back substitution over the kept pivots: L Lᵀ y = s b
    let m = kept.len();
    let mut z = vec![0.0; m];
    for k in 0..m {
        let acc: f64 = (0..k).map(|j| l[j][kept[k]] * z[j]).sum();
        z[k] = (b[kept[k]] * s[kept[k]] - acc) / l[k][kept[k]];
    }
    let mut y = vec![0.0; n];
    for k in (0..m).rev() {
        let acc: f64 = (k + 1..m).map(|j| l[k][kept[j]] * y[kept[j]]).sum();
        y[kept[k]] = (z[k] - acc) / l[k][kept[k]];
    }
    (0..n).map(|i| y[i] * s[i]).collect()
}

/// Inverse of a symmetric positive definite matrix (equilibrated as `solve_spd`).
pub fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut cols = Vec::with_capacity(n);
    for j in 0..n {
        let mut e = vec![0.0; n];
        e[j] = 1.0;
        cols.push(solve_spd(a, &e)?);
    }
    Some(
        (0..n)
            .map(|i| (0..n).map(|j| cols[j][i]).collect())
            .collect(),
    )
}

/// The rows and columns `keep` of a square matrix.
pub fn sub_matrix(a: &[Vec<f64>], keep: &[usize]) -> Vec<Vec<f64>> {
    keep.iter()
        .map(|&i| keep.iter().map(|&j| a[i][j]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_badly_scaled_systems() {
        // a norm of order 1e-9 beside an index of order 1
        let h = vec![vec![4e18, 2e9], vec![2e9, 3.0]];
        let x = solve_spd(&h, &[2e9 * 1.0 + 4e18 * 1e-9, 3.0 * 1.0 + 2e9 * 1e-9]).unwrap();
        assert!(
            (x[0] - 1e-9).abs() < 1e-20 && (x[1] - 1.0).abs() < 1e-12,
            "{x:?}"
        );
        assert!(solve_spd(&[vec![1.0, 1.0], vec![1.0, 1.0]], &[1.0, 2.0]).is_none());
    }

    #[test]
    fn pivoted_solve_drops_dependent_columns() {
        // columns 0 and 2 of J are equal: H singular, b in its range
        let j = [[1.0, 0.0, 1.0], [2.0, 1.0, 2.0], [0.0, 3.0, 0.0]];
        let h: Vec<Vec<f64>> = (0..3)
            .map(|a| {
                (0..3)
                    .map(|c| (0..3).map(|r| j[r][a] * j[r][c]).sum())
                    .collect()
            })
            .collect();
        let w = [1.0, -2.0, 0.5];
        let b: Vec<f64> = (0..3)
            .map(|a| (0..3).map(|r| j[r][a] * w[r]).sum())
            .collect();
        let x = solve_psd_pivoted(&h, &b, 1e-12);
        // H x = b holds although one of x[0], x[2] is left at zero
        for r in 0..3 {
            let hx: f64 = (0..3).map(|c| h[r][c] * x[c]).sum();
            assert!((hx - b[r]).abs() < 1e-12, "{x:?}");
        }
        assert!(x[0] == 0.0 || x[2] == 0.0, "{x:?}");
        // a definite matrix is solved exactly
        let x = solve_psd_pivoted(&[vec![2.0, 1.0], vec![1.0, 3.0]], &[1.0, 2.0], 1e-12);
        assert!(
            (x[0] - 0.2).abs() < 1e-15 && (x[1] - 0.6).abs() < 1e-15,
            "{x:?}"
        );
    }

    #[test]
    fn inverts() {
        let a = vec![vec![2.0, 1.0], vec![1.0, 3.0]];
        let i = invert_spd(&a).unwrap();
        assert!((i[0][0] - 0.6).abs() < 1e-15 && (i[0][1] + 0.2).abs() < 1e-15);
    }
}
