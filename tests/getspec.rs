//! getspec: event selection agrees with the region engine's mask, spectra and grouping
//! read back, the RMF is the event-weighted sum of the CALDB detector RMFs (a stand-in
//! CALDB: the real DET3 RMF and three modified copies), and bad input writes nothing.

use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::obs::caldb::Caldb;
use nuskybgd::obs::caldb_index::{write_index, IndexEntry};
use nuskybgd::sky::mkimgs::mkimgs;
use nuskybgd::sky::regmask::region_mask;
use nuskybgd::spectral::grouping::group_min;
use nuskybgd::spectral::optimal::{fwhm_per_channel, group_optimal};
use nuskybgd::spectral::pha::Spectrum;
use nuskybgd::spectral::response::Rmf;
use nuskybgd::spectral::rmf_ops::dense_row;
use nuskybgd::spectral::write::write_rmf;
use nuskybgd::testing;
use nuskybgd::workflow::detrmf::RmfSource;
use nuskybgd::workflow::getspec::{getspec, GetspecRequest, Grouping};
use std::path::{Path, PathBuf};

/// One synthetic event: sky X, Y (real-valued), PI, DET_ID.
type Ev = (f64, f64, i64, i64);

fn write_events(path: &Path, instrume: &str, evs: &[Ev], with_det: bool) {
    Output::new(path.to_str().unwrap(), true)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let mut cols = vec![("X", "1E", "pixel"), ("Y", "1E", "pixel"), ("PI", "1J", "")];
            if with_det {
                cols.push(("DET_ID", "1I", ""));
            }
            f.create_table("EVENTS", &cols, evs.len())?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", instrume, "")?;
            f.set_key_str("DATE-OBS", "2016-02-12T19:06:40", "")?;
            f.set_key_str("OBS_ID", "60001047002", "")?;
            f.set_key_str("OBJECT", "Test field", "")?;
            f.set_key_f64("RA_NOM", 40.25, "")?;
            f.set_key_f64("EXPOSURE", 41234.5, "")?;
            f.set_key_f64("LIVETIME", 40000.25, "")?;
            for (c, t) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("TCTYP{c}"), t, "")?;
                f.set_key_f64(&format!("TCRPX{c}"), 500.5, "")?;
                f.set_key_f64(&format!("TCRVL{c}"), if c == 1 { 40.0 } else { -5.0 }, "")?;
                let d = 6.828076e-4;
                f.set_key_f64(&format!("TCDLT{c}"), if c == 1 { -d } else { d }, "")?;
                f.set_key_i64(&format!("TLMIN{c}"), 1, "")?;
                f.set_key_i64(&format!("TLMAX{c}"), 1000, "")?;
            }
            f.write_col_f64(1, &evs.iter().map(|e| e.0).collect::<Vec<_>>())?;
            f.write_col_f64(2, &evs.iter().map(|e| e.1).collect::<Vec<_>>())?;
            f.write_col_i64(3, &evs.iter().map(|e| e.2).collect::<Vec<_>>())?;
            if with_det {
                f.write_col_i64(4, &evs.iter().map(|e| e.3).collect::<Vec<_>>())?;
            }
            Ok(())
        })
        .unwrap();
}

/// Events: (count, x, y, pi, det). Inside `box(300,300,21,21,0)` (pixels 290..310):
/// 50 + 30 + 20 + 10 events on DET0, DET1, DET3, DET2; 25 outside.
const GROUPS: &[(usize, f64, f64, i64, i64)] = &[
    (50, 300.0, 300.0, 100, 0),
    (30, 295.0, 305.0, 200, 1),
    (20, 310.0, 290.0, 4000, 3),
    (10, 310.4, 300.0, 150, 2),
    (4, 310.6, 300.0, 150, 2),
    (7, 311.0, 300.0, 100, 0),
    (5, 289.0, 300.0, 100, 1),
    (9, 600.0, 600.0, 300, 3),
];

fn events() -> Vec<Ev> {
    GROUPS
        .iter()
        .flat_map(|&(n, x, y, pi, d)| std::iter::repeat_n((x, y, pi, d), n))
        .collect()
}

/// Stand-in CALDB: GRPRMF index rows DET0..3 (DEPTHCUT(NOMINAL)) → grprmf file with four
/// RMFFILE extensions; plus a later DET0 row with another boundary that must be ignored.
fn standin_caldb(root: &Path, rmf_names: &[&str; 4]) {
    let dir = root.join("data/nustar/fpm/cpf/rmf");
    std::fs::create_dir_all(&dir).unwrap();
    let grp = |name: &str, files: &[&str; 4]| {
        Output::new(dir.join(name).to_str().unwrap(), true)
            .write_fits(|f| {
                f.write_image(&Image::zeros(0, 0), 8)?;
                for (d, file) in files.iter().enumerate() {
                    f.create_table("GRPRMF", &[("RMFFILE", "40A", ""), ("GRADE", "20A", "")], 1)?;
                    f.set_key_str("DETNAM", &format!("DET{d}"), "")?;
                    f.write_col_str(1, &[file.to_string()])?;
                    f.write_col_str(2, &["0-4".to_string()])?;
                }
                Ok(())
            })
            .unwrap()
    };
    grp("nuAgrprmf20100101v001.fits", rmf_names);
    grp("nuAgrprmf20100101v999.fits", &["missing.rmf"; 4]);
    let idx = root.join("data/nustar/fpm/caldb.indx");
    let dir = "data/nustar/fpm/cpf/rmf";
    let rows: Vec<IndexEntry> = (0..4)
        .map(|d| {
            IndexEntry::new(
                "FPMA",
                "GRPRMF",
                &format!("DET{d}"),
                dir,
                "nuAgrprmf20100101v001.fits",
            )
            .ext(d + 1)
            .boundary("DEPTHCUT(NOMINAL)")
        })
        // a later entry of another depth cut, which must not be chosen
        .chain(std::iter::once(
            IndexEntry::new("FPMA", "GRPRMF", "DET0", dir, "nuAgrprmf20100101v999.fits")
                .ext(1)
                .from_date("2012-01-01")
                .boundary("DEPTHCUT(SHALLOW)"),
        ))
        .collect();
    write_index(&Output::new(idx.to_str().unwrap(), true), &rows, |_| Ok(())).unwrap();
}

fn req(evt: &Path, reg: &Path, out: &Path, rmf: RmfSource, group: Grouping) -> GetspecRequest {
    GetspecRequest {
        evt: evt.to_path_buf(),
        reg: reg.to_path_buf(),
        outdir: out.to_path_buf(),
        outprefix: None,
        group,
        rmf,
        clobber: false,
    }
}

#[test]
fn spectrum_grouping_and_event_weighted_caldb_rmf() {
    let Some(real) = testing::shared("getspec_caldb", "caldb/nuAdet3_20100101v002.rmf.gz") else {
        return;
    };
    let dir = testing::scratch("getspec_caldb");
    let caldb = dir.join("caldb");
    let rmfdir = caldb.join("data/nustar/fpm/cpf/rmf");
    std::fs::create_dir_all(&rmfdir).unwrap();
    let t0 = std::time::Instant::now();
    let r3 = Rmf::read(&real).unwrap();
    eprintln!("real RMF read in {:.1} s", t0.elapsed().as_secs_f64());
    std::fs::copy(&real, rmfdir.join("nuAdet3_20100101v002.rmf.gz")).unwrap();
    // stand-ins for DET0-2: scaled, shifted by 3 channels, and energy-dependent scaling
    let mut r0 = r3.clone();
    r0.rows
        .iter_mut()
        .flatten()
        .for_each(|(_, v)| v.iter_mut().for_each(|x| *x *= 0.9));
    let mut r1 = r3.clone();
    for runs in r1.rows.iter_mut() {
        for (c0, v) in runs.iter_mut() {
            *c0 += 3;
            v.truncate(4096usize.saturating_sub(*c0));
        }
        runs.retain(|(c0, v)| *c0 < 4096 && !v.is_empty());
    }
    let mut r2 = r3.clone();
    for (e, runs) in r2.rows.iter_mut().enumerate() {
        let k = 1.0 + e as f64 / 4096.0;
        runs.iter_mut()
            .for_each(|(_, v)| v.iter_mut().for_each(|x| *x *= k));
    }
    let names = [
        "det0_standin.rmf",
        "det1_standin.rmf",
        "det2_standin.rmf",
        "nuAdet3_20100101v002.rmf.gz",
    ];
    let t0 = std::time::Instant::now();
    for (r, n) in [(&r0, names[0]), (&r1, names[1]), (&r2, names[2])] {
        write_rmf(
            &Output::new(rmfdir.join(n).to_str().unwrap(), true),
            r,
            "FPMA",
            &[],
        )
        .unwrap();
    }
    eprintln!(
        "3 stand-in RMFs written in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    standin_caldb(&caldb, &names);

    let evt = dir.join("ev.fits");
    write_events(&evt, "FPMA", &events(), true);
    let reg = dir.join("src.reg");
    std::fs::write(
        &reg,
        "# Region file format: DS9\nimage\nbox(300,300,21,21,0)\n",
    )
    .unwrap();
    let t0 = std::time::Instant::now();
    let r = req(
        &evt,
        &reg,
        &dir,
        RmfSource::Caldb(Caldb {
            root: caldb.clone(),
        }),
        Grouping::Min(30),
    );
    let s = getspec(&r).unwrap();
    eprintln!(
        "getspec with 4 CALDB RMFs: {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(s.per_det, [50, 30, 10, 20]);
    assert_eq!(s.events, 110);
    assert_eq!(s.npix, 441);
    assert_eq!(s.pha, dir.join("src_sr.pha"));
    assert_eq!(s.grouped, dir.join("src_sr_g30.pha"));

    // spectrum
    let sp = Spectrum::read_at(&s.pha, None).unwrap();
    assert_eq!(sp.len(), 4096);
    let mut want = vec![0.0; 4096];
    want[100] = 50.0;
    want[200] = 30.0;
    want[4000] = 20.0;
    want[150] = 10.0;
    assert_eq!(sp.counts, want);
    assert_eq!(sp.exposure, 41234.5);
    assert_eq!(sp.backscal, 441.0 / 1e6);
    assert_eq!(sp.respfile.as_deref(), Some("src_sr.rmf"));
    assert_eq!(sp.instrume, "FPMA");
    let mut f = Fits::open(&s.pha).unwrap();
    assert_eq!(f.key_str("INSTRUME").unwrap(), "FPMA");
    assert_eq!(f.key_str("DATE-OBS").unwrap(), "2016-02-12T19:06:40");
    f.goto_named("SPECTRUM").unwrap();
    assert_eq!(f.key_f64("LIVETIME").unwrap(), 40000.25);
    assert_eq!(f.key_str("OBS_ID").unwrap(), "60001047002");
    assert_eq!(f.key_str("OBJECT").unwrap(), "Test field");
    assert_eq!(f.key_f64("RA_NOM").unwrap(), 40.25);
    assert_eq!(f.key_str("HDUCLAS2").unwrap(), "TOTAL");

    // grouped copy: grppha 'group min 30' semantics
    let g = Spectrum::read_at(&s.grouped, None).unwrap();
    assert_eq!(g.counts, want);
    let (eg, eq) = group_min(&want, &vec![0; 4096], 30.0);
    assert_eq!(g.grouping, eg);
    assert_eq!(g.quality, eq);
    // by hand: 0-100 (50 counts), 101-200 (40), then a tail of 20 < 30 counts flagged bad
    assert_eq!(g.grouping[0], 1);
    assert!(g.grouping[1..=100].iter().all(|v| *v == -1));
    assert_eq!(g.grouping[101], 1);
    assert!(g.grouping[102..=200].iter().all(|v| *v == -1));
    assert!(g.grouping[201..].iter().all(|v| *v == 1));
    assert!(g.quality[..201].iter().all(|v| *v == 0) && g.quality[201..].iter().all(|v| *v == 2));
    assert_eq!(s.groups, 2 + (4096 - 201));

    // RMF = sum_d n_d RMF_d / sum n, against the stand-ins as read back from disk
    let disk: Vec<Rmf> = names
        .iter()
        .map(|n| Rmf::read(&rmfdir.join(n)).unwrap())
        .collect();
    let out = Rmf::read(&s.rmf).unwrap();
    let w = [50.0 / 110.0, 30.0 / 110.0, 10.0 / 110.0, 20.0 / 110.0];
    let mut checked = 0;
    for e in [0, 50, 200, 1000, 2500, 3500] {
        let got = dense_row(&out, e);
        let mut exp = vec![0.0; 4096];
        for d in 0..4 {
            for (x, v) in exp.iter_mut().zip(dense_row(&disk[d], e)) {
                *x += w[d] * v;
            }
        }
        let peak = exp.iter().cloned().fold(0.0, f64::max);
        assert!(peak > 0.0, "row {e} empty");
        for c in 0..4096 {
            assert!(
                (got[c] - exp[c]).abs() <= 1e-6 * peak,
                "row {e} channel {c}: {} vs {}",
                got[c],
                exp[c]
            );
        }
        // the shifted DET1 copy makes the sum differ from any single detector's row
        let r3row = dense_row(&disk[3], e);
        assert!(got
            .iter()
            .zip(&r3row)
            .any(|(a, b)| (a - b).abs() > 1e-4 * peak));
        checked += 1;
    }
    assert_eq!(checked, 6);
    assert_eq!(out.e_min.len(), 4096);
    let mut h = Fits::open(&s.rmf).unwrap();
    h.goto_named("MATRIX").unwrap();
    assert_eq!(h.key_str("INSTRUME").unwrap(), "FPMA");
    // without clobber a second run refuses; with it, it replaces
    assert!(getspec(&r).unwrap_err().to_string().contains("exists"));
}

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
                        .map(|c| 1.0 - (c as f64 - e as f64).abs() / 10.0)
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

    // end to end: group=optimal writes _sr_opt.pha with that grouping
    let dir = testing::scratch("getspec_opt");
    let rmf_path = dir.join("tri.rmf");
    write_rmf(
        &Output::new(rmf_path.to_str().unwrap(), false),
        &rmf,
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

#[test]
fn region_selection_agrees_with_the_region_mask_on_real_events() {
    let Some(evt) = testing::shared(
        "getspec_real",
        "data/real/90410111001/nu90410111001A06_cl_sunpos.evt.gz",
    ) else {
        return;
    };
    let Some(diag) = testing::shared("getspec_real", "auxil/diag.rmf") else {
        return;
    };
    let dir = testing::scratch("getspec_real");
    let mut f = Fits::open(&evt).unwrap();
    f.goto_named("EVENTS").unwrap();
    let (x, y, pi) = (
        f.read_col_f64("X").unwrap(),
        f.read_col_f64("Y").unwrap(),
        f.read_col_f64("PI").unwrap(),
    );
    let det = f.read_col_f64("DET_ID").unwrap();
    let mut xs = x.clone();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mut ys = y.clone();
    ys.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let (cx, cy) = (xs[xs.len() / 2], ys[ys.len() / 2]);
    let reg = dir.join("blob.reg");
    std::fs::write(
        &reg,
        format!("image\ncircle({cx},{cy},60)\n-box({cx},{cy},20,30,0)\n"),
    )
    .unwrap();
    let s = getspec(&req(
        &evt,
        &reg,
        &dir,
        RmfSource::File(diag),
        Grouping::Min(30),
    ))
    .unwrap();
    // the mask of the mkimgs sky image (the region engine on the image grid) selects the
    // same events: full band PI 1-4095 (mkimgs' channel rule drops PI 0)
    let im = mkimgs(&evt, dir.join("im").to_str().unwrap(), 1.6, 165.44, false).unwrap();
    let sky = Fits::open(&im.sky_path).unwrap().read_image().unwrap();
    let m = region_mask(&im.sky_path, &reg).unwrap();
    let in_mask: f64 = sky.data.iter().zip(&m.data).map(|(a, b)| a * b).sum();
    let sp = Spectrum::read_at(&s.pha, None).unwrap();
    assert!(in_mask > 100.0, "{in_mask}");
    assert_eq!(sp.counts[1..].iter().sum::<f64>(), in_mask);
    assert_eq!(s.npix as f64, m.sum());
    assert_eq!(sp.backscal, m.sum() / 9e6, "3000x3000 solar grid");
    // and an independent per-channel, per-detector count from the columns
    let mut want = vec![0.0; 4096];
    let mut nd = [0u64; 4];
    for i in 0..x.len() {
        let (ix, iy) = (x[i].round() as usize - 1, y[i].round() as usize - 1);
        if m.get(ix, iy) == 1.0 {
            want[pi[i] as usize] += 1.0;
            nd[det[i] as usize] += 1;
        }
    }
    assert_eq!(sp.counts, want);
    assert_eq!(s.per_det, nd);
    assert_eq!(sp.exposure, 70.0321908915824);
    assert_eq!(
        Fits::open(&s.pha)
            .unwrap()
            .key_str("OBJECT")
            .unwrap_or_default(),
        "Sol_18271_Pos111"
    );
}

#[test]
fn bad_input_is_refused_and_nothing_written() {
    let Some(diag) = testing::shared("getspec_bad", "auxil/diag.rmf") else {
        return;
    };
    let dir = testing::scratch("getspec_bad");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let evt = dir.join("ev.fits");
    write_events(&evt, "FPMA", &events(), true);
    let good = dir.join("src.reg");
    std::fs::write(&good, "image;box(300,300,21,21,0)\n").unwrap();
    let bad = |evt: &Path, reg: &Path, rmf: &Path, want: &str| {
        let e = getspec(&req(
            evt,
            reg,
            &out,
            RmfSource::File(rmf.to_path_buf()),
            Grouping::Min(30),
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains(want), "wanted '{want}' in: {e}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "after: {e}");
    };
    bad(
        &evt,
        &dir.join("none.reg"),
        &diag,
        "cannot read region file",
    );
    let syntax = dir.join("syntax.reg");
    std::fs::write(&syntax, "image\ncircle(300,300)\n").unwrap();
    bad(
        &evt,
        &syntax,
        &diag,
        "syntax.reg:2: circle needs at least 3",
    );
    let off = dir.join("off.reg");
    std::fs::write(&off, "image;circle(5000,5000,10)\n").unwrap();
    bad(&evt, &off, &diag, "wholly off");
    let empty = dir.join("empty.reg");
    std::fs::write(&empty, "image;circle(800,800,10)\n").unwrap();
    bad(&evt, &empty, &diag, "no events");
    let xmm = dir.join("xmm.fits");
    write_events(&xmm, "EPN", &events(), true);
    bad(&xmm, &good, &diag, "expected FPMA or FPMB");
    let nodet = dir.join("nodet.fits");
    write_events(&nodet, "FPMA", &events(), false);
    bad(&nodet, &good, &diag, "DET_ID");
    bad(&evt, &good, &dir.join("none.rmf"), "RMF file not found");
    bad(&dir.join("none.evt"), &good, &diag, "none.evt");
    // an existing output is kept (and nothing else written) without clobber
    let keep = out.join("src_sr.rmf");
    std::fs::write(&keep, "old").unwrap();
    let e = getspec(&req(
        &evt,
        &good,
        &out,
        RmfSource::File(diag.clone()),
        Grouping::Min(30),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "old");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    let mut r = req(&evt, &good, &out, RmfSource::File(diag), Grouping::Min(5));
    r.clobber = true;
    r.outprefix = Some("src".into());
    let s = getspec(&r).unwrap();
    assert_eq!(s.grouped, out.join("src_sr_g5.pha"));
    assert!(Rmf::read(&keep).is_ok());
    assert!(Grouping::parse("0").is_err() && Grouping::parse("x").is_err());
    assert_eq!(Grouping::parse("optimal").unwrap(), Grouping::Optimal);
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args(args)
        .env_remove("CALDB")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn command_line_getspec_absrmf_refspec() {
    let (Some(diag), Some(da), Some(auxil)) = (
        testing::shared("getspec_cli", "auxil/diag.rmf"),
        testing::shared("getspec_cli", "caldb/nuAdetabs20100101v002.fits.gz"),
        testing::shared("getspec_cli", "auxil"),
    ) else {
        return;
    };
    let dir = testing::scratch("getspec_cli");
    let evt = dir.join("ev.fits");
    write_events(&evt, "FPMA", &events(), true);
    let reg = dir.join("bgd1.reg");
    std::fs::write(&reg, "image;box(300,300,21,21,0)\n").unwrap();
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let (code, out, err) = cli(&[
        "getspec",
        &p(&evt),
        &format!("reg={}", p(&reg)),
        &format!("outdir={}", p(&dir)),
        &format!("rmffile={}", p(&diag)),
        "group=20",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("110 events in 441 sky pixels"), "{out}");
    assert!(dir.join("bgd1_sr_g20.pha").is_file() && dir.join("bgd1_sr.rmf").is_file());
    // no CALDB and no rmffile: one clear line, non-zero exit, nothing written
    let (code, _, err) = cli(&[
        "getspec",
        &p(&evt),
        &format!("reg={}", p(&reg)),
        &format!("outprefix={}", "x"),
        &format!("outdir={}", p(&dir)),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("$CALDB is not set") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(!dir.join("x_sr.pha").exists());
    let (code, _, err) = cli(&["getspec", &p(&evt), "outdir=."]);
    assert_eq!(code, 1);
    assert!(err.contains("missing required argument reg="), "{err}");
    // absrmf then refspec in the same directory
    let (code, out, err) = cli(&[
        "absrmf",
        &p(&evt),
        &p(&dir.join("det")),
        &format!("rmffile={}", p(&diag)),
        &format!("detabsfile={}", p(&da)),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 4, "{out}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args(["refspec", &format!("dir={}", p(&dir)), "mods=A", "dets=03"])
        .env("NUSKYBGD_AUXIL", &auxil)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "aperbgdA_det0.pha",
        "fcxbbgdA_det0.pha",
        "aperbgdA_det3.pha",
        "fcxbbgdA_det3.pha",
    ] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    assert!(!dir.join("aperbgdA_det1.pha").exists());
    let (code, _, err) = cli(&["refspec", "mods=C"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a module"), "{err}");
}

/// Real CALDB indexes store CAL_CBD as several 70-character strings per row (TFORM 630A70):
/// the boundary filter reads every string of the row.
#[test]
fn grprmf_boundary_filter_reads_vector_cal_cbd() {
    let dir = testing::scratch("getspec_cbd");
    let bcf = dir.join("data/nustar/fpm/bcf");
    std::fs::create_dir_all(&bcf).unwrap();
    for n in ["nominal.fits", "shallow.fits"] {
        std::fs::write(bcf.join(n), "").unwrap();
    }
    let idx = dir.join("data/nustar/fpm/caldb.indx");
    let cbd: Vec<String> = [
        "GRADE(0-4)",
        "DEPTHCUT(NOMINAL)",
        "",
        "DEPTHCUT(SHALLOW)",
        "GRADE(0-4)",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Output::new(idx.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            let cols = [
                ("TELESCOP", "10A", ""),
                ("INSTRUME", "10A", ""),
                ("DETNAM", "20A", ""),
                ("CAL_DIR", "70A", ""),
                ("CAL_FILE", "40A", ""),
                ("CAL_CNAM", "20A", ""),
                ("CAL_XNO", "1I", ""),
                ("CAL_VSD", "10A", ""),
                ("CAL_VST", "8A", ""),
                ("CAL_CBD", "210A70", ""),
            ];
            f.create_table("CIF", &cols, 2)?;
            let two = |v: &str| vec![v.to_string(); 2];
            f.write_col_str(1, &two("NUSTAR"))?;
            f.write_col_str(2, &two("FPMB"))?;
            f.write_col_str(3, &two("DET2"))?;
            f.write_col_str(4, &two("data/nustar/fpm/bcf"))?;
            f.write_col_str(5, &["nominal.fits".to_string(), "shallow.fits".to_string()])?;
            f.write_col_str(6, &two("GRPRMF"))?;
            f.write_col_i64(7, &[3, 3])?;
            f.write_col_str(8, &["2010-01-01".to_string(), "2013-01-01".to_string()])?;
            f.write_col_str(9, &two("00:00:00"))?;
            f.write_col_str(10, &cbd)
        })
        .unwrap();
    let mut f = Fits::open(&idx).unwrap();
    f.goto_hdu(2).unwrap();
    assert_eq!(
        f.read_col_str_joined("CAL_CBD").unwrap(),
        vec![
            "GRADE(0-4) DEPTHCUT(NOMINAL)",
            "DEPTHCUT(SHALLOW) GRADE(0-4)"
        ]
    );
    let c = Caldb { root: dir.clone() };
    let date = "2016-02-12T19:06:40";
    let nominal = c
        .lookup_boundary("GRPRMF", "FPMB", Some("DET2"), date, "DEPTHCUT(NOMINAL)")
        .unwrap();
    assert!(nominal.path.ends_with("nominal.fits") && nominal.ext == 3);
    // without the filter the later (shallow) entry wins, as before
    assert!(c
        .lookup("GRPRMF", "FPMB", Some("DET2"), date)
        .unwrap()
        .path
        .ends_with("shallow.fits"));
    let e = c
        .lookup_boundary("GRPRMF", "FPMB", Some("DET2"), date, "DEPTHCUT(DEEP)")
        .unwrap_err();
    assert!(e.to_string().contains("CAL_CBD DEPTHCUT(DEEP)"), "{e}");
}
