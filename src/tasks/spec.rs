//! `spec`: append source spectra to a fitted background model, each with the background
//! rescaled to its region (every parameter linked to its module's reference spectrum with
//! the regions' geometric ratios), ready for the user's source model as source 1.
//!
//! Differences from nuskybgd-py: each source spectrum's apbgd ARF uses its own detector
//! fractions (the port used a background region's); the fcxb of a source region starts from
//! the module's fitted fcxb per exposure-weighted pixel (the port restarted from the nominal
//! CXB); the source spectra get the same 3–150 keV band; a BACKFILE in a source spectrum is
//! switched off (`backgrnd n none`) so the background is not subtracted twice.

use crate::bgmodel::arf::{arf_names, write_arf, ArfInputs};
use crate::bgmodel::bands::ignored_ranges;
use crate::bgmodel::bgdinfo::{check_spectrum_order, BgdInfo};
use crate::bgmodel::geometry::{region_weights, spectrum_module, ModuleMaps};
use crate::bgmodel::model_build::{linked_lines, SpectrumGeom};
use crate::bgmodel::presets::Presets;
use crate::error::{Error, Result};
use crate::io::output::{check_all, Output};
use crate::nustar::caldb::date_obs;
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::sky::regmask::Grid;
use crate::spectral::pha::Spectrum;
use crate::spectral::response::Rmf;
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

fn geom_of(
    pha: &Path,
    grid: &Grid,
    reg: &Path,
    maps: &ModuleMaps,
    m: Module,
) -> Result<(SpectrumGeom, Spectrum, PathBuf)> {
    let sp = Spectrum::read_at(pha, None)?;
    let w = region_weights(grid, reg, m, maps)?;
    let resp = sp
        .respfile
        .clone()
        .ok_or_else(|| Error::file(pha, "RESPFILE is not set: the spectrum's RMF is needed"))?;
    let rmf = pha
        .parent()
        .map(|d| d.join(&resp))
        .unwrap_or_else(|| PathBuf::from(&resp));
    let (nsb, _) = arf_names(pha);
    Ok((
        SpectrumGeom {
            pha: pha.display().to_string(),
            rmf: rmf.display().to_string(),
            nsb_arf: nsb.display().to_string(),
            module: m,
            area: w.area,
            apw: w.apw,
            det_total: maps.totals(),
        },
        sp,
        rmf,
    ))
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
    let mut x = XcmFile::read(&req.xcm)?;
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
    let grid = Grid::read(&info.refimg)?;
    // background geometry (for the references) and the fitted fcxb per pixel per module
    let mut bg: Vec<SpectrumGeom> = Vec::new();
    let mut maps: Vec<(Module, ModuleMaps)> = Vec::new();
    let fx = sess
        .sources
        .iter()
        .position(|s| s.name.as_deref() == Some("fcxb"))
        .ok_or_else(|| Error::file(&req.xcm, "has no source named fcxb"))?;
    let mut fcxb_rate: Vec<(Module, f64, f64)> = Vec::new();
    for (k, (pha, reg)) in info.bgfiles.iter().zip(&info.regfiles).enumerate() {
        let sp = Spectrum::read_at(pha, None)?;
        let m = spectrum_module(pha, &sp.instrume)?;
        if !maps.iter().any(|(x, _)| *x == m) {
            maps.push((m, ModuleMaps::read(info.images(&req.bgdinfo, m)?, &grid)?));
        }
        let mm = &maps.iter().find(|(x, _)| *x == m).unwrap().1;
        let (g, _, _) = geom_of(pha, &grid, reg, mm, m)?;
        let norm = sess.params[fx]
            .get(3 * k + 2)
            .map(|p| p.value)
            .unwrap_or(f64::NAN);
        match fcxb_rate.iter_mut().find(|(x, _, _)| *x == m) {
            Some(e) => {
                e.1 += norm;
                e.2 += g.area.iter().sum::<f64>();
            }
            None => fcxb_rate.push((m, norm, g.area.iter().sum())),
        }
        bg.push(g);
    }
    let model_item = |name: &str| -> Result<usize> {
        sess.sources
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
            .map(|s| s.model_item())
            .ok_or_else(|| Error::file(&req.xcm, format!("has no source named {name}")))
    };
    let items = [
        model_item("apbgd")?,
        model_item("intbgd")?,
        model_item("fcxb")?,
        model_item("intn")?,
    ];
    let last_data = x.items.iter().rposition(|it| matches!(it, Item::Cmd { name, .. } if matches!(name.as_str(), "data" | "response" | "arf" | "backgrnd"))).unwrap_or(0);
    let mut data_items = Vec::new();
    let mut ignore = Vec::new();
    let mut arfs = Vec::new();
    let mut arf_in: Vec<(Module, ArfInputs)> = Vec::new();
    for (i, (reg, pha)) in req.regions.iter().zip(&req.phas).enumerate() {
        let n = nbgd + i + 1;
        let sp0 = Spectrum::read_at(pha, None)?;
        let m = spectrum_module(pha, &sp0.instrume)?;
        let r = bg.iter().position(|g| g.module == m).ok_or_else(|| {
            Error::file(
                pha,
                format!(
                    "is {} but no background spectrum of that module was fitted",
                    m.instrume()
                ),
            )
        })?;
        let mm = &maps.iter().find(|(x, _)| *x == m).unwrap().1;
        let (g, sp, rmf_path) = geom_of(pha, &grid, reg, mm, m)?;
        if !arf_in.iter().any(|(x, _)| *x == m) {
            arf_in.push((
                m,
                ArfInputs::load(&req.caldb, &req.auxil, m, &date_obs(pha)?)?,
            ));
        }
        let ai = &arf_in.iter().find(|(x, _)| *x == m).unwrap().1;
        let tot: f64 = g.area.iter().sum();
        let (with, _) = ai.curves(g.area.map(|a| a / tot));
        arfs.push((PathBuf::from(&g.nsb_arf), m, with));
        let rmf = Rmf::read(&rmf_path)?;
        let rg = ignored_ranges(&sp, &rmf);
        if !rg.is_empty() {
            ignore.push(format!("{n}:{rg}"));
        }
        let fcxb_path = req.auxil.join(format!("fcxb{}.arf", m.letter()));
        let mut cmds = vec![
            Item::Blank,
            Item::Cmd {
                name: "data".into(),
                args: format!("{n}:{n} {}", g.pha),
                params: vec![],
            },
        ];
        for src in 2..=4 {
            cmds.push(Item::Cmd {
                name: "response".into(),
                args: format!("{src}:{n} {}", g.rmf),
                params: vec![],
            });
        }
        cmds.push(Item::Cmd {
            name: "response".into(),
            args: format!("5:{n} {}", req.auxil.join("diag.rmf").display()),
            params: vec![],
        });
        cmds.push(Item::Cmd {
            name: "arf".into(),
            args: format!("2:{n} {}", g.nsb_arf),
            params: vec![],
        });
        cmds.push(Item::Cmd {
            name: "arf".into(),
            args: format!("4:{n} {}", fcxb_path.display()),
            params: vec![],
        });
        if sp.backfile.is_some() {
            cmds.push(Item::Cmd {
                name: "backgrnd".into(),
                args: format!("{n} none"),
                params: vec![],
            });
        }
        data_items.extend(cmds);
        // parameters of the new group for each background source
        let l = linked_lines(&presets, &g, r, &bg[r])?;
        let (_, fsum, asum) = fcxb_rate.iter().find(|(x, _, _)| *x == m).copied().unwrap();
        let fcxb_norm = param_line([fsum / asum * tot, 0.01, 0.0, 0.0, 1e20, 1e24]);
        for (item, text) in items.iter().zip([
            l.apbgd,
            l.intbgd,
            format!("{}{fcxb_norm}\n", l.fcxb_indices),
            l.intn,
        ]) {
            if let Item::Cmd { params, .. } = &mut x.items[*item] {
                for line in text.lines() {
                    params.push(ParamLine::parse(line).map_err(Error::msg)?);
                }
            }
        }
    }
    // data blocks after the last data block, the band added to the ignore command
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
            for ig in &ignore {
                args.push(' ');
                args.push_str(ig);
            }
        }
        _ => {
            if !ignore.is_empty() {
                let pos = at + nl;
                x.items.insert(
                    pos,
                    Item::Cmd {
                        name: "ignore".into(),
                        args: ignore.join(" "),
                        params: vec![],
                    },
                );
                x.lines.insert(pos, 0);
            }
        }
    }
    Ok(SpecModel {
        xcm: x,
        nbgd,
        arfs,
        arf_inputs: arf_in,
    })
}
