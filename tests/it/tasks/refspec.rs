//! refspec: counts = round(1e9 × Σ_E cutoffpl(E)·ARF(E)·RMF(E, c)), with the model integrated
//! independently here; missing RMFs are skipped, none at all or an existing output is an
//! error with nothing written.

use crate::support::{self, assert_variant};
use nuskybgd::error::{IoError, TaskError};
use nuskybgd::io::output::Output;
use nuskybgd::nustar::module::Module;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::ogip::rmf::write_rmf;
use nuskybgd::spectral::ogip::{arf::Arf, rmf::Rmf};
use nuskybgd::tasks::refspec::{refspec, RefspecRequest};
use nuskybgd::Error;
use std::path::Path;

/// ∫ N E^-Γ exp(-E/Ec) dE over [a, b] by Simpson's rule on 64 intervals.
fn cutoffpl(a: f64, b: f64) -> f64 {
    let f = |e: f64| 0.002353 * e.powf(-1.29) * (-e / 41.13).exp();
    let n = 64;
    let h = (b - a) / n as f64;
    let s: f64 = (0..=n)
        .map(|k| {
            let w = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            w * f(a + k as f64 * h)
        })
        .sum();
    s * h / 3.0
}

/// Every channel of the DET0 and DET2 spectra is the rounded folded model (DET2 at half).
fn check_folded_counts(dir: &Path, auxil: &Path, diag: &Rmf) {
    let be = Arf::read(&auxil.join("be.arf")).unwrap();
    let fcxb = Arf::read(&auxil.join("fcxbA.arf")).unwrap();
    let edges = diag.edges();
    let mut worst = 0.0f64;
    for (d, scale) in [(0, 1.0), (2, 0.5)] {
        for (name, arf) in [("aperbgdA", &be), ("fcxbbgdA", &fcxb)] {
            let p = dir.join(format!("{name}_det{d}.pha"));
            let sp = Spectrum::read_at(&p, None).unwrap();
            assert_eq!(sp.exposure, 1e9);
            assert_eq!(
                sp.respfile.as_deref(),
                Some(format!("det{d}A.rmf").as_str())
            );
            assert_eq!(sp.instrume, "FPMA");
            let mut nonzero = 0;
            for c in 0..4096 {
                let want = 1e9 * scale * cutoffpl(edges[c], edges[c + 1]) * arf.area[c];
                assert!(sp.counts[c] == sp.counts[c].round());
                let err = (sp.counts[c] - want).abs();
                assert!(
                    err <= 0.5 + 1e-6 * want,
                    "{name} det{d} channel {c}: {} vs {want}",
                    sp.counts[c]
                );
                if want > 1e6 {
                    worst = worst.max(err / want);
                }
                if sp.counts[c] > 0.0 {
                    nonzero += 1;
                }
            }
            assert!(nonzero > 1000, "{name}: {nonzero} channels with counts");
        }
    }
    eprintln!("refspec: worst relative deviation (channels > 1e6 counts) {worst:.2e}");
    assert!(worst < 1e-6);
}

#[test]
fn reference_spectra_equal_the_folded_model() {
    let Some(auxil) = support::shared("refspec", "auxil") else {
        return;
    };
    let dir = support::scratch("refspec");
    let diag = Rmf::read(&auxil.join("diag.rmf")).unwrap();
    std::fs::copy(auxil.join("diag.rmf"), dir.join("det0A.rmf")).unwrap();
    // DET2: half the identity, so the counts are half
    let mut half = diag.clone();
    half.rows
        .iter_mut()
        .flatten()
        .for_each(|(_, v)| v.iter_mut().for_each(|x| *x *= 0.5));
    write_rmf(
        &Output::new(dir.join("det2A.rmf").to_str().unwrap(), false),
        &half,
        "FPMA",
        &[],
    )
    .unwrap();
    let req = RefspecRequest {
        dir: dir.to_path_buf(),
        mods: vec![Module::A, Module::B],
        dets: vec![0, 1, 2, 3],
        auxil: auxil.clone(),
        clobber: false,
    };
    let s = refspec(&req).unwrap();
    assert_eq!(s.written.len(), 2);
    assert_eq!(s.missing.len(), 6);
    check_folded_counts(&dir, &auxil, &diag);
    // outputs exist: refused without clobber and nothing rewritten; with clobber replaced
    let before = std::fs::read(dir.join("aperbgdA_det0.pha")).unwrap();
    std::fs::remove_file(dir.join("fcxbbgdA_det2.pha")).unwrap();
    let e = refspec(&req).unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert!(!dir.join("fcxbbgdA_det2.pha").exists());
    assert_eq!(
        std::fs::read(dir.join("aperbgdA_det0.pha")).unwrap(),
        before
    );
    assert!(refspec(&RefspecRequest {
        clobber: true,
        ..req.clone()
    })
    .is_ok());
    // no RMF for the request: an error naming the directory
    let e = refspec(&RefspecRequest {
        mods: vec![Module::B],
        ..req.clone()
    })
    .unwrap_err();
    assert!(e.to_string().contains("no det<d><M>.rmf"), "{e}");
    assert_variant!(e, Error::Task(TaskError::NoDetectorRmfs { .. }));
    assert!(refspec(&RefspecRequest {
        dets: vec![4],
        ..req
    })
    .is_err());
}
