//! Drop-in: the Python port's README and quickstart run as written (`port_readme.sh`) on a
//! simulated observation laid out as the originals expect, under the scripts' own names;
//! the port's argument forms (getspecnoarf's indir=/attfile=/stemout=, imrefspec MODS DETS,
//! mkimgs DIR OBSID, mkinstrmap dryrun=yes) and install-scripts.
#![cfg(unix)]

use crate::support::{self, outcome, Scratch};
use nuskybgd::sim::{simulate, SimRequest};
use std::path::{Path, PathBuf};
use std::process::Command;

const OBSID: &str = "90201039002";

/// An observation as the originals lay it out, with the script names installed in `top`.
struct Layout {
    _dir: Scratch,
    /// The top level (`<top>/<obsid>/event_cl`), where the script links are.
    top: PathBuf,
    /// `<top>/90201039002/event_cl`.
    event_cl: PathBuf,
    /// The simulation's own folder (its synthetic auxil and CALDB).
    sim: PathBuf,
}

impl Layout {
    /// The nuskybgd binary (or a script name in `top`) with the simulation's calibration
    /// and `top` first on the PATH.
    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{path}", self.top.display()))
            .env("CALDB", self.sim.join("caldb"))
            .env("NUSKYBGD_AUXIL", self.sim.join("auxil"));
        c
    }

    /// Run `script` (a name installed in `top`) with `args` in `cwd`.
    fn run(&self, cwd: &Path, script: &str, args: &[&str]) -> (i32, String, String) {
        outcome(
            self.command(&self.top.join(script).to_string_lossy())
                .args(args)
                .current_dir(cwd),
        )
    }
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// Simulate observation 90201039002 and lay it out as the port's README expects: event
/// files in `event_cl/`, regions in `event_cl/bgd/`, an attitude file in `auxil/`, the
/// quickstart's example observation 50002031004 and bin/mkimgs' gzipped event file.
fn layout(test: &str) -> Layout {
    let dir = support::scratch(test);
    let sim = dir.join("sim");
    let mut r = SimRequest::new(&sim);
    r.obsid = OBSID.into();
    simulate(&r).unwrap();
    let top = dir.join("IC342");
    let event_cl = top.join(OBSID).join("event_cl");
    std::fs::create_dir_all(event_cl.join("bgd")).unwrap();
    std::fs::create_dir_all(top.join(OBSID).join("auxil")).unwrap();
    for m in ["A", "B"] {
        for f in [
            format!("nu{OBSID}{m}01_cl.evt"),
            format!("nu{OBSID}{m}01_gti.fits"),
            format!("nu{OBSID}{m}_det1.fits"),
        ] {
            copy(&sim.join(&f), &event_cl.join(&f));
        }
    }
    for k in 1..=3 {
        copy(
            &sim.join(format!("bgd{k}A.reg")),
            &event_cl.join(format!("bgd/bgd{k}.reg")),
        );
    }
    // the README extracts the source from src1.reg (module A) and src.reg (module B)
    copy(&sim.join("srcA.reg"), &event_cl.join("src1.reg"));
    copy(&sim.join("srcA.reg"), &event_cl.join("src.reg"));
    std::fs::write(
        top.join(OBSID).join(format!("auxil/nu{OBSID}_att.fits.gz")),
        "stand-in attitude file: the port only checks that it exists",
    )
    .unwrap();
    let example = top.join("50002031004/event_cl");
    std::fs::create_dir_all(&example).unwrap();
    for m in ["A", "B"] {
        copy(
            &event_cl.join(format!("nu{OBSID}{m}01_cl.evt")),
            &example.join(format!("nu50002031004{m}01_cl.evt")),
        );
    }
    gzip(
        &event_cl.join(format!("nu{OBSID}A01_cl.evt")),
        &event_cl.join("nu70001000002A01_cl.evt.gz"),
    );
    let (code, _, err) = support::nuskybgd(&["install-scripts", &top.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    Layout {
        _dir: dir,
        top,
        event_cl,
        sim,
    }
}

fn gzip(from: &Path, to: &Path) {
    let data = std::fs::read(from).unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut e, &data).unwrap();
    std::fs::write(to, e.finish().unwrap()).unwrap();
}

/// Every product the port's README names, relative to `event_cl/`.
fn readme_products() -> Vec<String> {
    let mut p: Vec<String> = vec![
        "imA3to20keV.fits".into(),
        "imB3to20keVdet.fits".into(),
        "../../50002031004/event_cl/imA3to20keV.fits".into(),
        "../../50002031004/event_cl/imB3to20keV.fits".into(),
        "im3to25keV.fits".into(),
        "im3to25keVdet.fits".into(),
        "spec/src1A_sr_g30.pha".into(),
        "spec/src1B_sr.rmf".into(),
    ];
    for m in ["A", "B"] {
        p.push(format!("newinstrmap{m}.fits"));
        p.push(format!("aspecthist{m}.fits"));
        p.push(format!("bgd/bgdap{m}.fits"));
        for k in 1..=3 {
            p.push(format!("bgd/bgd{k}{m}_sr.pha"));
            p.push(format!("bgd/bgd{k}{m}_sr_g30.pha"));
            p.push(format!("bgd/bgd{k}{m}_sr.rmf"));
        }
        for d in 0..4 {
            p.push(format!("bgd/det{d}{m}im.fits"));
            p.push(format!("bgd/det{d}{m}.rmf"));
            p.push(format!("bgd/aperbgd{m}_det{d}.pha"));
            p.push(format!("bgd/fcxbbgd{m}_det{d}.pha"));
        }
        for c in ["apbgd", "intbgd", "fcxb", "intn"] {
            p.push(format!("bgd/bgd_{c}_{m}.fits"));
        }
    }
    for k in 1..=6 {
        p.push(format!("bgd/bgd_fcxb_{k}.fits"));
    }
    for f in ["IC342bgd.xcm", "bgd_src1.xcm", "bgd_only_src1.xcm"] {
        p.push(format!("bgd/{f}"));
    }
    p
}

#[test]
fn the_ports_readme_runs_as_written() {
    let l = layout("dropin_readme");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/cli/port_readme.sh");
    let (code, out, err) = outcome(l.command("bash").arg(&script).current_dir(&l.top));
    assert_eq!(code, 0, "the README's commands failed:\n{out}\n{err}");
    let missing: Vec<String> = readme_products()
        .into_iter()
        .filter(|p| !l.event_cl.join(p).is_file())
        .collect();
    assert!(missing.is_empty(), "not made: {missing:?}\n{out}");
    check_products(&l.event_cl);
    check_logs(&l.event_cl, &out);
}

/// The products are what they say: spectra with counts, images with model counts, save
/// files the engine loads with the source spectrum in them.
fn check_products(event_cl: &Path) {
    use nuskybgd::io::fits::Fits;
    use nuskybgd::spectral::ogip::pha::Spectrum;
    let bgd = event_cl.join("bgd");
    let sp = Spectrum::read_at(&bgd.join("bgd1A_sr_g30.pha"), None).unwrap();
    assert!(sp.counts.iter().sum::<f64>() > 1000.0);
    assert_eq!(sp.respfile.as_deref(), Some("bgd1A_sr.rmf"));
    for img in ["bgd_apbgd_A.fits", "bgd_intn_B.fits", "bgd_fcxb_3.fits"] {
        let im = Fits::open(bgd.join(img)).unwrap().read_image().unwrap();
        assert!(im.sum() > 0.0, "{img} is empty");
    }
    let sky = Fits::open(event_cl.join("imB3to20keV.fits"))
        .unwrap()
        .read_image()
        .unwrap();
    assert!(sky.sum() > 1000.0);
    let save = std::fs::read_to_string(bgd.join("bgd_src1.xcm")).unwrap();
    assert!(save.contains("src1_g30.pha"), "{save}");
    let only = std::fs::read_to_string(bgd.join("bgd_only_src1.xcm")).unwrap();
    assert!(only.contains("src1_g30.pha") && !only.contains("bgd1A_sr_g30.pha"));
    let sess = nuskybgd::spectral::run::load(&bgd.join("IC342bgd_fit.xcm"), true).unwrap();
    assert_eq!(sess.data.len(), 6);
}

/// The fit converged, and where the port ran other tools the one-line notes say what was
/// done instead.
fn check_logs(event_cl: &Path, out: &str) {
    let fit = std::fs::read_to_string(event_cl.join("bgd/fit.log")).unwrap();
    assert!(fit.contains("converged"), "{fit}");
    let log = std::fs::read_to_string(event_cl.join("bgd/bgd1A.log")).unwrap();
    assert!(
        log.contains("nuproducts and grppha are not run") && log.contains("attfile="),
        "{log}"
    );
    assert!(out.contains("refspec: wrote ./aperbgdB_det3.pha"), "{out}");
    assert!(out.contains("mkimgs: wrote ./50002031004/event_cl/imA3to20keV.fits"));
}

#[test]
fn the_ports_argument_forms_and_refusals() {
    let l = layout("dropin_forms");
    let e = &l.event_cl;
    // getspecnoarf: the event file found under indir=, stemout= names the outputs
    let (code, out, err) = l.run(
        &l.top,
        "getspecnoarf.py",
        &[
            &format!("nu{OBSID}A01_cl.evt"),
            &format!("reg={}", e.join("bgd/bgd1.reg").display()),
            &format!("indir={}", e.display()),
            &format!("outdir={}", e.join("bgd").display()),
            "stemout=s1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nuproducts and grppha are not run"), "{out}");
    assert!(e.join("bgd/s1_sr_g30.pha").is_file());
    // attfile= must exist, as the port checks: refused, nothing written
    let (code, _, err) = l.run(
        e,
        "getspecnoarf.py",
        &[
            &format!("nu{OBSID}A01_cl.evt"),
            "reg=bgd/bgd2.reg",
            "outprefix=s2",
            "attfile=../auxil/none_att.fits",
        ],
    );
    assert_ne!(code, 0);
    assert!(
        err.starts_with("getspecnoarf.py: error: attfile=../auxil/none_att.fits: not found"),
        "{err}"
    );
    assert!(!e.join("s2_sr.pha").exists());
    // mkinstrmap dryrun=yes checks every input and writes nothing
    let (code, out, err) = l.run(
        e,
        "nuskybgd",
        &["mkinstrmap", &format!("nu{OBSID}B01_cl.evt"), "dryrun=yes"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("dry run: would write newinstrmapB.fits"),
        "{out}"
    );
    assert!(!e.join("newinstrmapB.fits").exists());
    // mkimgs DIR OBSID: several bands at once; refusals name the problem
    let (code, out, err) = l.run(&l.top, "mkimgs.py", &["./", OBSID, "3,10", "10,20"]);
    assert_eq!(code, 0, "{err}");
    for f in ["imA3to10keV.fits", "imB10to20keVdet.fits"] {
        assert!(e.join(f).is_file(), "{f}: {out}");
    }
    let (code, _, err) = l.run(&l.top, "mkimgs.py", &["./", "80000000001", "3", "20"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no event file nu80000000001A01_cl.evt"),
        "{err}"
    );
    let (code, _, err) = l.run(&l.top, "mkimgs", &["./", OBSID, "3,10", "20"]);
    assert_ne!(code, 0);
    assert!(err.contains("2 lower and 1 upper band edges"), "{err}");
}

#[test]
fn script_names_run_their_tasks_and_install_scripts_keeps_other_files() {
    let dir = support::scratch("dropin_names");
    let bin = dir.join("bin");
    let (code, out, err) = support::nuskybgd(&["install-scripts", &bin.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 9, "{out}");
    // called by a script name, the program runs that task: its usage, or its refusal
    for (name, usage) in [
        ("phafix.py", "nuskybgd phafix"),
        ("getspecnoarf", "getspecnoarf.py EVTFILE reg="),
        ("imrefspec.py", "imrefspec.py MODS DETS"),
        ("mkimgs.py", "nuskybgd mkimgs DIR OBSID ELOWS EHIGHS"),
        ("absrmf.py", "nuskybgd absrmf"),
    ] {
        let (code, out, _) = outcome(Command::new(bin.join(name)).arg("--help"));
        assert_eq!(code, 0, "{name}");
        assert!(out.contains(usage), "{name}: {out}");
    }
    let (code, _, err) = outcome(Command::new(bin.join("imrefspec.py")).args(["AC", "0123"]));
    assert_ne!(code, 0);
    assert!(
        err.starts_with("imrefspec.py: error: mods: 'C' is not a module"),
        "{err}"
    );
    // a second run finds its links; a file of the user's is kept unless clobber=yes
    let (code, out, _) = support::nuskybgd(&["install-scripts", &bin.to_string_lossy()]);
    assert_eq!(code, 0);
    assert!(out.contains("already links to nuskybgd"), "{out}");
    std::fs::remove_file(bin.join("mkimgs")).unwrap();
    std::fs::write(bin.join("mkimgs"), "#!/bin/sh\n").unwrap();
    let (code, _, err) = support::nuskybgd(&["install-scripts", &bin.to_string_lossy()]);
    assert_ne!(code, 0);
    assert!(
        err.contains("mkimgs: exists and is not a link to nuskybgd"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(bin.join("mkimgs")).unwrap(),
        "#!/bin/sh\n"
    );
    let b = bin.to_string_lossy();
    let (code, _, err) = support::nuskybgd(&["install-scripts", &b, "clobber=yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_link(bin.join("mkimgs")).is_ok());
}
