//! `spec`: append source spectra to a fitted background model, each with the background
//! rescaled to its region (every parameter linked to its module's reference spectrum with
//! the regions' geometric ratios), ready for the user's source model as source 1.
//!
//! Differences from nuskybgd-py: each source spectrum's apbgd ARF uses its own detector
//! fractions (the port used a background region's); the fcxb of a source region starts from
//! the module's fitted fcxb per exposure-weighted pixel (the port restarted from the nominal
//! CXB); the source spectra get the same 3–150 keV band; a BACKFILE in a source spectrum is
//! switched off (`backgrnd n none`) so the background is not subtracted twice.

use crate::bgmodel::arf::{write_arf, ArfInputs};
use crate::bgmodel::bands::ignored_ranges;
use crate::bgmodel::bgdinfo::{check_spectrum_order, BgdInfo};
use crate::bgmodel::model::{full, BackgroundModel, ModelSpectrum};
use crate::bgmodel::model_build::{linked_lines, SpectrumGeom, NORM};
use crate::bgmodel::presets::Presets;
use crate::bgmodel::setup::{BackgroundSetup, RegionSpectrum};
use crate::error::{Result, TaskError};
use crate::io::output::{check_all, Output};
use crate::nustar::caldb::date_obs;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::spectral::ogip::pha::Spectrum;
use crate::spectral::session::Session;
use crate::spectral::xcm::file::{ParamLine, XcmFile};
use std::path::{Path, PathBuf};

/// Inputs of the spec task.
pub struct SpecRequest {
    pub bgdinfo: PathBuf,
    /// The fitted background model (background spectra only, as `fit` wrote it).
    pub xcm: PathBuf,
    /// Source regions and their spectra, in pairs.
    pub regions: Vec<PathBuf>,
    pub phas: Vec<PathBuf>,
    pub savefile: Output,
    pub caldb: Caldb,
    pub auxil: PathBuf,
}

/// Default save file: `bgd_<first region's file stem>.xcm` in the current directory.
pub fn default_name(region: &Path) -> String {
    format!(
        "bgd_{}.xcm",
        region
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    )
}

/// The model file `spec` writes, built in memory, and the apbgd ARFs it names (not yet
/// written). `bgdspec` evaluates it without writing anything.
#[derive(Debug, Clone)]
pub struct SpecModel {
    /// The whole model: the fitted background model with the source spectra appended.
    pub model: BackgroundModel,
    /// Number of background spectra; source spectrum i (0-based) is data group and
    /// spectrum `nbgd + 1 + i`.
    pub nbgd: usize,
    /// apbgd ARF of each source spectrum, in order: the path the model names, the module
    /// and the transmission curve.
    pub arfs: Vec<(PathBuf, Module, Vec<f64>)>,
    arf_inputs: Vec<(Module, ArfInputs)>,
}

impl SpecModel {
    /// The save-file text.
    pub fn text(&self) -> String {
        self.model.to_text()
    }

    /// Point source spectrum `i`'s apbgd ARF (the `arf 2:n` command) at another file.
    pub fn set_arf_path(&mut self, i: usize, path: &Path) {
        self.model.spectra[self.nbgd + i].set_arf(2, &path.display().to_string());
        self.arfs[i].0 = path.to_path_buf();
    }

    /// Write source spectrum `i`'s apbgd ARF to `out`.
    pub fn write_arf(&self, i: usize, out: &Output) -> Result<()> {
        let (_, m, curve) = &self.arfs[i];
        let ai = &self.arf_inputs.iter().find(|(x, _)| x == m).unwrap().1;
        write_arf(
            out,
            ai,
            curve,
            *m,
            &["nuskybgd spec: apbgd ARF of a source region".to_string()],
        )
    }
}

/// What spec wrote.
#[derive(Debug, Clone)]
pub struct SpecSummary {
    /// The save file with background and source spectra.
    pub savefile: PathBuf,
    /// The nsb ARFs written beside it, one per source spectrum.
    pub arfs: Vec<PathBuf>,
}

/// Run the task; returns the files written.
pub fn spec_task(req: &SpecRequest) -> Result<SpecSummary> {
    let model = spec_model(req)?;
    let mut outs: Vec<Output> = model
        .arfs
        .iter()
        .map(|a| req.savefile.sibling(a.0.clone()))
        .collect();
    outs.push(req.savefile.clone());
    check_all(&outs)?;
    let mut inputs = vec![req.bgdinfo.as_path(), req.xcm.as_path()];
    inputs.extend(req.regions.iter().chain(&req.phas).map(|p| p.as_path()));
    crate::io::output::check_not_inputs(&outs, &inputs)?;
    let mut written = Vec::new();
    for (i, out) in outs[..model.arfs.len()].iter().enumerate() {
        model.write_arf(i, out)?;
        written.push(out.path.clone());
    }
    req.savefile.write_text(&model.text())?;
    Ok(SpecSummary {
        savefile: req.savefile.path.clone(),
        arfs: written,
    })
}

/// The fitted background model: as a value and as a session, checked to hold the
/// background spectra of bgdinfo.json, in order, and the four background sources.
fn read_fitted(req: &SpecRequest, info: &BgdInfo) -> Result<(BackgroundModel, Session)> {
    let x = XcmFile::read(&req.xcm)?;
    let base = req
        .xcm
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let sess = Session::from_xcm(&x, &req.xcm, Path::new("."), false)?;
    let model = BackgroundModel::from_xcm(&x, &req.xcm)?;
    let files: Vec<String> = model.spectra.iter().map(|s| s.pha.clone()).collect();
    let nbgd = info.bgfiles.len();
    if files.len() != nbgd {
        return Err(TaskError::NotBackgroundFit {
            path: req.xcm.clone(),
            spectra: files.len(),
            background: nbgd,
        }
        .into());
    }
    check_spectrum_order(
        &req.xcm,
        &files,
        &info.bgfiles,
        if base.join(&files[0]).exists() {
            base
        } else {
            Path::new(".")
        },
    )?;
    for name in BACKGROUND_SOURCES {
        source_position(&sess, name, &req.xcm)?;
    }
    Ok((model, sess))
}

/// Index of the source named `name` in the fitted session, or an error naming the file.
fn source_position(sess: &Session, name: &str, xcm: &Path) -> Result<usize> {
    sess.sources
        .iter()
        .position(|s| s.name.as_deref() == Some(name))
        .ok_or_else(|| {
            TaskError::NoSource {
                path: xcm.to_path_buf(),
                name: name.to_string(),
            }
            .into()
        })
}

/// Per module: the fitted fcxb norms of its background spectra summed, and their region
/// areas (exposure-weighted pixels) summed; `fx` is the fcxb source.
fn fcxb_rates(setup: &BackgroundSetup, sess: &Session, fx: usize) -> Vec<(Module, f64, f64)> {
    let mut rates: Vec<(Module, f64, f64)> = Vec::new();
    for (k, s) in setup.spectra.iter().enumerate() {
        let norm = sess.params[fx]
            .get(3 * k + 2)
            .map(|p| p.value)
            .unwrap_or(f64::NAN);
        let area: f64 = s.weights.area.iter().sum();
        match rates.iter_mut().find(|(x, _, _)| *x == s.module) {
            Some(e) => {
                e.1 += norm;
                e.2 += area;
            }
            None => rates.push((s.module, norm, area)),
        }
    }
    rates
}

/// The four background sources, in the order of [`SourceBlock::params`].
const BACKGROUND_SOURCES: [&str; 4] = ["apbgd", "intbgd", "fcxb", "intn"];

/// Source spectrum `pha` of geometry `g`: folded through its RMF for sources 2–4 and
/// diag.rmf for intn, with its apbgd and fcxb ARFs and its BACKFILE switched off.
fn model_spectrum(g: &SpectrumGeom, sp: &Spectrum, auxil: &Path) -> ModelSpectrum {
    let fcxb_path = auxil.join(format!("fcxb{}.arf", g.module.letter()));
    let diag = auxil.join("diag.rmf").display().to_string();
    ModelSpectrum {
        pha: g.pha.clone(),
        responses: vec![
            (2, g.rmf.clone()),
            (3, g.rmf.clone()),
            (4, g.rmf.clone()),
            (5, diag),
        ],
        arfs: vec![(2, g.nsb_arf.clone()), (4, fcxb_path.display().to_string())],
        background: sp.backfile.is_some().then(|| "none".to_string()),
    }
}

/// What one source spectrum adds to the model.
struct SourceBlock {
    /// The spectrum and its files.
    spectrum: ModelSpectrum,
    /// Its ignored ranges as `n:ranges` (None when none).
    ignore: Option<String>,
    /// Its apbgd ARF: the path the model names, the module and the curve.
    arf: (PathBuf, Module, Vec<f64>),
    /// Its parameters for apbgd, intbgd, fcxb and intn.
    params: [Vec<ParamLine>; 4],
}

/// Source spectrum `pha` in region `reg`, spectrum `n` (1-based) of the model: its data
/// block, band, ARF and parameters linked to its module's reference spectrum.
fn source_block(
    req: &SpecRequest,
    setup: &BackgroundSetup,
    ctx: &SourceContext,
    n: usize,
    (reg, pha): (&Path, &Path),
    arf_in: &mut Vec<(Module, ArfInputs)>,
) -> Result<SourceBlock> {
    let s = RegionSpectrum::read(setup, pha, reg)?;
    let m = s.module;
    let r = setup
        .reference(m)
        .expect("the module has background spectra");
    let g = s.geom(setup.maps(m).expect("read with the background spectra"))?;
    if !arf_in.iter().any(|(x, _)| *x == m) {
        arf_in.push((
            m,
            ArfInputs::load(&req.caldb, &req.auxil, m, &date_obs(pha)?)?,
        ));
    }
    let ai = &arf_in.iter().find(|(x, _)| *x == m).unwrap().1;
    let tot: f64 = g.area.iter().sum();
    let (with, _) = ai.curves(g.area.map(|a| a / tot));
    let rmf = crate::spectral::ogip::store::read_rmf(&s.rmf_path()?)?;
    let rg = ignored_ranges(&s.spectrum, &rmf);
    let mut l = linked_lines(&setup.presets, &g, r, &ctx.bg[r])?;
    let (_, fsum, asum) = ctx.fcxb.iter().find(|(x, _, _)| *x == m).copied().unwrap();
    l.fcxb_indices.push(full(fsum / asum * tot, 0.01, NORM));
    Ok(SourceBlock {
        spectrum: model_spectrum(&g, &s.spectrum, &req.auxil),
        ignore: (!rg.is_empty()).then(|| format!("{n}:{rg}")),
        arf: (PathBuf::from(&g.nsb_arf), m, with),
        params: [l.apbgd, l.intbgd, l.fcxb_indices, l.intn],
    })
}

/// What every source spectrum is scaled from: the background geometry (the references)
/// and the fitted fcxb per module (see [`fcxb_rates`]).
struct SourceContext {
    bg: Vec<SpectrumGeom>,
    fcxb: Vec<(Module, f64, f64)>,
}

/// Build the model file of the task in memory (nothing is written; `req.savefile` is not
/// used).
pub fn spec_model(req: &SpecRequest) -> Result<SpecModel> {
    if req.regions.len() != req.phas.len() || req.regions.is_empty() {
        return Err(TaskError::Unpaired {
            regions: req.regions.len(),
            spectra: req.phas.len(),
        }
        .into());
    }
    let info = BgdInfo::read(&req.bgdinfo)?;
    let presets = Presets::read(&req.auxil.join("ratios.json"))?;
    let (mut model, sess) = read_fitted(req, &info)?;
    let nbgd = info.bgfiles.len();
    let fx = source_position(&sess, "fcxb", &req.xcm)?;
    let setup = BackgroundSetup::from_parts(&req.bgdinfo, info, presets)?;
    let ctx = SourceContext {
        bg: setup.geoms()?,
        fcxb: fcxb_rates(&setup, &sess, fx),
    };
    let mut arfs = Vec::new();
    let mut arf_in: Vec<(Module, ArfInputs)> = Vec::new();
    for (i, (reg, pha)) in req.regions.iter().zip(&req.phas).enumerate() {
        let pair = (reg.as_path(), pha.as_path());
        let b = source_block(req, &setup, &ctx, nbgd + i + 1, pair, &mut arf_in)?;
        model.spectra.push(b.spectrum);
        model.ignore.extend(b.ignore);
        arfs.push(b.arf);
        for (name, params) in BACKGROUND_SOURCES.iter().zip(b.params) {
            model.source_mut(name)?.params.extend(params);
        }
    }
    Ok(SpecModel {
        model,
        nbgd,
        arfs,
        arf_inputs: arf_in,
    })
}
