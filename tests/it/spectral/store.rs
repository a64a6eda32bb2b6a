//! The process's shared RMFs: a file read once while unchanged, read again when replaced;
//! an RMF written through the store is exactly what reading the file gives back; the one-
//! pass fold of many spectra equals folding them one at a time.

use crate::support;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::ogip::rmf::{write_rmf, write_rmf_shared, Rmf};
use nuskybgd::spectral::ogip::store::read_rmf;
use std::path::PathBuf;
use std::sync::Arc;

/// A 12-energy, 16-channel RMF with values that do not fit single precision, energies
/// that do not either, and runs with zeros at their ends.
fn awkward_rmf() -> Rmf {
    let n = 12;
    Rmf {
        path: PathBuf::new(),
        energy_lo: (0..n).map(|i| 1.0 + 0.1 * i as f64 + 1e-12).collect(),
        energy_hi: (0..n).map(|i| 1.1 + 0.1 * i as f64 + 1e-12).collect(),
        rows: (0..n)
            .map(|i| {
                let v = vec![0.0, 0.1 + i as f32 * 0.01, 0.7, 0.2 - i as f32 * 0.01, 0.0];
                vec![(i, v)]
            })
            .collect(),
        nchan: 16,
        first_channel: 0,
        e_min: (0..16).map(|i| 1.0 + 0.1 * i as f64 + 3e-11).collect(),
        e_max: (0..16).map(|i| 1.1 + 0.1 * i as f64 + 3e-11).collect(),
    }
}

fn same(a: &Rmf, b: &Rmf) {
    assert_eq!(a.energy_lo, b.energy_lo);
    assert_eq!(a.energy_hi, b.energy_hi);
    assert_eq!(a.rows, b.rows);
    assert_eq!((a.nchan, a.first_channel), (b.nchan, b.first_channel));
    assert_eq!((&a.e_min, &a.e_max), (&b.e_min, &b.e_max));
}

#[test]
fn a_written_rmf_is_what_reading_it_gives_and_is_shared_until_replaced() {
    let dir = support::scratch("rmf_store");
    let p = dir.join("x.rmf");
    let r = awkward_rmf();
    let out = Output::new(p.to_str().unwrap(), false);
    let kept = write_rmf_shared(&out, &r, "FPMA", &[]).unwrap();
    let back = Rmf::read(&p).unwrap();
    same(&kept, &back);
    assert_ne!(
        kept.energy_lo, r.energy_lo,
        "energies rounded as the file stores them"
    );
    assert_eq!(
        kept.rows[0][0].1.len(),
        3,
        "zeros at the ends of a run trimmed"
    );
    // the store hands out the written one, then the same one again
    let a = read_rmf(&p).unwrap();
    assert!(Arc::ptr_eq(&a, &kept));
    assert!(Arc::ptr_eq(&read_rmf(&p).unwrap(), &a));
    // replaced by other contents: read again
    let mut other = awkward_rmf();
    other.rows[4] = vec![(2, vec![0.5, 0.5])];
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_rmf(&Output::new(p.to_str().unwrap(), true), &other, "FPMA", &[]).unwrap();
    let c = read_rmf(&p).unwrap();
    assert!(!Arc::ptr_eq(&c, &a));
    assert_eq!(c.rows[4], vec![(2, vec![0.5, 0.5])]);
}

#[test]
fn one_pass_fold_of_many_spectra_equals_one_at_a_time() {
    let r = awkward_rmf();
    let fluxes: Vec<Vec<f64>> = (0..5)
        .map(|k| {
            (0..12)
                .map(|e| {
                    if (e + k) % 4 == 0 {
                        0.0
                    } else {
                        1.0 / (1.0 + e as f64 + k as f64)
                    }
                })
                .collect()
        })
        .collect();
    let mut each = vec![vec![0.0; 16]; 5];
    for (f, o) in fluxes.iter().zip(each.iter_mut()) {
        r.fold_into(f, None, o);
    }
    let mut one = vec![vec![0.0; 16]; 5];
    let w: Vec<&[f64]> = fluxes.iter().map(|f| f.as_slice()).collect();
    let mut o: Vec<&mut [f64]> = one.iter_mut().map(|x| x.as_mut_slice()).collect();
    r.fold_many(&w, &mut o);
    // the plain sum in energy order, written here: the vectorised fold does the same
    // operations in the same order, so the values are equal, not merely close
    let mut naive = vec![vec![0.0; 16]; 5];
    for (f, o) in fluxes.iter().zip(naive.iter_mut()) {
        for (e, runs) in r.rows.iter().enumerate() {
            for (c0, v) in runs {
                for (j, m) in v.iter().enumerate() {
                    o[c0 + j] += f[e] * f64::from(*m);
                }
            }
        }
    }
    assert_eq!(each, one);
    assert_eq!(one, naive);
    assert!(each[0].iter().sum::<f64>() > 0.0);
}
