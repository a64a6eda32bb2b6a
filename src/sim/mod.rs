//! Synthetic observations drawn from the background model itself, with the truth beside
//! them: for the demo and for recovery tests of the fit.
//!
//! [`simulate`] writes, for FPMA and FPMB, an event list, the DET1 reference-point track and
//! the GTIs; three background regions and a source region per module; the auxil and CALDB it
//! used (the built-in synthetic instrument of [`instrument`] unless real calibration is
//! given); and `truth.json` ([`truth::Truth`]). The geometry is the project's own: the
//! aspect histogram, instrument map and projected images are made by `sky::aspecthist`,
//! `sky::instrmap` and `sky::projbgd_task` on the written files, and events are drawn from
//! those images, so the simulation and the fit see the same geometry.
//!
//! Forward model per module (T exposure, p sky pixel, d detector, BGDAP/DETIM_d the
//! projected images), expected counts per channel:
//! * apbgd: `T·D_ap·BGDAP(p)·DETIM_d(p)/Σ_j DETIM_j(p) · fold(RMF_d, cutoffpl·BE·DETABS_d)`
//! * line c: `T·D_c[d]·DETIM_d(p)·fold(RMF_d, lorentz(E_c, W_c))`
//! * fcxb: `T·D_f·DETIM_d(p)·fold(RMF_d, cutoffpl·FCXBARF)`
//! * intn: `T·D_n[d]·DETIM_d(p)·fold(diag, bknpower)`
//!
//! with the densities of [`truth`]. Per (component, detector) the count is Poisson, then
//! pixels come from the spatial weights and channels from the folded spectrum.

mod draw;
pub mod fullrmf;
pub mod instrument;
pub mod observation;
mod request;
pub mod truth;

pub use request::{
    caldb_complete, Responses, SimRequest, DEFAULT_FULL_COUNTS, DEFAULT_OBSID, MAX_COUNTS,
    MAX_SCALED_EXPOSURE,
};
use request::{calibration, check_request, outdir_ready, Calibration};

use crate::bgmodel::geometry::{region_weights, ModuleMaps, RegionWeights};
use crate::bgmodel::presets::Presets;
use crate::error::{Result, SimError};
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::gti::Gti;
use crate::nustar::instrmap::{write_instrmap, InstrmapInputs};
use crate::nustar::module::Module;
use crate::nustar::naming;
use crate::nustar::pixpos::PixelMap;
use crate::nustar::refpoint::read_refpoints;
use crate::sky::aspecthist::{aspect_histogram, write_aspect_histogram};
use crate::sky::instrmap::instrument_map;
use crate::sky::projected::{projbgd_history, write_projected, ProjbgdInputs};
use crate::sky::regmask::Grid;
use observation::{Pointing, Shape, Wander};
use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use truth::{ModuleTruth, Truth};

/// Files of one module.
#[derive(Debug, Clone)]
pub struct ModuleFiles {
    pub module: Module,
    /// `nu<obsid><M>01_cl.evt`.
    pub events: PathBuf,
    /// `nu<obsid><M>_det1.fits`.
    pub det1: PathBuf,
    /// `nu<obsid><M>01_gti.fits`.
    pub gti: PathBuf,
    /// `nu<obsid><M>_bp.fits`: the observation's bad pixels (also in the event file's
    /// BADPIX extensions).
    pub bp: PathBuf,
    /// `bgd1<M>.reg`, `bgd2<M>.reg`, `bgd3<M>.reg`.
    pub bgd_regions: Vec<PathBuf>,
    /// `src<M>.reg`.
    pub src_region: PathBuf,
    pub n_events: usize,
}

/// What a simulation wrote.
#[derive(Debug, Clone)]
pub struct SimSummary {
    pub outdir: PathBuf,
    /// Folder of the observation's files (`outdir`, or `outdir/<obsid>/event_cl` in the
    /// archive layout).
    pub obsdir: PathBuf,
    /// Module A then B.
    pub modules: Vec<ModuleFiles>,
    pub obsid: String,
    /// Auxiliary directory and CALDB root used, and whether they are the synthetic ones.
    pub auxil: PathBuf,
    pub auxil_synthetic: bool,
    pub caldb: PathBuf,
    pub caldb_synthetic: bool,
    /// `truth.json`.
    pub truth: PathBuf,
    /// Reference sky image (WCS + PA_PNT) the geometry was projected on.
    pub refimg: PathBuf,
    /// Geometry products, when kept.
    pub geometry_dir: Option<PathBuf>,
    /// Every file written (calibration included).
    pub written: Vec<PathBuf>,
    pub notes: Vec<String>,
}

impl SimSummary {
    /// Files of module `m`.
    pub fn module(&self, m: Module) -> &ModuleFiles {
        self.modules
            .iter()
            .find(|f| f.module == m)
            .expect("both modules are simulated")
    }
}

/// The regions, as DET1 positions (0-based) for the module-A mean aspect: background
/// circles on DET0 and DET3, a box on DET1, the source at the array centre.
fn region_shapes(p: &Pointing, cell: (f64, f64)) -> (Vec<Shape>, Shape) {
    let at = |u: f64, v: f64| p.det1_to_sky(u, v, cell);
    let bgd = vec![
        Shape::Circle(at(262.0, 262.0), 45.0),
        Shape::Boxed(at(98.0, 262.0), (70.0, 90.0), 0.0),
        Shape::Circle(at(262.0, 98.0), 42.0),
    ];
    (bgd, Shape::Circle(at(180.0, 180.0), 30.0))
}

/// What the modules of one simulation share.
struct Setup<'a> {
    req: &'a SimRequest,
    /// Absolute output directory.
    outdir: PathBuf,
    /// Where the observation's files and regions go (`outdir` or its `<obsid>/event_cl`).
    obsdir: PathBuf,
    cal: Calibration,
    presets: Presets,
    p: Pointing,
    wander: Wander,
    /// Directory of the geometry products (`truth/geometry`).
    geo: PathBuf,
    /// Reference sky image the geometry is projected on.
    refimg: PathBuf,
}

/// One simulated module: its files, its truth, its projected images, and the 0-based sky
/// cell of its mean aim point.
struct ModuleSim {
    files: ModuleFiles,
    truth: ModuleTruth,
    maps: ModuleMaps,
    cell: (f64, f64),
    /// Factor applied to every density to reach the requested counts (1 without).
    density_scale: f64,
}

/// An output that replaces an existing file.
fn out(path: PathBuf) -> Output {
    Output {
        path,
        clobber: true,
    }
}

/// The projected images of module `m`, made as the aspecthist, mkinstrmap and projbgd
/// tasks make them from the written DET1 track `det1` and GTIs `gti`: the aspect histogram
/// and the instrument map (from a header-only event file carrying the observation's bad
/// pixels) are written into the geometry directory and read back for the projection.
/// Returns the maps and the geometry files to list as written (when kept).
fn module_geometry(
    s: &Setup,
    m: Module,
    det1: &Path,
    gti: &Path,
) -> Result<(ModuleMaps, Vec<PathBuf>)> {
    let (geo, auxil) = (&s.geo, &s.cal.auxil);
    let stub = geo.join(format!("header{}.evt", m.letter()));
    observation::write_events(&out(stub.clone()), &s.p, m, &[], &[])?;
    let rp = read_refpoints(det1)?;
    let h = aspect_histogram(&rp, &Gti::read(gti)?)?;
    let asp = geo.join(naming::aspecthist_file(m));
    write_aspect_histogram(&out(asp.clone()), &h, &rp)?;

    let chip = geo.join(naming::instrmap_file(m));
    let inputs = InstrmapInputs::read(&s.cal.caldb, m, &s.p.date_obs(), &[stub], Some(auxil))?;
    let map = instrument_map(&inputs.caldb_map, &inputs.pixmap, &inputs.bad);
    write_instrmap(&out(chip.clone()), &map.image, &inputs, &map.removed, m)?;

    let dets = [0, 1, 2, 3];
    let pin = ProjbgdInputs::read(&s.refimg, &chip, &asp, auxil, m)?;
    let pr = pin.project(&dets)?;
    let mut written = Vec::new();
    if s.req.keep_geometry {
        let bgdap = geo.join(naming::bgdap_file(m));
        let det_outs: Vec<Output> = dets
            .iter()
            .map(|&d| out(naming::det_image_path(&bgdap, d, m)))
            .collect();
        let history = projbgd_history(m, &dets, &asp, &chip);
        let files = write_projected(&out(bgdap), &det_outs, &pr, &pin.refimg.cards, &history)?;
        written.extend([asp, chip]);
        written.extend(files);
    }
    let det: Vec<Image> = pr.dets.into_iter().map(|(_, i)| i).collect();
    let maps = ModuleMaps {
        bgdap: pr.aperture,
        det: det.try_into().expect("four detector images"),
    };
    Ok((maps, written))
}

/// RAW pixels of the events: the auxil IDL maps, else the CALDB PIXPOS.
fn event_pixel_map(s: &Setup, m: Module) -> Result<PixelMap> {
    PixelMap::from_auxil(&s.cal.auxil, m).or_else(|e| {
        s.cal
            .caldb
            .lookup("PIXPOS", m.instrume(), Some("DET0"), &s.p.date_obs())
            .and_then(|f| PixelMap::from_pixpos(&f.path))
            .map_err(|_| e)
    })
}

/// Responses and the draw: the events of module `m` (index `mi`, which seeds its own
/// generator) from the maps along the aspect track, and its truth with the drawn counts.
fn draw_events(
    s: &Setup,
    mi: usize,
    m: Module,
    track: &observation::Track,
    maps: &ModuleMaps,
) -> Result<(Vec<observation::Event>, ModuleTruth, f64)> {
    let cal = draw::load_cal(&s.cal.caldb, &s.cal.auxil, m, &s.p.date_obs())?;
    let sp = draw::spectra(&cal, &s.presets, m)?;
    let pm = event_pixel_map(s, m)?;
    let mut t = draw::densities(s.req, &s.presets, m)?;
    let mut mrng =
        Pcg64::seed_from_u64(s.req.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(mi as u64 + 1)));
    let target = s.req.target_counts();
    let (events, k) = draw::draw_module(&mut mrng, &s.p, track, maps, &sp, &pm, &mut t, target);
    Ok((events, t, k))
}

/// The HISTORY lines of the event files: the request and the calibration.
fn events_history(s: &Setup) -> Vec<String> {
    let r = s.req;
    vec![
        format!(
            "nuskybgd simulate: seed {} exposure {} apscale {} fcxbscale {} intscale {} intnscale {}",
            r.seed, r.exposure, r.apscale, r.fcxbscale, r.intscale, r.intnscale
        ),
        format!(
            "responses {}, counts {}",
            r.responses.name(),
            r.target_counts()
                .map_or("nominal".to_string(), |c| format!("{c}"))
        ),
        s.cal.history(),
    ]
}

/// Simulate module `m` (index `mi`): its DET1 track, GTIs and bad pixels, its geometry,
/// and its event list; every file written is added to `written`.
fn simulate_module(
    s: &Setup,
    mi: usize,
    m: Module,
    written: &mut Vec<PathBuf>,
) -> Result<ModuleSim> {
    let p = &s.p;
    let aim = if m == Module::A {
        (-6.0, 4.0)
    } else {
        (5.0, -3.0)
    };
    let mean = p.mean_refpoint((499.5 + aim.0, 499.5 + aim.1));
    let track = s.wander.track(p, mean);
    let det1 = s.obsdir.join(naming::det1_file(&p.obsid, m));
    observation::write_det1(&out(det1.clone()), p, m, &track)?;
    let gti = s.obsdir.join(naming::gti_file(&p.obsid, m));
    observation::write_gti(&out(gti.clone()), p, m)?;
    let bp = s.obsdir.join(naming::badpix_file(&p.obsid, m));
    observation::write_bp(&out(bp.clone()), p, m)?;
    written.extend([det1.clone(), gti.clone(), bp.clone()]);

    let (maps, geo_files) = module_geometry(s, m, &det1, &gti)?;
    let (events, truth, density_scale) = draw_events(s, mi, m, &track, &maps)?;
    let evt = s.obsdir.join(naming::events_file(&p.obsid, m));
    observation::write_events(&out(evt.clone()), p, m, &events, &events_history(s))?;
    written.push(evt.clone());
    written.extend(geo_files);
    Ok(ModuleSim {
        files: ModuleFiles {
            module: m,
            events: evt,
            det1,
            gti,
            bp,
            bgd_regions: Vec::new(),
            src_region: PathBuf::new(),
            n_events: events.len(),
        },
        truth,
        maps,
        cell: (mean.0.floor(), mean.1.floor()),
        density_scale,
    })
}

/// The truth entry of one region: its weights, expected norms and counts.
fn region_entry(s: &Setup, m: Module, w: &RegionWeights, t: &ModuleTruth) -> Value {
    let norms = t.expected_norms_for(w.area, w.apw);
    json!({
        "module": m.letter(),
        "pixels": w.pixels,
        "area": w.area.to_vec(),
        "apw": w.apw,
        "expected_norms": norms.named().iter()
            .map(|(s, c, v)| json!({"source": s, "component": c, "norm": v}))
            .collect::<Vec<_>>(),
        "expected_counts": t.expected_counts_for(w.area, w.apw, s.req.exposure),
    })
}

/// Refuse a background region the geometry leaves thin: under 3000 pixels or under 97%
/// detector coverage.
fn check_background_region(path: &Path, w: &RegionWeights) -> Result<()> {
    let covered: f64 = w.area.iter().sum::<f64>() / w.pixels.max(1) as f64;
    if w.pixels < 3000 || covered < 0.97 {
        return Err(SimError::ThinBackgroundRegion {
            path: path.into(),
            pixels: w.pixels,
            coverage: 100.0 * covered,
        }
        .into());
    }
    Ok(())
}

/// Write the regions of every module (placed for module A's mean aim cell), checked on
/// each module's geometry; fills the modules' region files and returns the truth's
/// region entries by file name.
fn write_regions(
    s: &Setup,
    grid: &Grid,
    sims: &mut [ModuleSim],
    written: &mut Vec<PathBuf>,
) -> Result<serde_json::Map<String, Value>> {
    let wcs = s.p.wcs();
    let (bgd, src) = region_shapes(&s.p, sims[0].cell);
    let mut region_json = serde_json::Map::new();
    for sim in sims.iter_mut() {
        let m = sim.files.module;
        let mut regs = Vec::new();
        for (k, shape) in bgd.iter().enumerate() {
            regs.push((
                s.obsdir.join(naming::bgd_region_file(k + 1, m)),
                shape,
                true,
            ));
        }
        regs.push((s.obsdir.join(naming::src_region_file(m)), &src, false));
        for (path, shape, is_bgd) in regs {
            observation::write_region(&path, &wcs, shape, true)?;
            let w = region_weights(grid, &path, m, &sim.maps)?;
            if is_bgd {
                check_background_region(&path, &w)?;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            region_json.insert(name, region_entry(s, m, &w, &sim.truth));
            written.push(path.clone());
            if is_bgd {
                sim.files.bgd_regions.push(path);
            } else {
                sim.files.src_region = path;
            }
        }
    }
    Ok(region_json)
}

/// The truth's description of the observation and the model (everything but the module
/// truths).
fn truth_json(
    s: &Setup,
    files: &[ModuleFiles],
    regions: serde_json::Map<String, Value>,
    notes: &[String],
    density_scales: &[f64],
) -> Value {
    let (p, cal) = (&s.p, &s.cal);
    let file_list = |f: &ModuleFiles| {
        json!({"events": f.events, "det1": f.det1, "gti": f.gti,
               "bgd_regions": f.bgd_regions, "src_region": f.src_region})
    };
    json!({
        "comment": "nuskybgd simulate: background-only synthetic NuSTAR observation and the model it was drawn from",
        "instrument": if cal.auxil_synthetic || cal.caldb_synthetic { instrument::SYNTHETIC_LABEL } else { "real calibration files" },
        "auxil_dir": cal.auxil,
        "caldb_dir": cal.caldb.root,
        "obsid": p.obsid,
        "pointing": {"ra": p.ra, "dec": p.dec, "pa_pnt": p.pa_pnt,
                     "tstart": p.tstart, "tstop": p.tstop, "date_obs": p.date_obs(),
                     "gti": p.gti.iter().map(|g| vec![g.0, g.1]).collect::<Vec<_>>()},
        "model": {
            "density_units": "norm per exposure-weighted sky pixel (per unit of the projected images)",
            "apbgd": "D_ap = 0.002353/32 * apscale per unit of BGDAP; cutoffpl through BE x DETABS",
            "lines": "D_line[c][d] = intscale * ifactor_c[d] / 32400 for lines 4-29; lines 1-3 and apec off (solar off)",
            "fcxb": "D_fcxb = 1.645545e-9 * fcxbscale, cutoffpl through fcxb ARF",
            "intn": "D_intn[d] = intnscale * 25 * ifactor_intn[d] / 32400 (whole-detector norm per pixel), bknpower through diag.rmf",
            "identical_detectors": if cal.caldb_synthetic { Value::Bool(s.req.responses == Responses::Small) } else { Value::Null },
            "responses": if cal.caldb_synthetic { s.req.responses.name() } else { "real CALDB" },
            "counts": s.req.target_counts(),
            "density_scale": {"comment": "factor applied to every density above to reach counts (1: nominal); the densities in modules already include it",
                              "A": density_scales[0], "B": density_scales[1]}
        },
        "files": {"A": file_list(&files[0]), "B": file_list(&files[1]), "refimg": s.refimg},
        "regions": Value::Object(regions),
        "notes": notes,
    })
}

/// Write `truth.json` (the module truths and [`truth_json`]); returns its path.
fn write_truth(s: &Setup, truths: Vec<ModuleTruth>, json: Value) -> Result<PathBuf> {
    let req = s.req;
    let truth = Truth {
        seed: req.seed,
        exposure: req.exposure,
        apscale: req.apscale,
        fcxbscale: req.fcxbscale,
        intscale: req.intscale,
        intnscale: req.intnscale,
        synthetic_auxil: s.cal.auxil_synthetic,
        synthetic_caldb: s.cal.caldb_synthetic,
        pa_pnt: s.p.pa_pnt,
        modules: truths,
        json,
    };
    let path = s.outdir.join("truth.json");
    out(path.clone()).write_text(
        &(serde_json::to_string_pretty(&truth.to_json()).expect("JSON value") + "\n"),
    )?;
    Ok(path)
}

/// The pointing, the aspect wander, the geometry directory and the reference image
/// (written, and added to `written`) of a simulation with calibration `cal`.
fn setup<'a>(
    req: &'a SimRequest,
    outdir: PathBuf,
    cal: Calibration,
    written: &mut Vec<PathBuf>,
) -> Result<Setup<'a>> {
    let presets = Presets::read(&cal.auxil.join("ratios.json"))?;
    let mut rng = Pcg64::seed_from_u64(req.seed);
    let mut p = Pointing::new(&mut rng, req.exposure);
    p.obsid = req.obsid.clone();
    let wander = Wander::new(&mut rng, observation::track_len(&p));
    let geo = outdir.join("truth").join("geometry");
    std::fs::create_dir_all(&geo).map_err(|e| SimError::Fs {
        path: geo.clone(),
        source: e,
    })?;
    let obsdir = if req.archive_layout {
        outdir.join(&req.obsid).join("event_cl")
    } else {
        outdir.clone()
    };
    std::fs::create_dir_all(&obsdir).map_err(|e| SimError::Fs {
        path: obsdir.clone(),
        source: e,
    })?;
    let refimg = outdir.join("truth").join("refimg.fits");
    observation::write_refimg(&out(refimg.clone()), &p, Module::A)?;
    written.push(refimg.clone());
    Ok(Setup {
        req,
        outdir,
        obsdir,
        cal,
        presets,
        p,
        wander,
        geo,
        refimg,
    })
}

/// Simulate an observation (see the module documentation).
pub fn simulate(req: &SimRequest) -> Result<SimSummary> {
    check_request(req)?;
    outdir_ready(req)?;
    // paths in the summary and the truth do not depend on the working directory
    let outdir = std::path::absolute(&req.outdir).map_err(|e| SimError::Fs {
        path: req.outdir.clone(),
        source: e,
    })?;
    let mut written: Vec<PathBuf> = Vec::new();
    let cal = calibration(req, &outdir, &mut written)?;
    let mut notes: Vec<String> = cal.note().into_iter().collect();
    if !cal.caldb_synthetic && req.responses == Responses::Full {
        notes.push("responses=full not used: the detector RMFs are the given CALDB's".into());
    }
    let s = setup(req, outdir, cal, &mut written)?;
    let grid = Grid::read(&s.refimg)?;

    let mut sims = Vec::new();
    for (mi, m) in Module::ALL.into_iter().enumerate() {
        sims.push(simulate_module(&s, mi, m, &mut written)?);
    }
    let regions = write_regions(&s, &grid, &mut sims, &mut written)?;
    let scales: Vec<f64> = sims.iter().map(|x| x.density_scale).collect();
    let (files, truths): (Vec<ModuleFiles>, Vec<ModuleTruth>) =
        sims.into_iter().map(|x| (x.files, x.truth)).unzip();
    let json = truth_json(&s, &files, regions, &notes, &scales);
    let truth_path = write_truth(&s, truths, json)?;
    written.push(truth_path.clone());

    let geometry_dir = if req.keep_geometry {
        Some(s.geo.clone())
    } else {
        std::fs::remove_dir_all(&s.geo).map_err(|e| SimError::Fs {
            path: s.geo.clone(),
            source: e,
        })?;
        None
    };
    Ok(SimSummary {
        outdir: s.outdir.clone(),
        obsdir: s.obsdir.clone(),
        modules: files,
        obsid: s.p.obsid.clone(),
        auxil: s.cal.auxil.clone(),
        auxil_synthetic: s.cal.auxil_synthetic,
        caldb: s.cal.caldb.root.clone(),
        caldb_synthetic: s.cal.caldb_synthetic,
        truth: truth_path,
        refimg: s.refimg.clone(),
        geometry_dir,
        written,
        notes,
    })
}
