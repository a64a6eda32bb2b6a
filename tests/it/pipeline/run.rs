//! `init` + `run` on a simulated observation in the archive layout: every product, a second
//! run that skips every step, a changed region that redoes only what depends on it; bad
//! configurations refused by name.

use crate::support::{self, assert_variant, Scratch};
use nuskybgd::error::PipelineError;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::pipeline::run::init::{init, InitRequest};
use nuskybgd::pipeline::run::{run, RunRequest, RunSummary, Status};
use nuskybgd::sim::{simulate, SimRequest, SimSummary};
use nuskybgd::Error;
use std::path::{Path, PathBuf};

/// A simulated observation in `<dir>/<obsid>/event_cl`, initialised.
fn observation(test: &str) -> (Scratch, SimSummary, PathBuf) {
    let dir = support::scratch(test);
    let mut r = SimRequest::new(dir.join("sim"));
    r.archive_layout = true;
    let sim = simulate(&r).unwrap();
    let s = init(&InitRequest {
        obsdir: sim.obsdir.parent().unwrap().to_path_buf(),
        bgdreg: Vec::new(),
        srcreg: Vec::new(),
        statistic: nuskybgd::spectral::stat::Statistic::Chi,
        fcxb_links: nuskybgd::pipeline::run::config::FcxbLinks::Modules,
        clobber: false,
    })
    .unwrap();
    assert_eq!(s.config, sim.obsdir.join("bgd/nuskybgd.toml"));
    (dir, sim, s.config)
}

fn request(sim: &SimSummary, config: &Path) -> RunRequest {
    RunRequest::new(
        config.to_path_buf(),
        sim.auxil.clone(),
        Caldb {
            root: sim.caldb.clone(),
        },
    )
}

fn run_quiet(req: &RunRequest) -> nuskybgd::error::Result<RunSummary> {
    run(req, &mut |_, _, _, _| {})
}

fn ran(s: &RunSummary) -> Vec<&str> {
    s.steps
        .iter()
        .filter(|r| r.status == Status::Ran)
        .map(|r| r.name.as_str())
        .collect()
}

#[test]
fn init_and_run_make_every_product_and_a_second_run_skips_every_step() {
    let (_dir, sim, config) = observation("run_all");
    let req = request(&sim, &config);
    let s = run_quiet(&req).unwrap();
    assert_eq!(ran(&s).len(), s.steps.len(), "a first run runs every step");
    let w = &s.workdir;
    for f in [
        "imA3to20keV.fits",
        "newinstrmapB.fits",
        "aspecthistA.fits",
        "bgdapB.fits",
        "det3Aim.fits",
        "bgd1A_sr_g30.pha",
        "bgd3B_sr.rmf",
        "srcB_sr_g30.pha",
        "bgdinfo.json",
        "bgdparams.xcm",
        "bgdparams_fit.xcm",
        "det2B.rmf",
        "fcxbbgdA_det1.pha",
        "srcA_sr_g30_bgd.pha",
        "bgd_srcA.xcm",
        "bgd_only_srcA.xcm",
        "bgd_apbgd_A.fits",
        "bgd_fcxb_6.fits",
        "run.log",
        "run.json",
    ] {
        assert!(w.join(f).is_file(), "{f} not made");
    }
    let fit = &s.steps.iter().find(|r| r.name == "fit").unwrap().detail;
    assert!(fit.contains("converged"), "{fit}");
    check_figures_and_report(w);
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("run.json")).unwrap()).unwrap();
    assert_eq!(state["steps"]["fit"]["status"], "ran");
    assert!(state["calibration"]["caldb"].as_str().is_some());
    let again = run_quiet(&req).unwrap();
    assert!(ran(&again).is_empty(), "ran again: {:?}", ran(&again));
    assert!(again.steps.iter().all(|r| r.status == Status::Skipped));
    check_changed_region(&sim, &req);
    check_svg_figures(&config, &req);
}

/// `figures = "svg"`: only the figures and the report are redone, as SVG, and the report
/// embeds them.
fn check_svg_figures(config: &Path, req: &RunRequest) {
    run_quiet(req).unwrap(); // catch up after the `only=getspec` run
    let text = std::fs::read_to_string(config).unwrap();
    assert!(text.contains("figures = \"png\""), "{text}");
    std::fs::write(
        config,
        text.replace("figures = \"png\"", "figures = \"svg\""),
    )
    .unwrap();
    let s = run_quiet(req).unwrap();
    let names = ran(&s);
    assert_eq!(
        names,
        vec!["plot spectra", "plot images A", "plot images B", "report"],
        "{names:?}"
    );
    let plots = s.workdir.join("plots");
    for f in ["fit_spec1.svg", "A_residual.svg", "B_counts.svg"] {
        let b = std::fs::read_to_string(plots.join(f)).unwrap();
        assert!(b.starts_with("<svg") && b.contains("</svg>"), "{f}");
    }
    let report = std::fs::read_to_string(s.workdir.join("report.html")).unwrap();
    assert!(report.contains("data:image/svg+xml;base64,"));
    assert!(!report.contains("missing figure"));
}

/// Width and height of a PNG (its IHDR chunk), and the fraction of non-white pixels in
/// the rows from `top` to `bottom` (fractions of the height) of its decoded image.
fn png_facts(p: &Path, top: f64, bottom: f64) -> (u32, u32, f64) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(p).unwrap()));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let rows = (h as f64 * top) as usize..(h as f64 * bottom) as usize;
    let n = rows.len() * w;
    let inked = rows
        .flat_map(|y| (0..w).map(move |x| (y * w + x) * 3))
        .filter(|&i| buf[i..i + 3] != [255, 255, 255])
        .count();
    (info.width, info.height, inked as f64 / n as f64)
}

/// The spectrum and image figures are PNGs of the expected size with ink in their data
/// panels, and the report embeds every one of them and states the fit's statistic.
fn check_figures_and_report(w: &Path) {
    let plots = w.join("plots");
    let mut names: Vec<String> = std::fs::read_dir(&plots)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6 + 2 + 2 + 2 + 14, "{names:?}");
    let (width, height, ink) = png_facts(&plots.join("fit_spec1.png"), 0.1, 0.6);
    assert_eq!((width, height), nuskybgd::tasks::plot::SPECTRUM_SIZE);
    assert!(
        ink > 0.01,
        "data panel of fit_spec1.png nearly empty: {ink}"
    );
    let (width, height, ink) = png_facts(&plots.join("A_counts.png"), 0.2, 0.9);
    assert_eq!((width, height), (500, 530));
    assert!(ink > 0.5, "counts image nearly empty: {ink}");
    let report = std::fs::read_to_string(w.join("report.html")).unwrap();
    assert_eq!(
        report.matches("data:image/png;base64,").count(),
        names.len()
    );
    for n in &names {
        assert!(
            report.contains(&format!("alt=\"{n}\"")),
            "{n} not in the report"
        );
    }
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(w.join("run.json")).unwrap()).unwrap();
    let stat = state["steps"]["fit"]["facts"]["statistic"]
        .as_f64()
        .unwrap();
    assert!(
        report.contains(&format!("chi = {stat:.2}")),
        "fit statistic {stat:.2} not in the report"
    );
    assert!(report.contains("srcA_sr_g30.pha") && report.contains("background / observed"));
    // the free parameters with start, fitted value and error: 3 norms per module and the
    // fcxb of each region (B's tied to A's)
    let free = state["steps"]["fit"]["facts"]["free"].as_array().unwrap();
    assert_eq!(free.len(), 9, "{free:?}");
    assert!(free
        .iter()
        .all(|p| p["error"].as_f64().unwrap() > 0.0 && p["start"].is_number()));
    assert!(report.matches("</td></tr>").count() >= free.len());
    assert!(report.contains("<th>start</th>") && report.contains("1σ error"));
}

/// A background region of module B turned by 10 degrees: its spectrum and everything after
/// the spectra run again; the images, maps and the other spectra do not.
fn check_changed_region(sim: &SimSummary, req: &RunRequest) {
    let reg = sim.obsdir.join("bgd2B.reg");
    let text = std::fs::read_to_string(&reg).unwrap();
    assert!(text.contains("box(") && text.contains(",0.000)"), "{text}");
    std::fs::write(&reg, text.replace(",0.000)", ",10.000)")).unwrap();
    let s = run_quiet(req).unwrap();
    let names = ran(&s);
    for must in [
        "getspec bgd2B",
        "bgdinfo",
        "fit",
        "bgdspec srcA",
        "spec bgd_srcA",
        "image",
    ] {
        assert!(names.contains(&must), "{must} not rerun: {names:?}");
    }
    for never in [
        "mkimgs A",
        "projbgd B",
        "getspec bgd2A",
        "getspec srcB",
        "absrmf A",
        "refspec",
    ] {
        assert!(!names.contains(&never), "{never} rerun: {names:?}");
    }
    let only = run_quiet(&RunRequest {
        only: Some("getspec".into()),
        ..req.clone()
    })
    .unwrap();
    assert_eq!(ran(&only).len(), 8, "only=getspec: {:?}", ran(&only));
}

#[test]
fn bad_configurations_and_observations_are_refused_by_name() {
    let (dir, sim, config) = observation("run_bad");
    let req = request(&sim, &config);
    let text = std::fs::read_to_string(&config).unwrap();
    let bad = |body: String| {
        std::fs::write(&config, body).unwrap();
        run_quiet(&req).unwrap_err()
    };
    let e = bad(text.replace("statistic = ", "statstic = "));
    assert_variant!(e, Error::Pipeline(PipelineError::ConfigUnknownKey { .. }));
    assert!(e.to_string().contains("unknown key 'fit.statstic'"), "{e}");
    let e = bad(text.replace("bgd2A.reg", "nosuch.reg"));
    assert_variant!(e, Error::Pipeline(PipelineError::ConfigFileMissing { .. }));
    assert!(e.to_string().contains("nosuch.reg"), "{e}");
    let e = bad(text.replace("band = [3.0, 20.0]", "band = [20.0, 3.0]"));
    assert!(e.to_string().contains("images.band"), "{e}");
    let e = bad(text.replace("[fit]", "[fit"));
    assert_variant!(e, Error::Pipeline(PipelineError::ConfigSyntax { .. }));
    std::fs::write(&config, &text).unwrap();
    assert!(
        !config.with_file_name("run.json").exists(),
        "nothing runs on a bad configuration"
    );
    // a background region off the field: the run stops at its spectrum, naming the file
    let off = sim.obsdir.join("bgd_off.reg");
    std::fs::write(&off, "fk5\ncircle(10.0,-40.0,60\")\n").unwrap();
    std::fs::write(
        &config,
        text.replace("\"../bgd3A.reg\"", "\"../bgd_off.reg\""),
    )
    .unwrap();
    let e = run_quiet(&req).unwrap_err();
    assert!(
        e.to_string().contains("getspec bgd_offA") && e.to_string().contains("bgd_off.reg"),
        "{e}"
    );
    assert!(!config.with_file_name("bgd_offA_sr.pha").exists());
    std::fs::write(&config, &text).unwrap();
    let e = run_quiet(&RunRequest {
        only: Some("nosuchstep".into()),
        ..req.clone()
    })
    .unwrap_err();
    assert!(e
        .to_string()
        .contains("no step of this run is named 'nosuchstep'"));
    check_module_without_events(&sim, &req);
    check_init_refusals(&dir, &sim);
}

/// Module B's event list emptied, then removed: refused before any step, naming the file.
fn check_module_without_events(sim: &SimSummary, req: &RunRequest) {
    let evt = sim.obsdir.join("nu60001001002B01_cl.evt");
    let kept = sim.obsdir.join("kept.evt");
    let state = req.config.with_file_name("run.json");
    let before = std::fs::read(&state).unwrap();
    std::fs::rename(&evt, &kept).unwrap();
    let e = run_quiet(req).unwrap_err();
    assert_variant!(
        e,
        Error::Pipeline(PipelineError::ObservationFileMissing { .. })
    );
    assert!(e.to_string().contains("nu60001001002B01_cl.evt"), "{e}");
    Output::new(evt.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("EVENTS", &[("PI", "1J", ""), ("X", "1J", "")], 0)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMB", "")
        })
        .unwrap();
    let e = run_quiet(req).unwrap_err();
    assert_variant!(
        e,
        Error::Pipeline(PipelineError::ModuleWithoutEvents { .. })
    );
    let line = e.to_string();
    assert!(
        line.contains("module B has no events") && line.contains("nuskybgd.toml"),
        "{line}"
    );
    assert!(!line.contains('\n'));
    assert_eq!(std::fs::read(&state).unwrap(), before, "no step ran");
    std::fs::rename(&kept, &evt).unwrap();
}

/// init without events, with two observations, and with one module only.
fn check_init_refusals(dir: &Path, sim: &SimSummary) {
    let req = |obsdir: PathBuf| InitRequest {
        obsdir,
        bgdreg: Vec::new(),
        srcreg: Vec::new(),
        statistic: nuskybgd::spectral::stat::Statistic::Chi,
        fcxb_links: nuskybgd::pipeline::run::config::FcxbLinks::Modules,
        clobber: true,
    };
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = init(&req(empty)).unwrap_err();
    assert_variant!(e, Error::Pipeline(PipelineError::NoObservation { .. }));
    let two = dir.join("two");
    std::fs::create_dir_all(&two).unwrap();
    for (name, to) in [
        ("nu60001001002A01_cl.evt", "nu60001001002A01_cl.evt"),
        ("nu60001001002A01_cl.evt", "nu60001001003A01_cl.evt"),
    ] {
        std::fs::copy(sim.obsdir.join(name), two.join(to)).unwrap();
    }
    let e = init(&req(two)).unwrap_err();
    assert!(e.to_string().contains("60001001002, 60001001003"), "{e}");
    let one = dir.join("one");
    std::fs::create_dir_all(&one).unwrap();
    for f in std::fs::read_dir(&sim.obsdir).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        if f.path().is_file() && !name.contains('B') {
            std::fs::copy(f.path(), one.join(&name)).unwrap();
        }
    }
    let s = init(&req(one)).unwrap();
    assert_eq!(s.modules, vec![nuskybgd::nustar::module::Module::A]);
    assert!(s.found.iter().any(|f| f.contains("single-module")));
    let text = std::fs::read_to_string(&s.config).unwrap();
    assert!(
        text.contains("modules = [\"A\"]") && !text.contains("B.background"),
        "{text}"
    );
}
