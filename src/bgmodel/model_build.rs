//! The nuskybgd background model as an XSPEC save file: sources 2 `apbgd` (cutoffpl through
//! the Be-window × detector-absorption ARF), 3 `intbgd` (apec + 29 lorentz lines), 4 `fcxb`
//! (cutoffpl through the fcxb ARF) and 5 `intn` (bknpower through diag.rmf), for every
//! background spectrum; each module's first spectrum is its reference and the others are
//! linked to it with geometric ratios, exactly as nuskybgd-py builds them (SPEC §4.9).

use crate::bgmodel::constants::{APBGD_PER_APW, FCXB_PER_PIXEL, INTN_IFACTOR_SCALE, INTN_PIXELS};
use crate::bgmodel::presets::{ComponentPreset, Presets};
use crate::error::{Error, Result};
use crate::nustar::module::Module;
use crate::spectral::xcm::format::param_line;
use std::fmt::Write;

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

/// A link coefficient as XSPEC saves `=%e * name:N`: six decimals, exponent without '+'.
pub fn link_coeff(v: f64) -> String {
    let s = format!("{v:.6e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let x: i32 = e.parse().unwrap_or(0);
    if x < 0 {
        format!("{m}e-{:02}", -x)
    } else {
        format!("{m}e{x:02}")
    }
}

fn ratio_link(r: f64, name: &str, p: usize) -> String {
    format!("= {}*{name}:p{p}", link_coeff(r))
}

fn module_presets<'a>(comps: &'a [ComponentPreset], what: &str) -> Result<&'a ComponentPreset> {
    comps
        .first()
        .ok_or_else(|| Error::msg(format!("ratios.json: {what} has no components")))
}

fn weighted(area: &[f64; 4], f: &[f64; 4]) -> f64 {
    area.iter().zip(f).map(|(a, b)| a * b).sum()
}

fn need(c: &ComponentPreset, key: &str) -> Result<f64> {
    c.value(key).ok_or_else(|| {
        Error::msg(format!(
            "ratios.json: component {} has no numeric '{key}'",
            c.name
        ))
    })
}

fn ifactors(c: &ComponentPreset) -> Result<[f64; 4]> {
    c.ifactors
        .ok_or_else(|| Error::msg(format!("ratios.json: component {} has no ifactors", c.name)))
}

/// Parameter lines of a spectrum that is not its module's reference, for each of the four
/// sources (the fcxb lines hold only the two index links; its norm is the caller's): every
/// parameter linked to reference spectrum number `r` (0-based), norms scaled by the
/// geometric ratios of the two regions.
pub struct LinkedLines {
    pub apbgd: String,
    pub intbgd: String,
    pub fcxb_indices: String,
    pub intn: String,
}

/// See [`LinkedLines`].
pub fn linked_lines(
    presets: &Presets,
    s: &SpectrumGeom,
    r: usize,
    refg: &SpectrumGeom,
) -> Result<LinkedLines> {
    let m = s.module;
    let mut ap = String::new();
    let _ = writeln!(ap, "= apbgd:p{}\n= apbgd:p{}", 3 * r + 1, 3 * r + 2);
    ap += &(ratio_link(s.apw / refg.apw, "apbgd", 3 * r + 3) + "\n");
    let comps = presets.intbgd.module(m);
    let per = 4 + 3 * (comps.len() - 1);
    let off = per * r;
    let ratio = |c: &ComponentPreset| -> Result<f64> {
        Ok(weighted(&s.area, &ifactors(c)?) / weighted(&refg.area, &ifactors(c)?))
    };
    let mut ib = String::new();
    let _ = writeln!(
        ib,
        "= intbgd:p{}\n= intbgd:p{}\n= intbgd:p{}",
        off + 1,
        off + 2,
        off + 3
    );
    ib += &(ratio_link(ratio(&comps[0])?, "intbgd", off + 4) + "\n");
    for (ci, c) in comps[1..].iter().enumerate() {
        let _ = writeln!(
            ib,
            "= intbgd:p{}\n= intbgd:p{}",
            off + 5 + 3 * ci,
            off + 6 + 3 * ci
        );
        ib += &(ratio_link(ratio(c)?, "intbgd", off + 7 + 3 * ci) + "\n");
    }
    let c = module_presets(presets.intn.module(m), "intn")?;
    let index = [-3.0, -2.0, 9.0, 10.0];
    let full =
        |v: f64, d: f64, lim: [f64; 4]| param_line([v, d, lim[0], lim[1], lim[2], lim[3]]) + "\n";
    let mut nn = full(need(c, "phoindx1")?, -0.01, index);
    nn += &full(need(c, "breake")?, -0.01, [0.0, 0.01, 1e6, 1e6]);
    nn += &full(need(c, "phoindx2")?, -0.01, index);
    let f = ifactors(c)?;
    nn += &(ratio_link(
        weighted(&s.area, &f) / weighted(&refg.area, &f),
        "intn",
        4 * r + 4,
    ) + "\n");
    Ok(LinkedLines {
        apbgd: ap,
        intbgd: ib,
        fcxb_indices: format!("= apbgd:p{}\n= apbgd:p{}\n", 3 * r + 1, 3 * r + 2),
        intn: nn,
    })
}

/// A full parameter line `value delta min bot top max` and a newline.
fn full(v: f64, d: f64, lim: [f64; 4]) -> String {
    param_line([v, d, lim[0], lim[1], lim[2], lim[3]]) + "\n"
}

/// Limits of a photon index.
const INDEX: [f64; 4] = [-3.0, -2.0, 9.0, 10.0];
/// Limits of a norm.
const NORM: [f64; 4] = [0.0, 0.0, 1e20, 1e24];

/// Every spectrum's region covers a detector, and there is at least one spectrum.
fn check_specs(specs: &[SpectrumGeom]) -> Result<()> {
    if specs.is_empty() {
        return Err(Error::msg("no background spectra"));
    }
    for (k, s) in specs.iter().enumerate() {
        if !(s.area.iter().sum::<f64>() > 0.0) {
            return Err(Error::msg(format!(
                "background spectrum {} ({}): its region covers no detector",
                k + 1,
                s.pha
            )));
        }
    }
    Ok(())
}

/// The head of the file: statistic, the data blocks, ignore, and the settings.
fn data_section(specs: &[SpectrumGeom], opt: &BuildOptions) -> String {
    let mut x = String::new();
    if opt.apec_off && !opt.solar_off {
        x.push_str("# nuskybgd: no AtomDB found, so the intbgd apec norm is 0 and frozen\n");
    }
    x.push_str("statistic chi\n");
    for (k, s) in specs.iter().enumerate() {
        let n = k + 1;
        let fcxb = if s.module == Module::A {
            &opt.fcxb_arf_a
        } else {
            &opt.fcxb_arf_b
        };
        if k > 0 {
            x.push('\n');
        }
        let _ = write!(
            x,
            "data {n}:{n} {}\nresponse  2:{n} {}\nresponse  3:{n} {}\nresponse  4:{n} {}\nresponse  5:{n} {}\narf 2:{n} {}\narf 4:{n} {fcxb}\n",
            s.pha, s.rmf, s.rmf, s.rmf, opt.diag_rmf, s.nsb_arf
        );
    }
    if let Some(ig) = &opt.ignore {
        let _ = writeln!(x, "ignore {ig}");
    }
    x.push_str("\nmethod leven 30000 0.0001\nabund angr\nxsect vern\ncosmo 70 0 0.73\nxset delta -1\nsystematic 0\n");
    x
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
    linked: &[Option<LinkedLines>],
) -> Result<String> {
    let mut x = "model  2:apbgd cutoffpl\n".to_string();
    for (k, s) in specs.iter().enumerate() {
        let c = module_presets(presets.apbgd.module(s.module), "apbgd")?;
        match &linked[k] {
            None => {
                x += &full(need(c, "phoindex")?, -0.01, INDEX);
                x += &full(need(c, "highecut")?, -0.01, [0.01, 1.0, 500.0, 500.0]);
                x += &full(APBGD_PER_APW * s.apw, 0.01, NORM);
            }
            Some(l) => x += &l.apbgd,
        }
    }
    Ok(x)
}

/// The intbgd lines of reference spectrum `s` (number `k`, 0-based; `per` parameters per
/// group): the apec and the lines with norms from the detector-weighted presets.
fn intbgd_reference(
    presets: &Presets,
    s: &SpectrumGeom,
    k: usize,
    per: usize,
    opt: &BuildOptions,
) -> Result<String> {
    let mut x = String::new();
    let comps = presets.intbgd.module(s.module);
    let tot: f64 = s.area.iter().sum();
    let mean = |c: &ComponentPreset| -> Result<f64> { Ok(weighted(&s.area, &ifactors(c)?) / tot) };
    let off = per * k;
    let apec = &comps[0];
    x += &full(need(apec, "kt")?, -0.01, [0.008, 0.008, 64.0, 64.0]);
    x += &full(need(apec, "abundanc")?, -0.001, [0.0, 0.0, 5.0, 5.0]);
    x += &full(need(apec, "redshift")?, -0.01, [-0.999, -0.999, 10.0, 10.0]);
    if opt.solar_off || opt.apec_off {
        x += &full(0.0, -0.01, NORM);
    } else {
        x += &full(mean(apec)?, 0.01, NORM);
    }
    for (ci, c) in comps[1..].iter().enumerate() {
        x += &full(need(c, "linee")?, -0.05, [0.0, 0.0, 1e6, 1e6]);
        x += &full(need(c, "width")?, -0.05, [0.0, 0.0, 10.0, 20.0]);
        if opt.solar_off && ci < 3 {
            x += &full(0.0, -0.01, NORM);
        } else if opt.fix_line_ratios && ci >= 4 {
            x += &(ratio_link(mean(c)? / mean(&comps[4])?, "intbgd", off + 16) + "\n");
        } else {
            x += &full(mean(c)?, 0.01, NORM);
        }
    }
    Ok(x)
}

/// Source 3, intbgd: an apec plus one lorentz per line.
fn intbgd_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    linked: &[Option<LinkedLines>],
    opt: &BuildOptions,
) -> Result<String> {
    let ncomp = presets.intbgd.a.len();
    let per = 4 + 3 * (ncomp - 1);
    let exprs: Vec<&str> = std::iter::once("apec")
        .chain(std::iter::repeat("lorentz").take(ncomp - 1))
        .collect();
    let mut x = format!("model  3:intbgd {}\n", exprs.join(" + "));
    for (k, s) in specs.iter().enumerate() {
        match &linked[k] {
            Some(l) => x += &l.intbgd,
            None => x += &intbgd_reference(presets, s, k, per, opt)?,
        }
    }
    Ok(x)
}

/// Source 4, fcxb: the apbgd shape, a norm per spectrum (or linked as bgdinfo says).
fn fcxb_model(specs: &[SpectrumGeom], opt: &BuildOptions) -> String {
    let mut x = "model  4:fcxb cutoffpl\n".to_string();
    for (k, s) in specs.iter().enumerate() {
        let r = reference(specs, s.module);
        let _ = writeln!(x, "= apbgd:p{}\n= apbgd:p{}", 3 * r + 1, 3 * r + 2);
        match opt.fcxb_links.iter().find(|(_, j)| *j == k + 1) {
            Some((i, _)) => {
                let _ = writeln!(x, "= fcxb:p{}", 3 * (i - 1) + 3);
            }
            None => x += &full(FCXB_PER_PIXEL * s.area.iter().sum::<f64>(), 0.01, NORM),
        }
    }
    x
}

/// Source 5, intn: a broken power law, free on the references.
fn intn_model(
    presets: &Presets,
    specs: &[SpectrumGeom],
    linked: &[Option<LinkedLines>],
    opt: &BuildOptions,
) -> Result<String> {
    let mut x = "model  5:intn bknpower\n".to_string();
    for (k, s) in specs.iter().enumerate() {
        if let Some(l) = &linked[k] {
            x += &l.intn;
            continue;
        }
        let c = module_presets(presets.intn.module(s.module), "intn")?;
        x += &full(need(c, "phoindx1")?, -0.01, INDEX);
        x += &full(need(c, "breake")?, -0.01, [0.0, 0.01, 1e6, 1e6]);
        x += &full(need(c, "phoindx2")?, -0.01, INDEX);
        let v = intn_reference_norm(&s.area, &s.det_total, &ifactors(c)?, opt.intn_port_scale);
        x += &full(v, 0.01, NORM);
    }
    Ok(x)
}

/// The save-file text of the background model for `specs` (in fit order).
pub fn build_xcm(presets: &Presets, specs: &[SpectrumGeom], opt: &BuildOptions) -> Result<String> {
    check_specs(specs)?;
    let mut x = data_section(specs, opt);
    let linked = all_linked(presets, specs)?;
    x += &apbgd_model(presets, specs, &linked)?;
    x += &intbgd_model(presets, specs, &linked, opt)?;
    x += &fcxb_model(specs, opt);
    x += &intn_model(presets, specs, &linked, opt)?;
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::link_coeff;

    #[test]
    fn link_coefficients_as_xspec_saves_them() {
        assert_eq!(link_coeff(1.118002), "1.118002e00");
        assert_eq!(link_coeff(0.7164754), "7.164754e-01");
        assert_eq!(link_coeff(12.5), "1.250000e01");
    }
}
