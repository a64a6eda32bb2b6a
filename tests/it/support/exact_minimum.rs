//! An exact bounded minimum of a model linear in its free norms, independent of the
//! library's fitter: the predicted counts read off the engine as c + A θ, the statistic
//! written out here, and projected Newton. Shared by tests/it/spectral/fit/minimum.rs and the fit
//! benchmark (included with `#[path]`).

use nuskybgd::spectral::params::Addr;
use nuskybgd::spectral::session::Session;
use nuskybgd::spectral::stat::Statistic;

pub fn values(sess: &Session, free: &[Addr]) -> Vec<f64> {
    free.iter()
        .map(|a| sess.params[a.source][a.index].value)
        .collect()
}

pub fn put(sess: &mut Session, free: &[Addr], theta: &[f64]) {
    for (a, t) in free.iter().zip(theta) {
        sess.params[a.source][a.index].value = *t;
    }
    sess.resolve().unwrap();
}

/// The predicted counts as c + A θ over the free norms, read off the engine at θ = 0 and
/// at unit vectors, with linearity checked at the start values.
pub struct Linear {
    pub c: Vec<f64>,
    pub a: Vec<Vec<f64>>,
    pub data: Vec<f64>,
    pub var: Vec<f64>,
    pub lower: Vec<f64>,
    pub upper: Vec<f64>,
    pub stat: Statistic,
}

impl Linear {
    pub fn of(sess: &mut Session) -> Linear {
        let free = sess.free();
        let start = values(sess, &free);
        let n = free.len();
        put(sess, &free, &vec![0.0; n]);
        let c = sess.model_counts().unwrap();
        let a: Vec<Vec<f64>> = (0..n)
            .map(|k| {
                let s = start[k].abs().max(1e-6);
                let mut t = vec![0.0; n];
                t[k] = s;
                put(sess, &free, &t);
                let m = sess.model_counts().unwrap();
                m.iter().zip(&c).map(|(x, y)| (x - y) / s).collect()
            })
            .collect();
        put(sess, &free, &start);
        let m = sess.model_counts().unwrap();
        let (data, var) = sess.data_counts();
        let lin = Linear {
            c,
            a,
            data,
            var,
            lower: free
                .iter()
                .map(|p| sess.params[p.source][p.index].min)
                .collect(),
            upper: free
                .iter()
                .map(|p| sess.params[p.source][p.index].max)
                .collect(),
            stat: sess.statistic,
        };
        let worst = lin
            .model(&start)
            .iter()
            .zip(&m)
            .map(|(x, y)| (x - y).abs() / y.abs().max(1e-3))
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-9,
            "the model is not linear in its free norms: {worst}"
        );
        lin
    }

    pub fn model(&self, t: &[f64]) -> Vec<f64> {
        let mut m = self.c.clone();
        for (k, col) in self.a.iter().enumerate() {
            m.iter_mut().zip(col).for_each(|(x, a)| *x += t[k] * a);
        }
        m
    }

    /// Statistic, gradient and exact Hessian, written out here (XSPEC's cstat with its
    /// 1e-5 floor; chi with data variance, 1 where it is 0).
    pub fn eval(&self, t: &[f64]) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
        let m = self.model(t);
        let n = t.len();
        let (mut s, mut g, mut h) = (0.0, vec![0.0; n], vec![vec![0.0; n]; n]);
        for b in 0..m.len() {
            let d = self.data[b];
            let (v, d1, d2) = match self.stat {
                Statistic::Chi => {
                    let w = if self.var[b] > 0.0 { self.var[b] } else { 1.0 };
                    ((d - m[b]).powi(2) / w, -2.0 * (d - m[b]) / w, 2.0 / w)
                }
                _ => {
                    let mm = m[b].max(1e-5);
                    let v = if d > 0.0 {
                        mm + d * (d.ln() - mm.ln() - 1.0)
                    } else {
                        mm
                    };
                    (2.0 * v, 2.0 * (1.0 - d / mm), 2.0 * d / (mm * mm))
                }
            };
            s += v;
            for i in 0..n {
                g[i] += d1 * self.a[i][b];
                for j in 0..n {
                    h[i][j] += d2 * self.a[i][b] * self.a[j][b];
                }
            }
        }
        (s, g, h)
    }

    /// Projected Newton (Bertsekas 1982) with an Armijo search along the projection arc:
    /// the bounded minimum, with the KKT conditions checked at the end.
    pub fn minimum(&self, start: &[f64]) -> (f64, Vec<f64>) {
        let n = start.len();
        let mut t = start.to_vec();
        let project = |x: &mut Vec<f64>| {
            for k in 0..n {
                x[k] = x[k].clamp(self.lower[k], self.upper[k]);
            }
        };
        let (mut s, _, _) = self.eval(&t);
        for _ in 0..500 {
            let (_, g, h) = self.eval(&t);
            let dir = self.direction(&t, &g, &h);
            let mut step = 1.0;
            let mut moved = false;
            for _ in 0..60 {
                let mut trial: Vec<f64> = (0..n).map(|k| t[k] + step * dir[k]).collect();
                project(&mut trial);
                let decrease: f64 = (0..n).map(|k| g[k] * (t[k] - trial[k])).sum();
                let (st, _, _) = self.eval(&trial);
                if st <= s - 1e-4 * decrease.max(0.0) && st <= s {
                    moved = st < s;
                    (t, s) = (trial, st);
                    break;
                }
                step *= 0.5;
            }
            if !moved {
                break;
            }
        }
        self.check_kkt(&t);
        (s, t)
    }

    /// The projected Newton direction at `t`: Newton on the free set, diagonally scaled
    /// steepest descent on the parameters held at a bound.
    fn direction(&self, t: &[f64], g: &[f64], h: &[Vec<f64>]) -> Vec<f64> {
        let n = t.len();
        let scale: Vec<f64> = (0..n).map(|k| h[k][k].max(1e-300).sqrt()).collect();
        let eps = 1e-9;
        let bound: Vec<bool> = (0..n)
            .map(|k| {
                (t[k] - self.lower[k] <= eps / scale[k] && g[k] > 0.0)
                    || (self.upper[k] - t[k] <= eps / scale[k] && g[k] < 0.0)
            })
            .collect();
        let freek: Vec<usize> = (0..n).filter(|&k| !bound[k]).collect();
        let mut dir = vec![0.0; n];
        if !freek.is_empty() {
            let m = freek.len();
            // Newton on the free set (Gaussian elimination on the scaled system)
            let mut a: Vec<Vec<f64>> = (0..m)
                .map(|i| {
                    (0..m)
                        .map(|j| h[freek[i]][freek[j]] / (scale[freek[i]] * scale[freek[j]]))
                        .collect()
                })
                .collect();
            let mut b: Vec<f64> = (0..m).map(|i| -g[freek[i]] / scale[freek[i]]).collect();
            for c in 0..m {
                a[c][c] += 1e-14;
                let p = (c..m)
                    .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
                    .unwrap();
                a.swap(c, p);
                b.swap(c, p);
                for r in c + 1..m {
                    let f = a[r][c] / a[c][c];
                    for k in c..m {
                        a[r][k] -= f * a[c][k];
                    }
                    b[r] -= f * b[c];
                }
            }
            let mut x = vec![0.0; m];
            for r in (0..m).rev() {
                let sum: f64 = (r + 1..m).map(|k| a[r][k] * x[k]).sum();
                x[r] = (b[r] - sum) / a[r][r];
            }
            for (i, &k) in freek.iter().enumerate() {
                dir[k] = x[i] / scale[k];
            }
        }
        for k in 0..n {
            if bound[k] {
                dir[k] = -g[k] / h[k][k].max(1e-300);
            }
        }
        dir
    }

    /// KKT: zero gradient (relative to its curvature) off the bounds, the right sign on them.
    fn check_kkt(&self, t: &[f64]) {
        let n = t.len();
        let (_, g, h) = self.eval(t);
        for k in 0..n {
            let at_bound = t[k] <= self.lower[k] || t[k] >= self.upper[k];
            let gs = g[k] / h[k][k].max(1e-300).sqrt();
            assert!(
                at_bound || gs.abs() < 1e-5,
                "KKT: parameter {k} gradient×σ {gs}"
            );
            if t[k] <= self.lower[k] {
                assert!(g[k] >= -1e-6 * h[k][k].sqrt(), "KKT at lower bound {k}");
            }
        }
    }
}
