//! getspec: event selection agrees with the region engine's mask, spectra and grouping
//! read back, the RMF is the event-weighted sum of the CALDB detector RMFs (a stand-in
//! CALDB: the real DET3 RMF and three modified copies), and bad input writes nothing.

use crate::support::mkimgs;
use crate::support::{self, assert_variant};
use nuskybgd::bgmodel::detrmf::RmfSource;
use nuskybgd::error::{IoError, ModelError, NustarError, SkyError, TaskError};
use nuskybgd::io::fits::Fits;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::sky::regmask::region_mask;
use nuskybgd::spectral::grouping::group_min;
use nuskybgd::spectral::ogip::pha::Spectrum;
use nuskybgd::spectral::ogip::rmf::write_rmf;
use nuskybgd::spectral::ogip::rmf::Rmf;
use nuskybgd::spectral::rmf_ops::dense_row;
use nuskybgd::tasks::getspec::{getspec, Grouping};
use nuskybgd::Error;
use std::path::{Path, PathBuf};

use crate::support::getspec_fixture::*;

/// The four detector RMF names of the stand-in CALDB (DET0-2 stand-ins, the real DET3).
const NAMES: [&str; 4] = [
    "det0_standin.rmf",
    "det1_standin.rmf",
    "det2_standin.rmf",
    "nuAdet3_20100101v002.rmf.gz",
];

/// Copies the real DET3 RMF into `rmfdir` and writes the three modified DET0-2 stand-ins.
fn write_standin_rmfs(real: &Path, rmfdir: &Path) {
    let t0 = std::time::Instant::now();
    let r3 = Rmf::read(real).unwrap();
    eprintln!("real RMF read in {:.1} s", t0.elapsed().as_secs_f64());
    std::fs::copy(real, rmfdir.join("nuAdet3_20100101v002.rmf.gz")).unwrap();
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
        let k = 1.0 + e as f32 / 4096.0;
        runs.iter_mut()
            .for_each(|(_, v)| v.iter_mut().for_each(|x| *x *= k));
    }
    let t0 = std::time::Instant::now();
    for (r, n) in [(&r0, NAMES[0]), (&r1, NAMES[1]), (&r2, NAMES[2])] {
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
}

/// The ungrouped spectrum: counts per channel, exposure, BACKSCAL and header keywords.
fn check_spectrum(pha: &Path, want: &[f64]) {
    let sp = Spectrum::read_at(pha, None).unwrap();
    assert_eq!(sp.len(), 4096);
    assert_eq!(sp.counts, want);
    assert_eq!(sp.exposure, 41234.5);
    assert_eq!(sp.backscal, 441.0 / 1e6);
    assert_eq!(sp.respfile.as_deref(), Some("src_sr.rmf"));
    assert_eq!(sp.instrume, "FPMA");
    let mut f = Fits::open(pha).unwrap();
    assert_eq!(f.key_str("INSTRUME").unwrap(), "FPMA");
    assert_eq!(f.key_str("DATE-OBS").unwrap(), "2016-02-12T19:06:40");
    f.goto_named("SPECTRUM").unwrap();
    assert_eq!(f.key_f64("LIVETIME").unwrap(), 40000.25);
    assert_eq!(f.key_str("OBS_ID").unwrap(), "60001047002");
    assert_eq!(f.key_str("OBJECT").unwrap(), "Test field");
    assert_eq!(f.key_f64("RA_NOM").unwrap(), 40.25);
    assert_eq!(f.key_str("HDUCLAS2").unwrap(), "TOTAL");
}

/// The grouped copy follows grppha 'group min 30' semantics, by rule and by hand.
fn check_grouping(grouped: &Path, want: &[f64], groups: usize) {
    let g = Spectrum::read_at(grouped, None).unwrap();
    assert_eq!(g.counts, want);
    let (eg, eq) = group_min(want, &vec![0; 4096], 30.0);
    assert_eq!(g.grouping, eg);
    assert_eq!(g.quality, eq);
    // by hand: 0-100 (50 counts), 101-200 (40), then a tail of 20 < 30 counts flagged bad
    assert_eq!(g.grouping[0], 1);
    assert!(g.grouping[1..=100].iter().all(|v| *v == -1));
    assert_eq!(g.grouping[101], 1);
    assert!(g.grouping[102..=200].iter().all(|v| *v == -1));
    assert!(g.grouping[201..].iter().all(|v| *v == 1));
    assert!(g.quality[..201].iter().all(|v| *v == 0) && g.quality[201..].iter().all(|v| *v == 2));
    assert_eq!(groups, 2 + (4096 - 201));
}

/// The output RMF is sum_d n_d RMF_d / sum n of the stand-ins as read back from disk.
fn check_weighted_rmf(rmf: &Path, rmfdir: &Path) {
    let disk: Vec<Rmf> = NAMES
        .iter()
        .map(|n| Rmf::read(&rmfdir.join(n)).unwrap())
        .collect();
    let out = Rmf::read(rmf).unwrap();
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
    let mut h = Fits::open(rmf).unwrap();
    h.goto_named("MATRIX").unwrap();
    assert_eq!(h.key_str("INSTRUME").unwrap(), "FPMA");
}

#[test]
fn spectrum_grouping_and_event_weighted_caldb_rmf() {
    let Some(real) = support::shared("getspec_caldb", "caldb/nuAdet3_20100101v002.rmf.gz") else {
        return;
    };
    let dir = support::scratch("getspec_caldb");
    let caldb = dir.join("caldb");
    let rmfdir = caldb.join("data/nustar/fpm/cpf/rmf");
    std::fs::create_dir_all(&rmfdir).unwrap();
    write_standin_rmfs(&real, &rmfdir);
    standin_caldb(&caldb, &NAMES);

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
    let mut want = vec![0.0; 4096];
    want[100] = 50.0;
    want[200] = 30.0;
    want[4000] = 20.0;
    want[150] = 10.0;
    check_spectrum(&s.pha, &want);
    // grouped copy: grppha 'group min 30' semantics
    check_grouping(&s.grouped, &want, s.groups);
    // RMF = sum_d n_d RMF_d / sum n, against the stand-ins as read back from disk
    check_weighted_rmf(&s.rmf, &rmfdir);
    // without clobber a second run refuses; with it, it replaces
    let e = getspec(&r).unwrap_err();
    assert!(e.to_string().contains("exists"));
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
}

#[test]
fn region_selection_agrees_with_the_region_mask_on_real_events() {
    let Some(evt) = support::shared(
        "getspec_real",
        "data/real/90410111001/nu90410111001A06_cl_sunpos.evt.gz",
    ) else {
        return;
    };
    let Some(diag) = support::shared("getspec_real", "auxil/diag.rmf") else {
        return;
    };
    let dir = support::scratch("getspec_real");
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

/// Without clobber an existing output is kept and nothing else written; with it, replaced.
fn existing_output_is_kept_then_clobbered(evt: &Path, good: &Path, out: &Path, diag: PathBuf) {
    let keep = out.join("src_sr.rmf");
    std::fs::write(&keep, "old").unwrap();
    let e = getspec(&req(
        evt,
        good,
        out,
        RmfSource::File(diag.clone()),
        Grouping::Min(30),
    ))
    .unwrap_err();
    assert!(e.to_string().contains("exists"), "{e}");
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "old");
    assert_eq!(std::fs::read_dir(out).unwrap().count(), 1);
    let mut r = req(evt, good, out, RmfSource::File(diag), Grouping::Min(5));
    r.clobber = true;
    r.outprefix = Some("src".into());
    let s = getspec(&r).unwrap();
    assert_eq!(s.grouped, out.join("src_sr_g5.pha"));
    assert!(Rmf::read(&keep).is_ok());
    assert!(Grouping::parse("0").is_err() && Grouping::parse("x").is_err());
    assert_eq!(Grouping::parse("optimal").unwrap(), Grouping::Optimal);
}

#[test]
fn bad_input_is_refused_and_nothing_written() {
    let Some(diag) = support::shared("getspec_bad", "auxil/diag.rmf") else {
        return;
    };
    let dir = support::scratch("getspec_bad");
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
        .unwrap_err();
        assert!(e.to_string().contains(want), "wanted '{want}' in: {e}");
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "after: {e}");
        e
    };
    let e = bad(
        &evt,
        &dir.join("none.reg"),
        &diag,
        "cannot read region file",
    );
    assert_variant!(e, Error::Io(IoError::ReadRegion { .. }));
    let syntax = dir.join("syntax.reg");
    std::fs::write(&syntax, "image\ncircle(300,300)\n").unwrap();
    let e = bad(
        &evt,
        &syntax,
        &diag,
        "syntax.reg:2: circle needs at least 3",
    );
    assert_variant!(e, Error::Io(IoError::RegionSyntax { line: 2, .. }));
    let off = dir.join("off.reg");
    std::fs::write(&off, "image;circle(5000,5000,10)\n").unwrap();
    let e = bad(&evt, &off, &diag, "wholly off");
    assert_variant!(e, Error::Sky(SkyError::RegionOffImage { .. }));
    let empty = dir.join("empty.reg");
    std::fs::write(&empty, "image;circle(800,800,10)\n").unwrap();
    let e = bad(&evt, &empty, &diag, "no events");
    assert_variant!(e, Error::Task(TaskError::NoRegionEvents { .. }));
    let xmm = dir.join("xmm.fits");
    write_events(&xmm, "EPN", &events(), true);
    let e = bad(&xmm, &good, &diag, "expected FPMA or FPMB");
    assert_variant!(e, Error::Nustar(NustarError::BadInstrume { .. }));
    let nodet = dir.join("nodet.fits");
    write_events(&nodet, "FPMA", &events(), false);
    let e = bad(&nodet, &good, &diag, "DET_ID");
    assert_variant!(e, Error::Io(IoError::MissingColumn { .. }));
    let e = bad(&evt, &good, &dir.join("none.rmf"), "RMF file not found");
    assert_variant!(e, Error::Model(ModelError::RmfNotFound { .. }));
    let e = bad(&dir.join("none.evt"), &good, &diag, "none.evt");
    assert_variant!(e, Error::Io(IoError::NoSuchFile { .. }));
    // an existing output is kept (and nothing else written) without clobber
    existing_output_is_kept_then_clobbered(&evt, &good, &out, diag);
}

fn cli(args: &[&str]) -> (i32, String, String) {
    support::outcome(
        std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .args(args)
            .env_remove("CALDB"),
    )
}

#[test]
fn command_line_getspec_absrmf_refspec() {
    let (Some(diag), Some(da), Some(auxil)) = (
        support::shared("getspec_cli", "auxil/diag.rmf"),
        support::shared("getspec_cli", "caldb/nuAdetabs20100101v002.fits.gz"),
        support::shared("getspec_cli", "auxil"),
    ) else {
        return;
    };
    let dir = support::scratch("getspec_cli");
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
