//! `image`: model images of each background component per module, on the reference sky
//! grid, in counts for the exposure of the spectrum they are scaled from, for an energy band.
//!
//! apbgd follows the aperture image; intbgd and intn follow the detector images, each
//! detector weighted by its share of every line/continuum ("ifactors"); fcxb is flat over
//! the detectors, scaled per background region and, pooled per module, over the field.

use crate::bgmodel::bgdinfo::{check_spectrum_order, BgdInfo};
use crate::bgmodel::geometry::{region_weights, spectrum_module, ModuleMaps, RegionWeights};
use crate::bgmodel::presets::Presets;
use crate::error::{Error, Result};
use crate::io::image::Image;
use crate::io::output::{check_all, Output};
use crate::nustar::module::Module;
use crate::sky::regmask::{mask, Grid};
use crate::spectral::grouping::{apply, Range};
use crate::spectral::run::load;
use std::path::{Path, PathBuf};

/// Inputs of the image task.
pub struct ImageRequest {
    pub bgdinfo: PathBuf,
    /// The fitted save file (background spectra first, as `fit` wrote them).
    pub xcm: PathBuf,
    /// Band (keV).
    pub emin: f64,
    pub emax: f64,
    /// Prefix of every output file name.
    pub prefix: String,
    pub clobber: bool,
    pub auxil: PathBuf,
}

/// (file, total counts in the image).
pub type Written = Vec<(PathBuf, f64)>;

fn source_index(sess: &crate::spectral::session::Session, name: &str, xcm: &Path) -> Result<usize> {
    sess.sources
        .iter()
        .position(|s| s.name.as_deref() == Some(name))
        .ok_or_else(|| Error::file(xcm, format!("has no source named {name}")))
}

/// Run the task; returns the images written with their total counts.
pub fn image_task(req: &ImageRequest) -> Result<Written> {
    if !(req.emin < req.emax) {
        return Err(Error::msg(format!(
            "band {}-{} keV: EMIN must be below EMAX",
            req.emin, req.emax
        )));
    }
    let info = BgdInfo::read(&req.bgdinfo)?;
    let presets = Presets::read(&req.auxil.join("ratios.json"))?;
    let mut sess = load(&req.xcm, true)?;
    let base = req
        .xcm
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let files: Vec<String> = sess.data.iter().map(|d| d.file.clone()).collect();
    check_spectrum_order(&req.xcm, &files, &info.bgfiles, base)?;
    // the band, on every spectrum's grouped bins (XSPEC's energy rule)
    for ds in sess.data.iter_mut() {
        ds.noticed = ds.bins.initially_noticed();
        if let Some(r) = ds.resp.iter().flatten().next().map(|r| r.rmf.clone()) {
            for rg in [
                Range::Energies(f64::NEG_INFINITY, req.emin),
                Range::Energies(req.emax, f64::INFINITY),
            ] {
                apply(&rg, &ds.bins, &r.e_min, &r.e_max, &mut ds.noticed, false);
            }
        }
    }
    let grid = Grid::read(&info.refimg)?;
    let (ap, ib, fx, it) = (
        source_index(&sess, "apbgd", &req.xcm)?,
        source_index(&sess, "intbgd", &req.xcm)?,
        source_index(&sess, "fcxb", &req.xcm)?,
        source_index(&sess, "intn", &req.xcm)?,
    );
    let mut modules: Vec<(Module, ModuleMaps)> = Vec::new();
    let mut weights: Vec<RegionWeights> = Vec::new();
    for (k, reg) in info.regfiles.iter().enumerate() {
        let m = spectrum_module(&info.bgfiles[k], &sess.data[k].spectrum.instrume)?;
        if !modules.iter().any(|(x, _)| *x == m) {
            modules.push((m, ModuleMaps::read(info.images(&req.bgdinfo, m)?, &grid)?));
        }
        let maps = &modules.iter().find(|(x, _)| *x == m).unwrap().1;
        weights.push(region_weights(&grid, reg, m, maps)?);
    }
    let mut images: Vec<(Output, Image)> = Vec::new();
    let out = |name: String| Output::new(&format!("{}{name}", req.prefix), req.clobber);
    for (m, maps) in &modules {
        let r = weights.iter().position(|w| w.module == *m).unwrap();
        let l = m.letter();
        // apbgd: the aperture pattern scaled to the reference region's counts
        let c = sess.band_counts(r, ap, None)?;
        let mut img = maps.bgdap.clone();
        img.data.iter_mut().for_each(|v| *v *= c / weights[r].apw);
        images.push((out(format!("bgd_apbgd_{l}.fits")), img));
        // intbgd and intn: each component spread over the detectors by its ifactors
        for (si, comps, name) in [
            (ib, presets.intbgd.module(*m), "intbgd"),
            (it, presets.intn.module(*m), "intn"),
        ] {
            let ncomp = sess.sources[si].expr.components.len();
            if comps.len() != ncomp {
                return Err(Error::file(
                    &req.xcm,
                    format!(
                        "source {name} has {ncomp} components, ratios.json {}",
                        comps.len()
                    ),
                ));
            }
            let mut per_det = [0.0f64; 4];
            for (c, preset) in comps.iter().enumerate() {
                let f = preset.ifactors.ok_or_else(|| {
                    Error::msg(format!(
                        "ratios.json: {name} component {} has no ifactors",
                        preset.name
                    ))
                })?;
                let denom: f64 = (0..4).map(|d| f[d] * weights[r].area[d]).sum();
                if denom <= 0.0 {
                    continue;
                }
                let cc = sess.band_counts(r, si, Some(c))?;
                for d in 0..4 {
                    per_det[d] += cc * f[d] / denom;
                }
            }
            let mut img = Image::zeros(grid.nx, grid.ny);
            for d in 0..4 {
                img.data
                    .iter_mut()
                    .zip(&maps.det[d].data)
                    .for_each(|(o, v)| *o += per_det[d] * v);
            }
            images.push((out(format!("bgd_{name}_{l}.fits")), img));
        }
    }
    // fcxb: per background region, then one mean per module over the field
    let mut pooled: Vec<(Module, f64, f64)> = modules.iter().map(|(m, _)| (*m, 0.0, 0.0)).collect();
    for (k, w) in weights.iter().enumerate() {
        let maps = &modules.iter().find(|(x, _)| *x == w.module).unwrap().1;
        let c = sess.band_counts(k, fx, None)?;
        let tot: f64 = w.area.iter().sum();
        let msk = mask(&grid, &grid.region(&info.regfiles[k])?)?;
        let mut img = Image::zeros(grid.nx, grid.ny);
        for i in 0..img.data.len() {
            if msk.data[i] > 0.0 {
                img.data[i] = (0..4).map(|d| maps.det[d].data[i]).sum::<f64>() * c / tot;
            }
        }
        images.push((out(format!("bgd_fcxb_{}.fits", k + 1)), img));
        let p = pooled.iter_mut().find(|(m, _, _)| *m == w.module).unwrap();
        p.1 += c;
        p.2 += tot;
    }
    for (m, c, tot) in pooled {
        let maps = &modules.iter().find(|(x, _)| *x == m).unwrap().1;
        let mut img = Image::zeros(grid.nx, grid.ny);
        for d in 0..4 {
            img.data
                .iter_mut()
                .zip(&maps.det[d].data)
                .for_each(|(o, v)| *o += v * c / tot);
        }
        images.push((out(format!("bgd_fcxb_{}.fits", m.letter())), img));
    }
    check_all(&images.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>())?;
    let mut written = Vec::new();
    for (o, img) in &images {
        o.write_fits(|f| {
            f.write_image(img, -64)?;
            f.copy_cards(&grid.cards, &["EXTNAME", "BUNIT"])?;
            f.set_key_str(
                "BUNIT",
                "counts",
                "model counts for the spectrum's exposure",
            )?;
            f.history(&format!(
                "nuskybgd image: {} {}-{} keV",
                req.xcm.display(),
                req.emin,
                req.emax
            ))
        })?;
        written.push((o.path.clone(), img.sum()));
    }
    Ok(written)
}
