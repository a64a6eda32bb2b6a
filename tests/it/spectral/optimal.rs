//! Kaastra & Bleeker (2016) optimal binning: bins from the RMF's resolution and the counts,
//! by formula and through getspec group=optimal.

use crate::support;
use nuskybgd::bgmodel::detrmf::RmfSource;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::ogip::rmf::write_rmf;
use nuskybgd::spectral::ogip::rmf::Rmf;
use nuskybgd::spectral::optimal::{fwhm_per_channel, group_optimal};
use nuskybgd::tasks::getspec::{getspec, Grouping};
use std::path::PathBuf;

use crate::support::getspec_fixture::*;

/// A 4096-channel matrix whose rows are triangles of half-width 10 channels centred on the
/// diagonal: FWHM exactly 10 channels.
fn triangle_rmf() -> Rmf {
    let n = 4096;
    Rmf {
        path: PathBuf::new(),
        energy_lo: (0..n).map(|i| 1.6 + 0.04 * i as f64).collect(),
        energy_hi: (0..n).map(|i| 1.64 + 0.04 * i as f64).collect(),
        rows: (0..n)
            .map(|e: usize| {
                let c0 = e.saturating_sub(9);
                let c1 = (e + 9).min(n - 1);
                vec![(
                    c0,
                    (c0..=c1)
                        .map(|c| 1.0 - (c as f32 - e as f32).abs() / 10.0)
                        .collect(),
                )]
            })
            .collect(),
        nchan: n,
        first_channel: 0,
        e_min: (0..n).map(|i| 1.6 + 0.04 * i as f64).collect(),
        e_max: (0..n).map(|i| 1.64 + 0.04 * i as f64).collect(),
    }
}

#[test]
fn optimal_binning_follows_kaastra_bleeker() {
    let rmf = triangle_rmf();
    let fwhm = fwhm_per_channel(&rmf).unwrap();
    assert!(
        fwhm[20..4076].iter().all(|f| *f == Some(10.0)),
        "{:?}",
        &fwhm[20..30]
    );
    // no counts: x = ln 0 < 2.119, so every bin is one FWHM = 10 channels wide
    let g = group_optimal(&vec![0.0; 4096], &fwhm).unwrap();
    let starts: Vec<usize> = (0..4096).filter(|&i| g[i] == 1).collect();
    assert!(
        starts[..400].iter().enumerate().all(|(k, s)| *s == 10 * k),
        "{:?}",
        &starts[..5]
    );
    // 1000 counts per channel: N_r = 1.314 x 11 x 1000, R = 1 + 4096/10,
    // x = ln(N_r (1 + 0.2 ln R)) = 10.369, width = 10 (0.08x + 7 + 1.8/x)/(x + 5.9) = 4.92 -> 4
    let r: f64 = 1.0 + 409.6;
    let x = (1.314 * 11.0 * 1000.0 * (1.0 + 0.2 * r.ln())).ln();
    let b = 10.0 * (0.08 * x + 7.0 + 1.8 / x) / (x + 5.9);
    assert_eq!(b as usize, 4);
    let g = group_optimal(&vec![1000.0; 4096], &fwhm).unwrap();
    let starts: Vec<usize> = (0..4096).filter(|&i| g[i] == 1).collect();
    assert!(starts[5..1000].windows(2).all(|w| w[1] - w[0] == 4));
    // counts in the upper half only: bins are 10 wide below, 4 wide well inside the counts
    let counts: Vec<f64> = (0..4096)
        .map(|i| if i >= 2048 { 1000.0 } else { 0.0 })
        .collect();
    let g = group_optimal(&counts, &fwhm).unwrap();
    let starts: Vec<usize> = (0..4096).filter(|&i| g[i] == 1).collect();
    let width_at = |c: usize| {
        let k = starts.partition_point(|s| *s <= c) - 1;
        starts.get(k + 1).unwrap_or(&4096) - starts[k]
    };
    assert_eq!(width_at(1000), 10);
    assert_eq!(width_at(3000), 4);

    check_getspec_group_optimal(&rmf);
}

/// End to end: group=optimal writes _sr_opt.pha with the grouping of `rmf`'s resolution.
fn check_getspec_group_optimal(rmf: &Rmf) {
    let r: f64 = 1.0 + 409.6;
    let dir = support::scratch("getspec_opt");
    let rmf_path = dir.join("tri.rmf");
    write_rmf(
        &Output::new(rmf_path.to_str().unwrap(), false),
        rmf,
        "FPMB",
        &[],
    )
    .unwrap();
    let evs: Vec<Ev> = (0..4000)
        .map(|i| (300.0, 300.0, 500 + (i % 400) as i64, (i % 4) as i64))
        .collect();
    let evt = dir.join("ev.fits");
    write_events(&evt, "FPMB", &evs, true);
    let reg = dir.join("opt.reg");
    std::fs::write(&reg, "image;circle(300,300,5)\n").unwrap();
    let s = getspec(&req(
        &evt,
        &reg,
        &dir,
        RmfSource::File(rmf_path),
        Grouping::Optimal,
    ))
    .unwrap();
    assert_eq!(s.grouped, dir.join("opt_sr_opt.pha"));
    let sp = Spectrum::read_at(&s.grouped, None).unwrap();
    assert_eq!(sp.counts.iter().sum::<f64>(), 4000.0);
    let written_rmf = Rmf::read(&s.rmf).unwrap();
    assert_eq!(
        sp.grouping,
        group_optimal(&sp.counts, &fwhm_per_channel(&written_rmf).unwrap()).unwrap()
    );
    // 10 counts per channel over 500..899: N_r = 1.314 x 110, x = 5.764, width 6.66 -> 6
    let x = (1.314f64 * 110.0 * (1.0 + 0.2 * r.ln())).ln();
    let b = 10.0 * (0.08 * x + 7.0 + 1.8 / x) / (x + 5.9);
    assert_eq!(b as usize, 6);
    let starts: Vec<usize> = (0..4096).filter(|&i| sp.grouping[i] == 1).collect();
    let inner: Vec<usize> = starts
        .windows(2)
        .filter(|w| w[0] >= 520 && w[1] <= 880)
        .map(|w| w[1] - w[0])
        .collect();
    assert!(
        inner.len() > 50 && inner.iter().all(|w| *w == 6),
        "{inner:?}"
    );
    assert!(starts
        .windows(2)
        .filter(|w| w[0] >= 1000)
        .all(|w| w[1] - w[0] == 10));
    assert!(sp.quality.iter().all(|q| *q == 0));
}
