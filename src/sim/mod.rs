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
pub mod instrument;
pub mod observation;
pub mod truth;

use crate::bgmodel::geometry::{region_weights, ModuleMaps};
use crate::bgmodel::presets::Presets;
use crate::error::{Error, Result};
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
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
use truth::Truth;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// Output directory (created; must be empty or absent unless `clobber`).
    pub outdir: PathBuf,
    pub seed: u64,
    /// Good time (s) of each module.
    pub exposure: f64,
    /// Scales of the truth relative to the nominal presets.
    pub apscale: f64,
    pub fcxbscale: f64,
    pub intscale: f64,
    pub intnscale: f64,
    /// Replace files in a non-empty `outdir`.
    pub clobber: bool,
    /// Real auxiliary directory; None writes the synthetic one into `outdir/auxil`.
    pub auxil: Option<PathBuf>,
    /// Real CALDB root (with INSTRMAP, DETABS, GRPRMF for both modules); None writes the
    /// synthetic one into `outdir/caldb`.
    pub caldb: Option<PathBuf>,
    /// Keep the geometry products (aspect histograms, instrument maps, projected images,
    /// ~90 MB) in `outdir/truth/geometry`; otherwise they are deleted.
    pub keep_geometry: bool,
}

impl SimRequest {
    /// Defaults (seed 1, 50 ks, apscale 1.1, fcxbscale 0.8, intscale 1.2, intnscale 0.9) with
    /// the built-in synthetic instrument, whatever the environment says.
    pub fn new(outdir: impl Into<PathBuf>) -> SimRequest {
        SimRequest {
            outdir: outdir.into(),
            seed: 1,
            exposure: 50000.0,
            apscale: 1.1,
            fcxbscale: 0.8,
            intscale: 1.2,
            intnscale: 0.9,
            clobber: false,
            auxil: None,
            caldb: None,
            keep_geometry: false,
        }
    }

    /// Defaults with calibration from the environment, as the command does: `NUSKYBGD_AUXIL`
    /// when set, `$CALDB` when it has INSTRMAP, DETABS and GRPRMF for both modules. Returns
    /// notes saying what was not used and why.
    pub fn from_env(outdir: impl Into<PathBuf>) -> (SimRequest, Vec<String>) {
        let mut r = SimRequest::new(outdir);
        let mut notes = Vec::new();
        if let Some(a) = std::env::var_os(crate::nustar::auxil::AUXIL_ENV) {
            r.auxil = Some(PathBuf::from(a));
        }
        if let Some(c) = std::env::var_os("CALDB") {
            let root = PathBuf::from(c);
            match caldb_complete(&root) {
                Ok(()) => r.caldb = Some(root),
                Err(e) => notes.push(format!(
                    "$CALDB not used ({e}); writing the synthetic CALDB"
                )),
            }
        }
        (r, notes)
    }
}

/// Check that a CALDB has what a simulation reads for both modules.
pub fn caldb_complete(root: &Path) -> Result<()> {
    let c = Caldb {
        root: root.to_path_buf(),
    };
    let date = observation::met_to_iso(4.0e8);
    for m in Module::ALL.map(Module::instrume) {
        c.lookup("INSTRMAP", m, None, &date)?;
        for d in 0..4 {
            let det = format!("DET{d}");
            c.lookup("DETABS", m, Some(&det), &date)?;
            c.lookup("GRPRMF", m, Some(&det), &date)?;
        }
    }
    Ok(())
}

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

fn check_scale(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(Error::msg(format!(
            "{name}={v}: must be a finite number >= 0"
        )));
    }
    Ok(())
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

fn outdir_ready(req: &SimRequest) -> Result<()> {
    let d = &req.outdir;
    if d.exists() {
        if !d.is_dir() {
            return Err(Error::file(d, "exists and is not a directory"));
        }
        let busy = std::fs::read_dir(d)
            .map_err(|e| Error::file(d, e.to_string()))?
            .next()
            .is_some();
        if busy && !req.clobber {
            return Err(Error::file(
                d,
                "output directory is not empty; nothing written (use clobber=yes to replace its files)",
            ));
        }
    }
    for sub in [d.clone(), d.join("truth")] {
        std::fs::create_dir_all(&sub).map_err(|e| Error::file(&sub, e.to_string()))?;
    }
    Ok(())
}

/// Where a simulation's geometry is made, and from what.
struct GeometryInputs<'a> {
    /// Directory of the geometry products (`truth/geometry`).
    geo: &'a Path,
    /// Reference sky image the projection is made on.
    refimg: &'a Path,
    caldb: &'a Caldb,
    auxil: &'a Path,
    /// Write the projected images too (they are kept).
    keep: bool,
}

/// The projected images of module `m`, made as the aspecthist, mkinstrmap and projbgd
/// tasks make them from the written DET1 track `det1` and GTIs `gti`: the aspect histogram
/// and the instrument map (from a header-only event file carrying the observation's bad
/// pixels) are written into the geometry directory and read back for the projection.
/// Returns the maps and the geometry files to list as written (when kept).
fn module_geometry(
    g: &GeometryInputs,
    p: &Pointing,
    m: Module,
    det1: &Path,
    gti: &Path,
) -> Result<(ModuleMaps, Vec<PathBuf>)> {
    let out = |p: PathBuf| Output {
        path: p,
        clobber: true,
    };
    let l = m.letter();
    let stub = g.geo.join(format!("header{l}.evt"));
    observation::write_events(&out(stub.clone()), p, m, &[], &[])?;
    let rp = read_refpoints(det1)?;
    let h = aspect_histogram(&rp, &Gti::read(gti)?)?;
    let asp = g.geo.join(naming::aspecthist_file(m));
    write_aspect_histogram(&out(asp.clone()), &h, &rp)?;

    let chip = g.geo.join(naming::instrmap_file(m));
    let inputs = InstrmapInputs::read(g.caldb, m, &p.date_obs(), &[stub], Some(g.auxil))?;
    let map = instrument_map(&inputs.caldb_map, &inputs.pixmap, &inputs.bad);
    write_instrmap(&out(chip.clone()), &map.image, &inputs, &map.removed, m)?;

    let dets = [0, 1, 2, 3];
    let pin = ProjbgdInputs::read(g.refimg, &chip, &asp, g.auxil, m)?;
    let pr = pin.project(&dets)?;
    let mut written = Vec::new();
    if g.keep {
        let bgdap = g.geo.join(naming::bgdap_file(m));
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

/// Simulate an observation (see the module documentation).
pub fn simulate(req: &SimRequest) -> Result<SimSummary> {
    if !(req.exposure.is_finite() && req.exposure >= 100.0) {
        return Err(Error::msg(format!(
            "exposure={}: must be at least 100 s",
            req.exposure
        )));
    }
    for (n, v) in [
        ("apscale", req.apscale),
        ("fcxbscale", req.fcxbscale),
        ("intscale", req.intscale),
        ("intnscale", req.intnscale),
    ] {
        check_scale(n, v)?;
    }
    if let Some(a) = &req.auxil {
        if !a.join("ratios.json").is_file() {
            return Err(Error::file(a, "auxil directory has no ratios.json"));
        }
    }
    if let Some(c) = &req.caldb {
        caldb_complete(c)?;
    }
    outdir_ready(req)?;
    // paths in the summary and the truth do not depend on the working directory
    let outdir =
        std::path::absolute(&req.outdir).map_err(|e| Error::file(&req.outdir, e.to_string()))?;
    let out = |p: PathBuf| Output {
        path: p,
        clobber: true,
    };
    let mut written: Vec<PathBuf> = Vec::new();
    let mut notes = Vec::new();

    // calibration
    let (auxil, auxil_synthetic) = match &req.auxil {
        Some(a) => (a.clone(), false),
        None => {
            let a = outdir.join("auxil");
            written.extend(instrument::write_auxil(&a)?);
            (a, true)
        }
    };
    let (caldb_root, caldb_synthetic) = match &req.caldb {
        Some(c) => (c.clone(), false),
        None => {
            let c = outdir.join("caldb");
            written.extend(instrument::write_caldb(&c, &auxil)?);
            (c, true)
        }
    };
    if auxil_synthetic || caldb_synthetic {
        notes.push(format!(
            "{} ({}{}{})",
            instrument::SYNTHETIC_LABEL,
            if auxil_synthetic { "auxil" } else { "" },
            if auxil_synthetic && caldb_synthetic {
                " and "
            } else {
                ""
            },
            if caldb_synthetic { "CALDB" } else { "" }
        ));
    }
    let caldb = Caldb {
        root: caldb_root.clone(),
    };
    let presets = Presets::read(&auxil.join("ratios.json"))?;

    // pointing, GTIs, aspect track
    let mut rng = Pcg64::seed_from_u64(req.seed);
    let p = Pointing::new(&mut rng, req.exposure);
    let wander = Wander::new(&mut rng, observation::track_len(&p));
    let geo = outdir.join("truth").join("geometry");
    std::fs::create_dir_all(&geo).map_err(|e| Error::file(&geo, e.to_string()))?;
    let refimg = outdir.join("truth").join("refimg.fits");
    observation::write_refimg(&out(refimg.clone()), &p, Module::A)?;
    written.push(refimg.clone());
    let grid = Grid::read(&refimg)?;
    let wcs = p.wcs();
    let gin = GeometryInputs {
        geo: &geo,
        refimg: &refimg,
        caldb: &caldb,
        auxil: &auxil,
        keep: req.keep_geometry,
    };

    let mut files = Vec::new();
    let mut truths = Vec::new();
    let mut region_cell = (0.0, 0.0);
    let mut all_maps = Vec::new();
    for (mi, m) in Module::ALL.into_iter().enumerate() {
        let aim = if m == Module::A {
            (-6.0, 4.0)
        } else {
            (5.0, -3.0)
        };
        let mean = p.mean_refpoint((499.5 + aim.0, 499.5 + aim.1));
        let track = wander.track(&p, mean);
        if mi == 0 {
            region_cell = (mean.0.floor(), mean.1.floor());
        }
        let det1 = outdir.join(naming::det1_file(&p.obsid, m));
        observation::write_det1(&out(det1.clone()), &p, m, &track)?;
        let gti = outdir.join(naming::gti_file(&p.obsid, m));
        observation::write_gti(&out(gti.clone()), &p, m)?;
        let bp = outdir.join(naming::badpix_file(&p.obsid, m));
        observation::write_bp(&out(bp.clone()), &p, m)?;
        written.extend([det1.clone(), gti.clone(), bp.clone()]);

        // geometry, by the functions the project's own tasks use, on the written files
        let (maps, geo_files) = module_geometry(&gin, &p, m, &det1, &gti)?;

        // responses and the draw
        let cal = draw::load_cal(&caldb, &auxil, m, &p.date_obs())?;
        let sp = draw::spectra(&cal, &presets, m)?;
        // RAW pixels of the events: the auxil IDL maps, else the CALDB PIXPOS
        let pm = PixelMap::from_auxil(&auxil, m).or_else(|e| {
            caldb
                .lookup("PIXPOS", m.instrume(), Some("DET0"), &p.date_obs())
                .and_then(|f| PixelMap::from_pixpos(&f.path))
                .map_err(|_| e)
        })?;
        let mut t = draw::densities(req, &presets, m)?;
        let mut mrng =
            Pcg64::seed_from_u64(req.seed ^ (0x9E37_79B9_7F4A_7C15u64.wrapping_mul(mi as u64 + 1)));
        let events = draw::draw_module(&mut mrng, &p, &track, &maps, &sp, &pm, &mut t);
        let evt = outdir.join(naming::events_file(&p.obsid, m));
        let history = vec![
            format!(
                "nuskybgd simulate: seed {} exposure {} apscale {} fcxbscale {} intscale {} intnscale {}",
                req.seed, req.exposure, req.apscale, req.fcxbscale, req.intscale, req.intnscale
            ),
            format!(
                "calibration: auxil {}, CALDB {}",
                if auxil_synthetic {
                    "synthetic (auxil/ beside this file)".to_string()
                } else {
                    auxil.display().to_string()
                },
                if caldb_synthetic {
                    "synthetic (caldb/ beside this file)".to_string()
                } else {
                    caldb_root.display().to_string()
                }
            ),
        ];
        observation::write_events(&out(evt.clone()), &p, m, &events, &history)?;
        written.push(evt.clone());
        written.extend(geo_files);
        files.push(ModuleFiles {
            module: m,
            events: evt,
            det1,
            gti,
            bp,
            bgd_regions: Vec::new(),
            src_region: PathBuf::new(),
            n_events: events.len(),
        });
        truths.push(t);
        all_maps.push(maps);
    }

    // regions, checked on both modules' geometry
    let (bgd, src) = region_shapes(&p, region_cell);
    let mut region_json = serde_json::Map::new();
    for (mi, f) in files.iter_mut().enumerate() {
        let l = f.module.letter();
        let mut regs = Vec::new();
        for (k, s) in bgd.iter().enumerate() {
            regs.push((
                outdir.join(naming::bgd_region_file(k + 1, f.module)),
                s,
                true,
            ));
        }
        regs.push((outdir.join(naming::src_region_file(f.module)), &src, false));
        for (path, shape, is_bgd) in regs {
            observation::write_region(&path, &wcs, shape, true)?;
            let w = region_weights(&grid, &path, f.module, &all_maps[mi])?;
            let covered: f64 = w.area.iter().sum::<f64>() / w.pixels.max(1) as f64;
            if is_bgd && (w.pixels < 3000 || covered < 0.97) {
                return Err(Error::file(
                    &path,
                    format!(
                        "internal: background region has {} pixels, {:.1}% detector coverage",
                        w.pixels,
                        100.0 * covered
                    ),
                ));
            }
            let t = &truths[mi];
            let norms = t.expected_norms_for(w.area, w.apw);
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            region_json.insert(
                name,
                json!({
                    "module": l,
                    "pixels": w.pixels,
                    "area": w.area.to_vec(),
                    "apw": w.apw,
                    "expected_norms": norms.named().iter()
                        .map(|(s, c, v)| json!({"source": s, "component": c, "norm": v}))
                        .collect::<Vec<_>>(),
                    "expected_counts": t.expected_counts_for(w.area, w.apw, req.exposure),
                }),
            );
            written.push(path.clone());
            if is_bgd {
                f.bgd_regions.push(path);
            } else {
                f.src_region = path;
            }
        }
    }

    // truth
    let truth_path = outdir.join("truth.json");
    let file_list = |f: &ModuleFiles| {
        json!({"events": f.events, "det1": f.det1, "gti": f.gti,
               "bgd_regions": f.bgd_regions, "src_region": f.src_region})
    };
    let truth = Truth {
        seed: req.seed,
        exposure: req.exposure,
        apscale: req.apscale,
        fcxbscale: req.fcxbscale,
        intscale: req.intscale,
        intnscale: req.intnscale,
        synthetic_auxil: auxil_synthetic,
        synthetic_caldb: caldb_synthetic,
        pa_pnt: p.pa_pnt,
        modules: truths,
        json: json!({
            "comment": "nuskybgd simulate: background-only synthetic NuSTAR observation and the model it was drawn from",
            "instrument": if auxil_synthetic || caldb_synthetic { instrument::SYNTHETIC_LABEL } else { "real calibration files" },
            "auxil_dir": auxil,
            "caldb_dir": caldb_root,
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
                "identical_detectors": if caldb_synthetic { Value::Bool(true) } else { Value::Null }
            },
            "files": {"A": file_list(&files[0]), "B": file_list(&files[1]), "refimg": refimg},
            "regions": Value::Object(region_json),
            "notes": notes,
        }),
    };
    out(truth_path.clone()).write_text(
        &(serde_json::to_string_pretty(&truth.to_json()).expect("JSON value") + "\n"),
    )?;
    written.push(truth_path.clone());

    let geometry_dir = if req.keep_geometry {
        Some(geo)
    } else {
        std::fs::remove_dir_all(&geo).map_err(|e| Error::file(&geo, e.to_string()))?;
        None
    };
    Ok(SimSummary {
        outdir: outdir.clone(),
        modules: files,
        obsid: p.obsid.clone(),
        auxil,
        auxil_synthetic,
        caldb: caldb_root,
        caldb_synthetic,
        truth: truth_path,
        refimg,
        geometry_dir,
        written,
        notes,
    })
}
