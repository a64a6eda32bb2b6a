//! The nuskybgd background model built for a set of spectra (a [`BackgroundModel`] value): sources 2 `apbgd` (cutoffpl through
//! the Be-window × detector-absorption ARF), 3 `intbgd` (apec + 29 lorentz lines), 4 `fcxb`
//! (cutoffpl through the fcxb ARF) and 5 `intn` (bknpower through diag.rmf), for every
//! background spectrum; each module's first spectrum is its reference and the others are
//! linked to it with geometric ratios, exactly as nuskybgd-py builds them (SPEC §4.9).

use crate::bgmodel::constants::{APBGD_PER_APW, FCXB_PER_PIXEL, INTN_IFACTOR_SCALE, INTN_PIXELS};
use crate::bgmodel::model::{full, same_as, scaled, BackgroundModel, ModelSource, ModelSpectrum};
use crate::bgmodel::presets::{ComponentPreset, Presets};
use crate::error::{ModelError, Result};
use crate::nustar::module::Module;
use crate::spectral::xcm::file::{Item, ParamLine};

/// Reference intn norm of a region: each detector's whole-detector continuum norm (the IDL
/// ifactors, = 25 × ratios.json) times the fraction of that detector's projected image the
/// region collects, `Σ_d 25·I_d·area_d / N_d` with `N_d = Σ det image d` — what the IDL
/// original's nuskybgd_spec predicts for a region. `port_scale` gives nuskybgd-py's
/// `Σ_d I_d·area_d / 599.75` instead (about 1.8× larger for a NuSTAR detector of ~26,700
/// sub-pixels: it treats a detector as 25 arcmin² instead of ~45).
pub fn intn_reference_norm(
    area: &[f64; 4],
    det_total: &[f64; 4],
    ifactors: &[f64; 4],
    port_scale: bool,
) -> f64 {
    if port_scale {
        return weighted(area, ifactors) / INTN_PIXELS;
    }
    (0..4)
        .filter(|&d| det_total[d] > 0.0)
        .map(|d| INTN_IFACTOR_SCALE * ifactors[d] * area[d] / det_total[d])
        .sum()
}

/// One background spectrum's geometry and files.
#[derive(Debug, Clone)]
pub struct SpectrumGeom {
    /// The spectrum as named in `data` (grouped PHA).
    pub pha: String,
    /// Its RMF.
    pub rmf: String,
    /// Its apbgd ARF (`<spectrum>_nsb.arf`).
    pub nsb_arf: String,
    pub module: Module,
    /// Exposure-weighted pixels of the region on DET0..DET3 (Σ mask·det image).
    pub area: [f64; 4],
    /// Σ mask·aperture image.
    pub apw: f64,
    /// Σ of each whole projected detector image DET0..DET3 of the module (the intn
    /// preset's per-detector scale).
    pub det_total: [f64; 4],
}

/// Choices of the model build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Tie lines 5..29 of each reference spectrum to line 4 with the preset ratios.
    pub fix_line_ratios: bool,
    /// fcxb links [i, j] (1-based): spectrum j's fcxb norm equals spectrum i's.
    pub fcxb_links: Vec<(usize, usize)>,
    /// Zero and freeze the apec and the three soft lines (solar contamination).
    pub solar_off: bool,
    /// Zero and freeze the apec only (no AtomDB to evaluate it).
    pub apec_off: bool,
    /// diag.rmf and the fcxb ARFs, as they should appear in the file.
    pub diag_rmf: String,
    pub fcxb_arf_a: String,
    pub fcxb_arf_b: String,
    /// `ignore` argument text (channel ranges per spectrum), if any.
    pub ignore: Option<String>,
    /// Start the intn reference norms at nuskybgd-py's value instead of the IDL-consistent
    /// one (see [`intn_reference_norm`]).
    pub intn_port_scale: bool,
}

fn module_presets<'a>(comps: &'a [ComponentPreset], what: &str) -> Result<&'a ComponentPreset> {
    comps.first().ok_or_else(|| {
        ModelError::PresetMissing {
            what: format!("{what} has no components"),
        }
        .into()
    })
}

fn weighted(area: &[f64; 4], f: &[f64; 4]) -> f64 {
    area.iter().zip(f).map(|(a, b)| a * b).sum()
}

fn need(c: &ComponentPreset, key: &str) -> Result<f64> {
    c.value(key).ok_or_else(|| {
        ModelError::PresetMissing {
            what: format!("component {} has no numeric '{key}'", c.name),
        }
        .into()
    })
}

fn ifactors(c: &ComponentPreset) -> Result<[f64; 4]> {
    c.ifactors.ok_or_else(|| {
        ModelError::PresetMissing {
            what: format!("component {} has no ifactors", c.name),
        }
        .into()
    })
}

/// Parameters of a spectrum that is not its module's reference, for each of the four
/// sources (the fcxb lines hold only the two index links; its norm is the caller's): every
/// parameter linked to reference spectrum number `r` (0-based), norms scaled by the
/// geometric ratios of the two regions.
pub struct LinkedLines {
    pub apbgd: Vec<ParamLine>,
    pub intbgd: Vec<ParamLine>,
    pub fcxb_indices: Vec<ParamLine>,
    pub intn: Vec<ParamLine>,
}

/// See [`LinkedLines`].
pub fn linked_lines(
    presets: &Presets,
    s: &SpectrumGeom,
    r: usize,
    refg: &SpectrumGeom,
) -> Result<LinkedLines> {
    let m = s.module;
    let ap = vec![
        same_as("apbgd", 3 * r + 1),
        same_as("apbgd", 3 * r + 2),
        scaled(s.apw / refg.apw, "apbgd", 3 * r + 3),
    ];
    let c = module_presets(presets.intn.module(m), "intn")?;
    let f = ifactors(c)?;
    let nn = vec![
        full(need(c, "phoindx1")?, -0.01, INDEX),
        full(need(c, "breake")?, -0.01, BREAK),
        full(need(c, "phoindx2")?, -0.01, INDEX),
        scaled(
            weighted(&s.area, &f) / weighted(&refg.area, &f),
            "intn",
            4 * r + 4,
        ),
    ];
    Ok(LinkedLines {
        apbgd: ap,
        intbgd: linked_intbgd(presets, s, r, refg)?,
        fcxb_indices: vec![same_as("apbgd", 3 * r + 1), same_as("apbgd", 3 * r + 2)],
        intn: nn,
    })
}

/// The intbgd parameters of a spectrum linked to reference spectrum `r` (0-based): shapes
/// equal, each norm scaled by the detector-weighted presets of the two regions.
fn linked_intbgd(
    presets: &Presets,
    s: &SpectrumGeom,
    r: usize,
    refg: &SpectrumGeom,
) -> Result<Vec<ParamLine>> {
    let comps = presets.intbgd.module(s.module);
    let per = 4 + 3 * (comps.len() - 1);
    let off = per * r;
    let ratio = |c: &ComponentPreset| -> Result<f64> {
        Ok(weighted(&s.area, &ifactors(c)?) / weighted(&refg.area, &ifactors(c)?))
    };
    let mut ib: Vec<ParamLine> = (1..=3).map(|p| same_as("intbgd", off + p)).collect();
    ib.push(scaled(ratio(&comps[0])?, "intbgd", off + 4));
    for (ci, c) in comps[1..].iter().enumerate() {
        ib.push(same_as("intbgd", off + 5 + 3 * ci));
        ib.push(same_as("intbgd", off + 6 + 3 * ci));
        ib.push(scaled(ratio(c)?, "intbgd", off + 7 + 3 * ci));
    }
    Ok(ib)
}

/// Limits of a photon index.
const INDEX: [f64; 4] = [-3.0, -2.0, 9.0, 10.0];
/// Limits of a norm.
pub const NORM: [f64; 4] = [0.0, 0.0, 1e20, 1e24];
/// Limits of the intn break energy (keV).
const BREAK: [f64; 4] = [0.0, 0.01, 1e6, 1e6];

/// Every spectrum's region covers a detector, and there is at least one spectrum.
fn check_specs(specs: &[SpectrumGeom]) -> Result<()> {
    if specs.is_empty() {
        return Err(ModelError::NoSpectra.into());
    }
    for (k, s) in specs.iter().enumerate() {
        if !(s.area.iter().sum::<f64>() > 0.0) {
            return Err(ModelError::SpectrumOffDetectors {
                number: k + 1,
                pha: s.pha.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// The spectra of the model: each folded through its RMF for sources 2–4 and diag.rmf
/// for intn, with its apbgd ARF and its module's fcxb ARF.
fn model_spectra(specs: &[SpectrumGeom], opt: &BuildOptions) -> Vec<ModelSpectrum> {
    specs
        .iter()
        .map(|s| {
            let fcxb = if s.module == Module::A {
                &opt.fcxb_arf_a
            } else {
                &opt.fcxb_arf_b
            };
            ModelSpectrum {
                pha: s.pha.clone(),
                responses: vec![
                    (2, s.rmf.clone()),
                    (3, s.rmf.clone()),
                    (4, s.rmf.clone()),
                    (5, opt.diag_rmf.clone()),
                ],
                arfs: vec![(2, s.nsb_arf.clone()), (4, fcxb.clone())],
                background: None,
            }
        })
        .collect()
}

/// The items before the spectra: a note when the apec is off for want of AtomDB, and the
/// statistic.
fn head(opt: &BuildOptions) -> Vec<Item> {
    let mut items = Vec::new();
    if opt.apec_off && !opt.solar_off {
        items.push(Item::Comment(
            "# nuskybgd: no AtomDB found, so the intbgd apec norm is 0 and frozen".into(),
        ));
    }
    items.push(command("statistic", "chi"));
    items
}

/// The settings after the spectra (a blank line, then the fit method, abundances, cross
/// sections, cosmology, derivative step and systematics), as nuskybgd-py writes them.
fn settings() -> Vec<Item> {
    let mut items = vec![Item::Blank];
    for (name, args) in [
        ("method", "leven 30000 0.0001"),
        ("abund", "angr"),
        ("xsect", "vern"),
        ("cosmo", "70 0 0.73"),
        ("xset", "delta -1"),
        ("systematic", "0"),
    ] {
        items.push(command(name, args));
    }
    items
}

fn command(name: &str, args: &str) -> Item {
    Item::Cmd {
        name: name.into(),
        args: args.into(),
        params: vec![],
    }
}

/// A source `model  N:name expr` with its parameters.
fn source(number: usize, name: &str, expr: String, params: Vec<ParamLine>) -> ModelSource {
    ModelSource {
        number,
        name: Some(name.into()),
        expr,
        params,
    }
}

/// Index (0-based) of the first spectrum of module `m`, its reference.
fn reference(specs: &[SpectrumGeom], m: Module) -> usize {
    specs.iter().position(|s| s.module == m).unwrap()
}

/// The lines linking each non-reference spectrum to its module's reference (None for the
/// references themselves).
fn all_linked(presets: &Presets, specs: &[SpectrumGeom]) -> Result<Vec<Option<LinkedLines>>> {
    specs
        .iter()
        .map(|s| {
            let r = reference(specs, s.module);
            if std::ptr::eq(s, &specs[r]) {
                Ok(None)
            } else {
                linked_lines(presets, s, r, &specs[r]).map(Some)
            }
        })
        .collect()
}

/// Source 2, apbgd: a cutoff power law, free on the references.
fn apbgd_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    linked: &mut [Option<LinkedLines>],
) -> Result<ModelSource> {
    let mut params = Vec::new();
    for (k, s) in specs.iter().enumerate() {
        let c = module_presets(presets.apbgd.module(s.module), "apbgd")?;
        match &mut linked[k] {
            None => params.extend([
                full(need(c, "phoindex")?, -0.01, INDEX),
                full(need(c, "highecut")?, -0.01, [0.01, 1.0, 500.0, 500.0]),
                full(APBGD_PER_APW * s.apw, 0.01, NORM),
            ]),
            Some(l) => params.append(&mut l.apbgd),
        }
    }
    Ok(source(2, "apbgd", "cutoffpl".into(), params))
}

/// The intbgd parameters of reference spectrum `s` (number `k`, 0-based; `per` parameters
/// per spectrum): the apec and the lines with norms from the detector-weighted presets.
fn intbgd_reference(
    presets: &Presets,
    s: &SpectrumGeom,
    k: usize,
    per: usize,
    opt: &BuildOptions,
) -> Result<Vec<ParamLine>> {
    let comps = presets.intbgd.module(s.module);
    let tot: f64 = s.area.iter().sum();
    let mean = |c: &ComponentPreset| -> Result<f64> { Ok(weighted(&s.area, &ifactors(c)?) / tot) };
    let apec = &comps[0];
    let mut x = vec![
        full(need(apec, "kt")?, -0.01, [0.008, 0.008, 64.0, 64.0]),
        full(need(apec, "abundanc")?, -0.001, [0.0, 0.0, 5.0, 5.0]),
        full(need(apec, "redshift")?, -0.01, [-0.999, -0.999, 10.0, 10.0]),
    ];
    x.push(if opt.solar_off || opt.apec_off {
        full(0.0, -0.01, NORM)
    } else {
        full(mean(apec)?, 0.01, NORM)
    });
    for (ci, c) in comps[1..].iter().enumerate() {
        x.push(full(need(c, "linee")?, -0.05, [0.0, 0.0, 1e6, 1e6]));
        x.push(full(need(c, "width")?, -0.05, [0.0, 0.0, 10.0, 20.0]));
        x.push(if opt.solar_off && ci < 3 {
            full(0.0, -0.01, NORM)
        } else if opt.fix_line_ratios && ci >= 4 {
            scaled(mean(c)? / mean(&comps[4])?, "intbgd", per * k + 16)
        } else {
            full(mean(c)?, 0.01, NORM)
        });
    }
    Ok(x)
}

/// Source 3, intbgd: an apec plus one lorentz per line.
fn intbgd_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    linked: &mut [Option<LinkedLines>],
    opt: &BuildOptions,
) -> Result<ModelSource> {
    let ncomp = presets.intbgd.a.len();
    let per = 4 + 3 * (ncomp - 1);
    let exprs: Vec<&str> = std::iter::once("apec")
        .chain(std::iter::repeat_n("lorentz", ncomp - 1))
        .collect();
    let mut params = Vec::new();
    for (k, s) in specs.iter().enumerate() {
        match &mut linked[k] {
            Some(l) => params.append(&mut l.intbgd),
            None => params.extend(intbgd_reference(presets, s, k, per, opt)?),
        }
    }
    Ok(source(3, "intbgd", exprs.join(" + "), params))
}

/// Source 4, fcxb: the apbgd shape, a norm per spectrum (or linked as bgdinfo says).
fn fcxb_model(specs: &[SpectrumGeom], opt: &BuildOptions) -> ModelSource {
    let mut params = Vec::new();
    for (k, s) in specs.iter().enumerate() {
        let r = reference(specs, s.module);
        params.push(same_as("apbgd", 3 * r + 1));
        params.push(same_as("apbgd", 3 * r + 2));
        params.push(match opt.fcxb_links.iter().find(|(_, j)| *j == k + 1) {
            Some((i, _)) => same_as("fcxb", 3 * (i - 1) + 3),
            None => full(FCXB_PER_PIXEL * s.area.iter().sum::<f64>(), 0.01, NORM),
        });
    }
    source(4, "fcxb", "cutoffpl".into(), params)
}

/// Source 5, intn: a broken power law, free on the references.
fn intn_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    linked: &mut [Option<LinkedLines>],
    opt: &BuildOptions,
) -> Result<ModelSource> {
    let mut params = Vec::new();
    for (k, s) in specs.iter().enumerate() {
        if let Some(l) = &mut linked[k] {
            params.append(&mut l.intn);
            continue;
        }
        let c = module_presets(presets.intn.module(s.module), "intn")?;
        let v = intn_reference_norm(&s.area, &s.det_total, &ifactors(c)?, opt.intn_port_scale);
        params.extend([
            full(need(c, "phoindx1")?, -0.01, INDEX),
            full(need(c, "breake")?, -0.01, BREAK),
            full(need(c, "phoindx2")?, -0.01, INDEX),
            full(v, 0.01, NORM),
        ]);
    }
    Ok(source(5, "intn", "bknpower".into(), params))
}

/// The background model of `specs` (in fit order), as a value.
pub fn build_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    opt: &BuildOptions,
) -> Result<BackgroundModel> {
    check_specs(specs)?;
    let mut linked = all_linked(presets, specs)?;
    let sources = vec![
        apbgd_model(presets, specs, &mut linked)?,
        intbgd_model(presets, specs, &mut linked, opt)?,
        fcxb_model(specs, opt),
        intn_model(presets, specs, &mut linked, opt)?,
    ];
    Ok(BackgroundModel {
        head: head(opt),
        spectra: model_spectra(specs, opt),
        ignore: opt
            .ignore
            .iter()
            .flat_map(|ig| ig.split_whitespace().map(String::from))
            .collect(),
        settings: settings(),
        sources,
        tail: vec![],
    })
}

/// The save-file text of the background model for `specs` (in fit order).
pub fn build_xcm(presets: &Presets, specs: &[SpectrumGeom], opt: &BuildOptions) -> Result<String> {
    Ok(build_model(presets, specs, opt)?.to_text())
}
