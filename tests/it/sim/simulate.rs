//! The `simulate` task: determinism, counts against the truth (whole field and inside the
//! background regions), readability of every file through the project's readers (with the
//! synthetic instrument and with the real auxil), refusal to overwrite, and the command.

use crate::support;
use nuskybgd::bgmodel::arf::ArfInputs;
use nuskybgd::bgmodel::geometry::{region_weights, ModuleMaps};
use nuskybgd::bgmodel::presets::Presets;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::nustar::badpix::read_badpix;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::nustar::events::EventFile;
use nuskybgd::nustar::gti::Gti;
use nuskybgd::nustar::module::Module;
use nuskybgd::nustar::pixpos::PixelMap;
use nuskybgd::nustar::refpoint::read_refpoints;
use nuskybgd::sim::truth::{ModuleTruth, Truth};
use nuskybgd::sim::{simulate, ModuleFiles, SimRequest, SimSummary};
use nuskybgd::sky::aperture::aperture_image;
use nuskybgd::sky::refimg::RefImage;
use nuskybgd::sky::regmask::Grid;
use nuskybgd::spectral::ogip::{arf::Arf, rmf::Rmf};
use std::path::{Path, PathBuf};
use std::time::Instant;

fn run(dir: &Path, seed: u64, exposure: f64, keep: bool) -> SimSummary {
    let mut r = SimRequest::new(dir);
    r.seed = seed;
    r.exposure = exposure;
    r.keep_geometry = keep;
    simulate(&r).unwrap()
}

fn events_columns(p: &Path) -> Vec<Vec<i64>> {
    let mut e = EventFile::open(p).unwrap();
    ["PI", "X", "Y", "DET_ID", "DET1X", "DET1Y", "RAWX", "RAWY"]
        .iter()
        .map(|c| e.column_i64(c).unwrap())
        .collect()
}

#[test]
fn same_seed_same_files_other_seed_other_files() {
    let dir = support::scratch("sim_determinism");
    let a = run(&dir.join("a"), 3, 20000.0, false);
    let b = run(&dir.join("b"), 3, 20000.0, false);
    let c = run(&dir.join("c"), 4, 20000.0, false);
    for m in [Module::A, Module::B] {
        let (fa, fb, fc) = (a.module(m), b.module(m), c.module(m));
        for (x, y) in [
            (&fa.events, &fb.events),
            (&fa.det1, &fb.det1),
            (&fa.gti, &fb.gti),
        ] {
            assert_eq!(
                std::fs::read(x).unwrap(),
                std::fs::read(y).unwrap(),
                "{} differs between two runs with the same seed",
                x.display()
            );
        }
        assert_ne!(events_columns(&fa.events), events_columns(&fc.events));
        assert_ne!(
            std::fs::read(&fa.det1).unwrap(),
            std::fs::read(&fc.det1).unwrap()
        );
    }
    for r in ["bgd1A.reg", "bgd2B.reg", "srcA.reg"] {
        assert_eq!(
            std::fs::read(dir.join("a").join(r)).unwrap(),
            std::fs::read(dir.join("b").join(r)).unwrap()
        );
    }
    let ta = std::fs::read_to_string(&a.truth).unwrap();
    let tb = std::fs::read_to_string(&b.truth).unwrap();
    // identical apart from the output directory named in it
    assert_eq!(
        ta.replace(&dir.join("a").display().to_string(), "D"),
        tb.replace(&dir.join("b").display().to_string(), "D")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn within(drawn: f64, expected: f64, nsigma: f64) -> bool {
    (drawn - expected).abs() <= nsigma * expected.sqrt() + 1.0
}

#[test]
fn counts_agree_with_the_truth_in_the_field_and_in_regions() {
    let dir = support::scratch("sim_counts");
    let out = dir.join("sim");
    let t0 = Instant::now();
    let s = run(&out, 5, 50000.0, true);
    eprintln!(
        "simulate (50 ks, geometry kept): {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let truth = Truth::read(&s.truth).unwrap();
    assert!(truth.synthetic_auxil && truth.synthetic_caldb);
    assert_eq!(truth.seed, 5);
    let grid = Grid::read(&s.refimg).unwrap();
    let geo = s.geometry_dir.clone().unwrap();
    for m in [Module::A, Module::B] {
        let t = truth.module(m).unwrap();
        check_field_counts(t, m);

        // events inside each region against the truth's expected counts
        let maps = read_module_maps(&geo, m);
        let f = s.module(m);
        let mut ev = EventFile::open(&f.events).unwrap();
        assert_eq!(ev.len().unwrap(), t.events);
        let x = ev.column_i64("X").unwrap();
        let y = ev.column_i64("Y").unwrap();
        let regs: Vec<&PathBuf> = f.bgd_regions.iter().chain([&f.src_region]).collect();
        assert_eq!(regs.len(), 4);
        for reg in regs {
            check_region_counts(&truth, &grid, &maps, f, m, reg, (&x, &y));
        }
        check_det1_on_own_detector(&s, m, &mut ev, &x);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The drawn counts of every component and line of one module agree with the expected ones.
fn check_field_counts(t: &ModuleTruth, m: Module) {
    let l = m.letter();
    eprintln!(
        "FPM{l}: {} events, expected {:.1} (apbgd {:.1}/{}, intbgd {:.1}/{}, fcxb {:.1}/{}, intn {:.1}/{})",
        t.events,
        t.expected.total(),
        t.expected.apbgd,
        t.drawn.apbgd,
        t.expected.intbgd(),
        t.drawn.intbgd(),
        t.expected.fcxb,
        t.drawn.fcxb,
        t.expected.intn,
        t.drawn.intn
    );
    for (what, d, e) in [
        ("apbgd", t.drawn.apbgd, t.expected.apbgd),
        ("intbgd", t.drawn.intbgd(), t.expected.intbgd()),
        ("fcxb", t.drawn.fcxb, t.expected.fcxb),
        ("intn", t.drawn.intn, t.expected.intn),
    ] {
        assert!(e > 500.0, "{what}: expected only {e}");
        assert!(within(d, e, 5.0), "FPM{l} {what}: drawn {d}, expected {e}");
    }
    for c in 0..29 {
        assert!(
            within(t.drawn.lines[c], t.expected.lines[c], 5.0),
            "line {}",
            c + 1
        );
        if c < 3 {
            assert_eq!(t.expected.lines[c], 0.0, "soft lines are off");
        }
    }
    assert_eq!(t.drawn.total() as usize, t.events);
}

/// Reads the kept geometry images (aperture and detector masks) of one module.
fn read_module_maps(geo: &Path, m: Module) -> ModuleMaps {
    let l = m.letter();
    ModuleMaps {
        bgdap: Fits::open(geo.join(format!("bgdap{l}.fits")))
            .unwrap()
            .read_image()
            .unwrap(),
        det: [0, 1, 2, 3].map(|d| {
            Fits::open(geo.join(format!("det{d}{l}im.fits")))
                .unwrap()
                .read_image()
                .unwrap()
        }),
    }
}

/// The events inside one region agree with the truth's expected counts, and the truth file
/// lists the same numbers for it.
fn check_region_counts(
    truth: &Truth,
    grid: &Grid,
    maps: &ModuleMaps,
    f: &ModuleFiles,
    m: Module,
    reg: &Path,
    (x, y): (&[i64], &[i64]),
) {
    let w = region_weights(grid, reg, m, maps).unwrap();
    let region = grid.region(reg).unwrap();
    let n = (0..x.len())
        .filter(|&i| region.contains(x[i] as f64, y[i] as f64))
        .count() as f64;
    let e = truth.expected_counts(&w).unwrap();
    let norms = truth.expected_norms(&w).unwrap();
    eprintln!(
        "{}: {} px, area {:?}, apw {:.2}: {n} events, expected {e:.1}; apbgd norm {:.4e}, line 4 {:.4e}, fcxb {:.4e}, intn {:.4e}",
        reg.display(),
        w.pixels,
        w.area.map(|a| a.round()),
        w.apw,
        norms.apbgd,
        norms.lines[3],
        norms.fcxb,
        norms.intn
    );
    assert!(
        within(n, e, 5.0),
        "{}: {n} events, expected {e}",
        reg.display()
    );
    // the truth file lists the same numbers for the regions it wrote
    let name = reg.file_name().unwrap().to_str().unwrap();
    let j = &truth.json["regions"][name];
    assert!((j["expected_counts"].as_f64().unwrap() - e).abs() < 1e-6 * e);
    let ap = j["expected_norms"][0]["norm"].as_f64().unwrap();
    assert!(
        (ap - norms.apbgd).abs() < 1e-12 * norms.apbgd,
        "{ap} vs {}",
        norms.apbgd
    );
    if f.bgd_regions.iter().any(|b| b == reg) {
        assert!(
            w.pixels >= 3000,
            "{} has {} pixels",
            reg.display(),
            w.pixels
        );
    }
}

/// DET1 positions are the projection inverted: mostly on the event's own detector.
fn check_det1_on_own_detector(s: &SimSummary, m: Module, ev: &mut EventFile, x: &[i64]) {
    let det = ev.column_i64("DET_ID").unwrap();
    let d1x = ev.column_i64("DET1X").unwrap();
    let d1y = ev.column_i64("DET1Y").unwrap();
    let pm = PixelMap::from_auxil(&s.auxil, m).unwrap();
    let on_own = (0..x.len())
        .filter(|&i| pm.detnum[((d1y[i] - 1) * 360 + d1x[i] - 1) as usize] == det[i] as i32)
        .count();
    let frac = on_own as f64 / x.len() as f64;
    eprintln!(
        "FPM{}: {:.1}% of events have DET1X/Y on their own detector",
        m.letter(),
        100.0 * frac
    );
    assert!(frac > 0.9, "{frac}");
}

/// Every file opens through the project's readers.
fn check_readers(s: &SimSummary, exposure: f64) {
    let caldb = Caldb {
        root: s.caldb.clone(),
    };
    let presets = Presets::read(&s.auxil.join("ratios.json")).unwrap();
    assert_eq!(presets.intbgd.a.len(), 30);
    let refimg = RefImage::read(&s.refimg).unwrap();
    for m in [Module::A, Module::B] {
        let f = s.module(m);
        let date = check_event_files(f, m, exposure, &refimg);
        check_caldb_entries(s, &caldb, m, &date);
        let arf = Arf::read(&s.auxil.join(format!("fcxb{}.arf", m.letter()))).unwrap();
        let max = arf.area.iter().cloned().fold(0.0, f64::max);
        assert!((200.0..450.0).contains(&max), "{max}");
        assert_eq!(aperture_image(&s.auxil, m).unwrap().nx, 360);
        PixelMap::from_auxil(&s.auxil, m).unwrap();
        check_mkimgs_reference(s, f, m, &refimg);
    }
    Diag::check(&s.auxil);
}

/// The events, GTI and DET1 reference-point files of one module read back consistently;
/// returns the observation's DATE-OBS.
fn check_event_files(f: &ModuleFiles, m: Module, exposure: f64, refimg: &RefImage) -> String {
    let mut ev = EventFile::open(&f.events).unwrap();
    assert_eq!(ev.module, m);
    let wcs = ev.sky_wcs().unwrap();
    assert_eq!(wcs.crpix, [500.5, 500.5]);
    assert_eq!((wcs.tlmin, wcs.tlmax), ([1, 1], [1000, 1000]));
    assert_eq!(wcs.ctype[0], "RA---TAN");
    assert_eq!(ev.key_f64("EXPOSURE").unwrap(), Some(exposure));
    let pa = ev.key_f64("PA_PNT").unwrap().unwrap();
    assert_eq!(pa, refimg.pa_pnt);
    let date = ev
        .cards
        .iter()
        .find(|c| c.starts_with("DATE-OBS"))
        .and_then(|c| c.split('\'').nth(1))
        .unwrap()
        .trim()
        .to_string();
    let x = ev.column_i64("X").unwrap();
    let pi = ev.column_i64("PI").unwrap();
    let time = ev.column_f64("TIME").unwrap();
    assert!(x.iter().all(|v| (1..=1000).contains(v)));
    assert!(pi.iter().all(|v| (0..4096).contains(v)));
    assert!(time.windows(2).all(|w| w[0] <= w[1]), "time-ordered");
    let gti = Gti::read(&f.gti).unwrap();
    assert!((gti.total() - exposure).abs() < 1e-6);
    assert!(time
        .iter()
        .all(|t| (0..gti.start.len()).any(|g| *t >= gti.start[g] && *t <= gti.stop[g])));
    assert_eq!(Gti::read(&f.events).unwrap(), gti);
    let rp = read_refpoints(&f.det1).unwrap();
    assert_eq!(rp.module, m);
    let (xmin, xmax) =
        rp.x.iter()
            .fold((f64::MAX, f64::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
    let (ymin, ymax) =
        rp.y.iter()
            .fold((f64::MAX, f64::MIN), |a, v| (a.0.min(*v), a.1.max(*v)));
    eprintln!(
        "FPM{}: refpoint X {xmin:.1}..{xmax:.1}, Y {ymin:.1}..{ymax:.1}; PA_PNT {pa:.2}; {} GTIs",
        m.letter(),
        gti.start.len()
    );
    assert!((8.0..45.0).contains(&(xmax - xmin)) && (8.0..45.0).contains(&(ymax - ymin)));
    date
}

/// The CALDB entries one module needs are found and read (bad pixels, DETABS, grouped RMFs).
fn check_caldb_entries(s: &SimSummary, caldb: &Caldb, m: Module, date: &str) {
    let ins = format!("FPM{}", m.letter());
    caldb.lookup("INSTRMAP", &ins, None, date).unwrap();
    let bp = caldb.lookup("BADPIX", &ins, Some("DET0"), date).unwrap();
    let bad = read_badpix(&bp.path, m).unwrap().unwrap();
    if s.caldb_synthetic {
        assert_eq!(bad.pixels.len(), 8);
    }
    let da = caldb.lookup("DETABS", &ins, Some("DET2"), date).unwrap();
    assert_eq!(da.ext, 3);
    let inputs = ArfInputs::load(caldb, &s.auxil, m, date).unwrap();
    assert_eq!(inputs.detabs[3].len(), 4096);
    for d in 0..4 {
        let g = caldb
            .lookup("GRPRMF", &ins, Some(&format!("DET{d}")), date)
            .unwrap();
        assert_eq!(g.ext, d + 1);
        let mut gf = Fits::open(&g.path).unwrap();
        gf.goto_hdu(g.ext + 1).unwrap();
        let name = gf.read_col_str("RMFFILE").unwrap()[0].clone();
        let rmf = Rmf::read(&g.path.parent().unwrap().join(&name)).unwrap();
        assert_eq!((rmf.nchan, rmf.energy_lo.len()), (4096, 4096));
        if d == 0 && s.caldb_synthetic {
            // normalised rows; resolution grows with energy
            let width = |e: usize| rmf.rows[e][0].1.iter().filter(|v| **v > 0.01).count();
            assert!(width(3600) > width(210));
            let sum: f64 = rmf.rows[210][0].1.iter().map(|x| f64::from(*x)).sum();
            assert!((sum - 1.0).abs() < 1e-4, "{sum}");
        }
    }
}

/// mkimgs makes a reference image with the same grid and roll.
fn check_mkimgs_reference(s: &SimSummary, f: &ModuleFiles, m: Module, refimg: &RefImage) {
    let img = s.outdir.join(format!("im{}3to20keV", m.letter()));
    let sum = nuskybgd::tasks::mkimgs::mkimgs(&nuskybgd::tasks::mkimgs::MkimgsRequest {
        evt: std::path::PathBuf::from(&f.events),
        outname: img.to_string_lossy().into_owned(),
        elow: 3.0,
        ehigh: 20.0,
        clobber: false,
    })
    .unwrap();
    assert!(sum.sky_counts > 1000 && sum.sky_dropped == 0);
    let r = RefImage::read(&sum.sky_path).unwrap();
    assert_eq!(r.pa_pnt, refimg.pa_pnt);
    let g1 = Grid::read(&sum.sky_path).unwrap();
    let g2 = Grid::read(&s.refimg).unwrap();
    assert_eq!(g1.wcs, g2.wcs);
    let _: Image = Fits::open(&sum.sky_path).unwrap().read_image().unwrap();
}

struct Diag;
impl Diag {
    fn check(auxil: &Path) {
        let d = Rmf::read(&auxil.join("diag.rmf")).unwrap();
        assert_eq!(d.nchan, 4096);
        assert_eq!(d.rows[100], vec![(100, vec![1.0])]);
    }
}

#[test]
fn files_open_through_the_readers_synthetic_instrument() {
    let dir = support::scratch("sim_readers_synth");
    let s = run(&dir.join("sim"), 11, 20000.0, false);
    assert!(s.auxil_synthetic && s.caldb_synthetic);
    assert!(s.geometry_dir.is_none() && !s.outdir.join("truth/geometry").exists());
    for f in &s.written {
        assert!(f.exists(), "{} listed but missing", f.display());
    }
    check_readers(&s, 20000.0);
    // every synthetic calibration file says so
    let cal = std::fs::read(s.auxil.join("fcxbA.arf")).unwrap();
    assert!(String::from_utf8_lossy(&cal).contains("synthetic nuskybgd instrument"));
    let t = std::fs::read_to_string(s.auxil.join("ratios.json")).unwrap();
    assert!(t.contains("synthetic nuskybgd instrument, not NuSTAR calibration"));
    let t = std::fs::read_to_string(&s.truth).unwrap();
    assert!(t.contains("synthetic nuskybgd instrument, not NuSTAR calibration"));
    // the same calibration given explicitly (as a real one would be) is used, not rewritten,
    // and gives the same events
    let mut r = SimRequest::new(dir.join("given"));
    r.seed = 11;
    r.exposure = 20000.0;
    r.auxil = Some(s.auxil.clone());
    r.caldb = Some(s.caldb.clone());
    let g = simulate(&r).unwrap();
    assert!(!g.auxil_synthetic && !g.caldb_synthetic);
    assert!(!g.outdir.join("auxil").exists() && !g.outdir.join("caldb").exists());
    assert_eq!((&g.auxil, &g.caldb), (&s.auxil, &s.caldb));
    for m in [Module::A, Module::B] {
        assert_eq!(
            events_columns(&g.module(m).events),
            events_columns(&s.module(m).events)
        );
    }
    let truth = Truth::read(&g.truth).unwrap();
    assert!(!truth.synthetic_auxil && !truth.synthetic_caldb);
    // a CALDB without the needed entries is refused up front
    let mut r = SimRequest::new(dir.join("badcaldb"));
    r.caldb = Some(dir.join("nowhere"));
    assert!(simulate(&r)
        .unwrap_err()
        .to_string()
        .contains("CALDB index not found"));
    assert!(!dir.join("badcaldb").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_open_through_the_readers_real_auxil() {
    let Some(auxil) = support::shared("sim_readers_real_auxil", "auxil") else {
        return;
    };
    let dir = support::scratch("sim_readers_real");
    let mut r = SimRequest::new(dir.join("sim"));
    r.seed = 2;
    r.exposure = 20000.0;
    r.auxil = Some(auxil.clone());
    let s = simulate(&r).unwrap();
    assert!(!s.auxil_synthetic && s.caldb_synthetic);
    assert_eq!(s.auxil, auxil);
    assert!(!s.outdir.join("auxil").exists());
    check_readers(&s, 20000.0);
    let truth = Truth::read(&s.truth).unwrap();
    assert!(!truth.synthetic_auxil && truth.synthetic_caldb);
    for m in [Module::A, Module::B] {
        let t = truth.module(m).unwrap();
        eprintln!(
            "real auxil FPM{}: {} events, expected {:.1}",
            m.letter(),
            t.events,
            t.expected.total()
        );
        assert!(within(t.drawn.total(), t.expected.total(), 5.0));
        // densities follow the real presets
        let p = Presets::read(&auxil.join("ratios.json")).unwrap();
        let i = p.intn.module(m)[0].ifactors.unwrap();
        assert!((t.d_intn[2] - 0.9 * 25.0 * i[2] / 32400.0).abs() < 1e-18);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_non_empty_outdir_is_refused_and_left_alone() {
    let dir = support::scratch("sim_refuse");
    let out = dir.join("sim");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let err = simulate(&SimRequest::new(&out)).unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Sim(nuskybgd::error::SimError::OutputNotEmpty { .. })
        ),
        "{err}"
    );
    let e = err.to_string();
    assert!(e.contains("not empty"), "{e}");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keep.txt")]);
    assert_eq!(
        std::fs::read_to_string(out.join("keep.txt")).unwrap(),
        "mine"
    );
    // bad values are refused before anything is written
    let mut r = SimRequest::new(dir.join("other"));
    r.exposure = -5.0;
    let err = simulate(&r).unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Sim(nuskybgd::error::SimError::ShortExposure { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("exposure"));
    r.exposure = 1000.0;
    r.intscale = f64::NAN;
    let err = simulate(&r).unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Sim(nuskybgd::error::SimError::BadScale { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("intscale"));
    assert!(!dir.join("other").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn simulate_command() {
    let dir = support::scratch("sim_cli");
    let out = dir.join("sim");
    let cmd = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
            .arg("simulate")
            .args(args)
            .env_remove("NUSKYBGD_AUXIL")
            .env_remove("CALDB")
            .output()
            .unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let o = out.to_str().unwrap();
    let t0 = Instant::now();
    let (code, stdout, stderr) = cmd(&[o, "seed=9"]);
    eprintln!(
        "simulate command, default 50 ks: {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("FPMA") && stdout.contains("events"),
        "{stdout}"
    );
    assert!(stdout.contains("synthetic nuskybgd instrument"), "{stdout}");
    let truth = Truth::read(&out.join("truth.json")).unwrap();
    assert_eq!((truth.seed, truth.exposure), (9, 50000.0));
    assert_eq!(
        (
            truth.apscale,
            truth.fcxbscale,
            truth.intscale,
            truth.intnscale
        ),
        (1.1, 0.8, 1.2, 0.9)
    );
    // again without clobber: refused; with clobber: replaced
    let (code, _, stderr) = cmd(&[o, "seed=9"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not empty"), "{stderr}");
    let (code, _, stderr) = cmd(&[o, "seed=10", "exposure=5000", "intscale=2", "clobber=yes"]);
    assert_eq!(code, 0, "{stderr}");
    let truth = Truth::read(&out.join("truth.json")).unwrap();
    assert_eq!(
        (truth.seed, truth.exposure, truth.intscale),
        (10, 5000.0, 2.0)
    );
    // an incomplete $CALDB is passed over with a note
    let o2 = dir.join("sim2");
    let out2 = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args(["simulate", o2.to_str().unwrap(), "exposure=3000"])
        .env_remove("NUSKYBGD_AUXIL")
        .env("CALDB", dir.join("no_caldb_here"))
        .output()
        .unwrap();
    let stdout2 = String::from_utf8_lossy(&out2.stdout);
    assert!(
        out2.status.success(),
        "{}",
        String::from_utf8_lossy(&out2.stderr)
    );
    assert!(stdout2.contains("$CALDB not used"), "{stdout2}");
    assert!(o2.join("caldb/data/nustar/fpm/caldb.indx").is_file());
    let (code, _, stderr) = cmd(&[o, "bogus=1", "clobber=yes"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown argument"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// End to end: spectra of the background regions (extracted here by hand), the project's
/// fit on them, and the fitted normalisations against the truth.
/// The observation's own bad pixels are in the event file's BADPIX extensions and in
/// `_bp.fits`, and mkinstrmap on the event file removes them on top of the CALDB ones.
#[test]
fn observation_bad_pixels_reach_the_instrument_map() {
    use nuskybgd::io::output::Output;
    use nuskybgd::tasks::mkinstrmap::{mkinstrmap, InstrmapRequest};
    let dir = support::scratch("sim_badpix");
    let s = run(&dir.join("obs"), 5, 2e3, false);
    for m in [Module::A, Module::B] {
        let f = s.module(m);
        let listed = |p: &Path| {
            let mut v: Vec<(u8, u8, u8)> = read_badpix(p, m)
                .unwrap()
                .unwrap()
                .pixels
                .iter()
                .map(|b| (b.det, b.rawx, b.rawy))
                .collect();
            v.sort();
            v
        };
        let mut want: Vec<(u8, u8, u8)> = nuskybgd::sim::instrument::OBSERVATION_BAD_PIXELS
            .iter()
            .map(|p| (p.0, p.1 as u8, p.2 as u8))
            .collect();
        want.sort();
        assert_eq!(listed(&f.events), want);
        assert_eq!(listed(&f.bp), want);
        let r = mkinstrmap(&InstrmapRequest {
            evt: f.events.clone(),
            usrbpix: Vec::new(),
            out: Output::new(
                dir.join(format!("map{}.fits", m.letter()))
                    .to_str()
                    .unwrap(),
                false,
            ),
            caldb: Some(Caldb {
                root: s.caldb.clone(),
            }),
            auxil: Some(s.auxil.clone()),
            dryrun: false,
        })
        .unwrap();
        let from_event = r
            .sources
            .iter()
            .find(|(p, ..)| p == &f.events)
            .expect("the event file's BADPIX extensions are used");
        assert_eq!(from_event.2, 6, "bad pixels listed by the event file");
        assert!(from_event.3 > 0, "DET1 sub-pixels removed");
    }
}
