//! The OGIP writers read back through the engine's own readers, and the real CALDB RMF
//! survives a write/read round trip unchanged.

use nuskybgd::io::output::Output;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::ogip::rmf::Rmf;
use nuskybgd::spectral::ogip::{
    pha::{write_pha, PhaOut},
    rmf::write_rmf,
};
use nuskybgd::testing;
use std::path::PathBuf;

fn small_rmf() -> Rmf {
    let n: usize = 8;
    Rmf {
        path: PathBuf::new(),
        energy_lo: (0..n).map(|i| 1.0 + i as f64).collect(),
        energy_hi: (0..n).map(|i| 2.0 + i as f64).collect(),
        rows: (0..n)
            .map(|i: usize| {
                if i == 3 {
                    Vec::new()
                } else if i == 5 {
                    vec![(0, vec![0.25]), (i, vec![0.5, 0.25])]
                } else {
                    vec![(i.saturating_sub(1), vec![0.125, 0.75, 0.125])]
                }
            })
            .collect(),
        nchan: 10,
        first_channel: 0,
        e_min: (0..10).map(|i| 1.0 + 0.8 * i as f64).collect(),
        e_max: (0..10).map(|i| 1.8 + 0.8 * i as f64).collect(),
    }
}

#[test]
fn pha_round_trip() {
    let dir = testing::scratch("pha_round_trip");
    let p = dir.join("x.pha");
    let mut pha = PhaOut::new("FPMB", (0..4096).map(|c| (c % 7) as f64).collect(), 1234.5);
    pha.grouping = Some((0..4096).map(|c| if c % 2 == 0 { 1 } else { -1 }).collect());
    pha.quality = Some(vec![0; 4096]);
    pha.respfile = Some("x.rmf".into());
    pha.backscal = 0.0123;
    pha.keys
        .push(("DATE-OBS".into(), "2016-02-12T19:06:40".into()));
    write_pha(&Output::new(p.to_str().unwrap(), false), &pha).unwrap();
    let s = Spectrum::read_at(&p, None).unwrap();
    assert_eq!(s.len(), 4096);
    assert_eq!(s.counts, pha.counts);
    assert_eq!(s.exposure, 1234.5);
    assert_eq!(s.backscal, 0.0123);
    assert_eq!(s.instrume, "FPMB");
    assert_eq!(s.respfile.as_deref(), Some("x.rmf"));
    assert_eq!(s.ancrfile, None);
    assert_eq!(s.grouping[1], -1);
    // never overwritten without clobber
    assert!(write_pha(&Output::new(p.to_str().unwrap(), false), &pha).is_err());
    // real-valued counts
    let mut smooth = PhaOut::new("FPMA", vec![0.25; 16], 1e7);
    smooth.integer_counts = false;
    let q = dir.join("smooth.pha");
    write_pha(&Output::new(q.to_str().unwrap(), false), &smooth).unwrap();
    assert_eq!(Spectrum::read_at(&q, None).unwrap().counts, vec![0.25; 16]);
}

#[test]
fn rmf_round_trip_small() {
    let dir = testing::scratch("rmf_round_trip_small");
    let p = dir.join("x.rmf");
    let r = small_rmf();
    write_rmf(
        &Output::new(p.to_str().unwrap(), false),
        &r,
        "FPMA",
        &["test".into()],
    )
    .unwrap();
    let b = Rmf::read(&p).unwrap();
    assert_eq!(b.rows, r.rows);
    assert_eq!(b.nchan, 10);
    assert_eq!(b.first_channel, 0);
    assert_eq!(b.energy_hi, r.energy_hi);
    for (x, y) in b.e_min.iter().zip(&r.e_min) {
        assert!((x - y).abs() < 1e-6);
    }
}

#[test]
fn rmf_round_trip_real() {
    let Some(src) = testing::shared("rmf_round_trip_real", "caldb/nuAdet3_20100101v002.rmf.gz")
    else {
        return;
    };
    let dir = testing::scratch("rmf_round_trip_real");
    let p = dir.join("det3.rmf");
    let r = Rmf::read(&src).unwrap();
    write_rmf(&Output::new(p.to_str().unwrap(), false), &r, "FPMA", &[]).unwrap();
    let b = Rmf::read(&p).unwrap();
    assert_eq!(b.rows, r.rows);
    assert_eq!(b.e_min, r.e_min);
    assert_eq!(b.energy_lo, r.energy_lo);
}
