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
use crate::bgmodel::model_build::{linked_lines, SpectrumGeom};
use crate::bgmodel::presets::Presets;
use crate::bgmodel::setup::{BackgroundSetup, RegionSpectrum};
use crate::error::{Error, Result};
use crate::io::output::{check_all, Output};
use crate::nustar::caldb::date_obs;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::spectral::ogip::pha::Spectrum;
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::session::Session;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use crate::spectral::xcm::format::param_line;
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
    /// The whole save file: the fitted background model with the source spectra appended.
    pub xcm: XcmFile,
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
        self.xcm.to_text()
    }

    /// Point source spectrum `i`'s apbgd ARF (the `arf 2:n` command) at another file.
    pub fn set_arf_path(&mut self, i: usize, path: &Path) -> Result<()> {
        let n = self.nbgd + 1 + i;
        let head = format!("2:{n} ");
        let it = self
            .xcm
            .items
            .iter_mut()
            .find(|it| matches!(it, Item::Cmd { name, args, .. } if name == "arf" && args.starts_with(&head)))
            .ok_or_else(|| Error::msg(format!("model has no apbgd ARF for spectrum {n}")))?;
        if let Item::Cmd { args, .. } = it {
            *args = format!("{head}{}", path.display());
        }
        self.arfs[i].0 = path.to_path_buf();
        Ok(())
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

/// Run the task; returns the files written.
pub fn spec_task(req: &SpecRequest) -> Result<Vec<PathBuf>> {
    let model = spec_model(req)?;
    let mut outs: Vec<Output> = model
        .arfs
        .iter()
        .map(|a| req.savefile.sibling(a.0.clone()))
        .collect();
    outs.push(req.savefile.clone());
    check_all(&outs)?;
    let mut written = Vec::new();
    for (i, out) in outs[..model.arfs.len()].iter().enumerate() {
        model.write_arf(i, out)?;
        written.push(out.path.clone());
    }
    req.savefile.write_text(&model.text())?;
    written.push(req.savefile.path.clone());
    Ok(written)
}

/// The fitted background model: its save file and session, checked to hold the
/// background spectra of bgdinfo.json, in order.
fn read_fitted(req: &SpecRequest, info: &BgdInfo) -> Result<(XcmFile, Session)> {
    let x = XcmFile::read(&req.xcm)?;
    let base = req
        .xcm
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let sess = Session::from_xcm(&x, &req.xcm, Path::new("."), false)?;
    let files: Vec<String> = x
        .items
        .iter()
        .filter_map(|it| match it {
            Item::Cmd { name, args, .. } if name == "data" => {
                args.split_whitespace().last().map(String::from)
            }
            _ => None,
        })
        .collect();
    let nbgd = info.bgfiles.len();
    if files.len() != nbgd {
        return Err(Error::file(&req.xcm, format!("has {} spectra; bgdinfo.json lists {nbgd} background spectra (give the fitted background model)", files.len())));
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
    Ok((x, sess))
}

/// Index of the source named `name` in the fitted session, or an error naming the file.
fn source_position(sess: &Session, name: &str, xcm: &Path) -> Result<usize> {
    sess.sources
        .iter()
        .position(|s| s.name.as_deref() == Some(name))
        .ok_or_else(|| Error::file(xcm, format!("has no source named {name}")))
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

/// The save-file items of the four background sources (apbgd, intbgd, fcxb, intn).
fn background_items(sess: &Session, xcm: &Path) -> Result<[usize; 4]> {
    let item = |name: &str| source_position(sess, name, xcm).map(|i| sess.sources[i].model_item());
    Ok([
        item("apbgd")?,
        item("intbgd")?,
        item("fcxb")?,
        item("intn")?,
    ])
}

/// A `name args` command without parameter lines.
fn cmd(name: &str, args: String) -> Item {
    Item::Cmd {
        name: name.into(),
        args,
        params: vec![],
    }
}

/// The data block of source spectrum `n` (1-based): the spectrum, the responses of
/// sources 2..5, its apbgd and fcxb ARFs, and its BACKFILE switched off.
fn data_block(n: usize, g: &SpectrumGeom, sp: &Spectrum, auxil: &Path) -> Vec<Item> {
    let fcxb_path = auxil.join(format!("fcxb{}.arf", g.module.letter()));
    let mut cmds = vec![Item::Blank, cmd("data", format!("{n}:{n} {}", g.pha))];
    for src in 2..=4 {
        cmds.push(cmd("response", format!("{src}:{n} {}", g.rmf)));
    }
    cmds.push(cmd(
        "response",
        format!("5:{n} {}", auxil.join("diag.rmf").display()),
    ));
    cmds.push(cmd("arf", format!("2:{n} {}", g.nsb_arf)));
    cmds.push(cmd("arf", format!("4:{n} {}", fcxb_path.display())));
    if sp.backfile.is_some() {
        cmds.push(cmd("backgrnd", format!("{n} none")));
    }
    cmds
}

/// What one source spectrum adds to the model.
struct SourceBlock {
    /// Its data block.
    items: Vec<Item>,
    /// Its ignored ranges as `n:ranges` (None when none).
    ignore: Option<String>,
    /// Its apbgd ARF: the path the model names, the module and the curve.
    arf: (PathBuf, Module, Vec<f64>),
    /// Parameter lines of its group for apbgd, intbgd, fcxb and intn.
    lines: [String; 4],
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
    let rmf = Rmf::read(&s.rmf_path()?)?;
    let rg = ignored_ranges(&s.spectrum, &rmf);
    let items = data_block(n, &g, &s.spectrum, &req.auxil);
    let l = linked_lines(&setup.presets, &g, r, &ctx.bg[r])?;
    let (_, fsum, asum) = ctx.fcxb.iter().find(|(x, _, _)| *x == m).copied().unwrap();
    let fcxb_norm = param_line([fsum / asum * tot, 0.01, 0.0, 0.0, 1e20, 1e24]);
    Ok(SourceBlock {
        items,
        ignore: (!rg.is_empty()).then(|| format!("{n}:{rg}")),
        arf: (PathBuf::from(&g.nsb_arf), m, with),
        lines: [
            l.apbgd,
            l.intbgd,
            format!("{}{fcxb_norm}\n", l.fcxb_indices),
            l.intn,
        ],
    })
}

/// What every source spectrum is scaled from: the background geometry (the references)
/// and the fitted fcxb per module (see [`fcxb_rates`]).
struct SourceContext {
    bg: Vec<SpectrumGeom>,
    fcxb: Vec<(Module, f64, f64)>,
}

/// Append parameter lines `text` (one per line) to the `model` command at `item`.
fn append_lines(x: &mut XcmFile, item: usize, text: &str) -> Result<()> {
    if let Item::Cmd { params, .. } = &mut x.items[item] {
        for line in text.lines() {
            params.push(ParamLine::parse(line).map_err(Error::msg)?);
        }
    }
    Ok(())
}

/// Insert the data blocks after the last data block and add the ignored ranges to the
/// ignore command (a new one after the blocks when there is none).
fn insert_data(x: &mut XcmFile, data_items: Vec<Item>, ignore: &[String]) {
    let last_data = x.items.iter().rposition(|it| matches!(it, Item::Cmd { name, .. } if matches!(name.as_str(), "data" | "response" | "arf" | "backgrnd"))).unwrap_or(0);
    let at = last_data + 1;
    let nl = data_items.len();
    x.items.splice(at..at, data_items);
    x.lines.splice(at..at, std::iter::repeat(0).take(nl));
    match x
        .items
        .iter_mut()
        .find(|it| matches!(it, Item::Cmd { name, .. } if name == "ignore"))
    {
        Some(Item::Cmd { args, .. }) => {
            for ig in ignore {
                args.push(' ');
                args.push_str(ig);
            }
        }
        _ => {
            if !ignore.is_empty() {
                let pos = at + nl;
                x.items.insert(pos, cmd("ignore", ignore.join(" ")));
                x.lines.insert(pos, 0);
            }
        }
    }
}

/// Build the model file of the task in memory (nothing is written; `req.savefile` is not
/// used).
pub fn spec_model(req: &SpecRequest) -> Result<SpecModel> {
    if req.regions.len() != req.phas.len() || req.regions.is_empty() {
        return Err(Error::msg(format!(
            "{} source regions but {} source spectra: give them in pairs",
            req.regions.len(),
            req.phas.len()
        )));
    }
    let info = BgdInfo::read(&req.bgdinfo)?;
    let presets = Presets::read(&req.auxil.join("ratios.json"))?;
    let (mut x, sess) = read_fitted(req, &info)?;
    let nbgd = info.bgfiles.len();
    let fx = source_position(&sess, "fcxb", &req.xcm)?;
    let setup = BackgroundSetup::from_parts(&req.bgdinfo, info, presets)?;
    let ctx = SourceContext {
        bg: setup.geoms()?,
        fcxb: fcxb_rates(&setup, &sess, fx),
    };
    let items = background_items(&sess, &req.xcm)?;
    let mut data_items = Vec::new();
    let mut ignore = Vec::new();
    let mut arfs = Vec::new();
    let mut arf_in: Vec<(Module, ArfInputs)> = Vec::new();
    for (i, (reg, pha)) in req.regions.iter().zip(&req.phas).enumerate() {
        let pair = (reg.as_path(), pha.as_path());
        let b = source_block(req, &setup, &ctx, nbgd + i + 1, pair, &mut arf_in)?;
        data_items.extend(b.items);
        ignore.extend(b.ignore);
        arfs.push(b.arf);
        for (item, text) in items.iter().zip(&b.lines) {
            append_lines(&mut x, *item, text)?;
        }
    }
    insert_data(&mut x, data_items, &ignore);
    Ok(SpecModel {
        xcm: x,
        nbgd,
        arfs,
        arf_inputs: arf_in,
    })
}
