//! `image`: model images of each background component per module, on the reference sky
//! grid, in counts for the exposure of the spectrum they are scaled from, for an energy band.
//!
//! apbgd follows the aperture image; intbgd and intn follow the detector images, each
//! detector weighted by its share of every line/continuum ("ifactors"); fcxb is flat over
//! the detectors, scaled per background region and, pooled per module, over the field.

use crate::bgmodel::bgdinfo::{check_spectrum_order, BgdInfo};
use crate::bgmodel::geometry::{ModuleMaps, RegionWeights};
use crate::bgmodel::presets::{ComponentPreset, Presets};
use crate::bgmodel::setup::BackgroundSetup;
use crate::error::{Result, TaskError};
use crate::io::image::Image;
use crate::io::output::{check_all, Output};
use crate::nustar::module::Module;
use crate::sky::regmask::{mask, Grid};
use crate::spectral::grouping::{apply, Range};
use crate::spectral::run::load;
use crate::spectral::session::Session;
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

/// What image wrote.
#[derive(Debug, Clone)]
pub struct ImageSummary {
    /// Every image written (per component and module, then fcxb per region), with its
    /// total model counts.
    pub images: Vec<(PathBuf, f64)>,
}

fn source_index(sess: &Session, name: &str, xcm: &Path) -> Result<usize> {
    sess.sources
        .iter()
        .position(|s| s.name.as_deref() == Some(name))
        .ok_or_else(|| {
            TaskError::NoSource {
                path: xcm.into(),
                name: name.into(),
            }
            .into()
        })
}

/// The fitted session with only the band `emin`..`emax` keV noticed on every spectrum's
/// grouped bins (XSPEC's energy rule).
fn notice_band(sess: &mut Session, emin: f64, emax: f64) {
    for ds in sess.data.iter_mut() {
        ds.noticed = ds.bins.initially_noticed();
        if let Some(r) = ds.resp.iter().flatten().next().map(|r| r.rmf.clone()) {
            for rg in [
                Range::Energies(f64::NEG_INFINITY, emin),
                Range::Energies(emax, f64::INFINITY),
            ] {
                apply(&rg, &ds.bins, &r.e_min, &r.e_max, &mut ds.noticed, false);
            }
        }
    }
}

/// The fitted model and its background set-up, checked to hold the background spectra of
/// bgdinfo.json in order, with the band noticed.
fn load_inputs(req: &ImageRequest) -> Result<(Session, BackgroundSetup)> {
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
    notice_band(&mut sess, req.emin, req.emax);
    if !sess.data.iter().any(|d| d.noticed.iter().any(|&n| n)) {
        return Err(TaskError::BandWithoutResponse {
            path: req.xcm.clone(),
            emin: req.emin,
            emax: req.emax,
        }
        .into());
    }
    let setup = BackgroundSetup::from_parts(&req.bgdinfo, info, presets)?;
    Ok((sess, setup))
}

/// The model being imaged: the session, its set-up and the four background sources.
struct Imaging<'a> {
    req: &'a ImageRequest,
    sess: &'a Session,
    setup: &'a BackgroundSetup,
    /// Indices of apbgd, intbgd, fcxb and intn among the sources.
    ap: usize,
    ib: usize,
    fx: usize,
    it: usize,
}

impl Imaging<'_> {
    /// The output `<prefix><name>`.
    fn out(&self, name: String) -> Output {
        Output::new(&format!("{}{name}", self.req.prefix), self.req.clobber)
    }

    /// The weights of background spectrum `k` (0-based).
    fn weights(&self, k: usize) -> &RegionWeights {
        &self.setup.spectra[k].weights
    }

    /// apbgd of module `m` (reference spectrum `r`): the aperture pattern scaled to the
    /// reference region's counts.
    fn apbgd(&self, m: Module, maps: &ModuleMaps, r: usize) -> Result<(Output, Image)> {
        let c = self.sess.band_counts(r, self.ap, None)?;
        let mut img = maps.bgdap.clone();
        img.data
            .iter_mut()
            .for_each(|v| *v *= c / self.weights(r).apw);
        Ok((self.out(format!("bgd_apbgd_{}.fits", m.letter())), img))
    }

    /// intbgd or intn (source `si`, presets `comps`) of module `m`: each component spread
    /// over the detectors by its ifactors.
    fn internal(
        &self,
        m: Module,
        maps: &ModuleMaps,
        r: usize,
        (si, comps, name): (usize, &[ComponentPreset], &str),
    ) -> Result<(Output, Image)> {
        let ncomp = self.sess.sources[si].expr.components.len();
        if comps.len() != ncomp {
            return Err(TaskError::ComponentCount {
                path: self.req.xcm.clone(),
                name: name.into(),
                components: ncomp,
                presets: comps.len(),
            }
            .into());
        }
        let mut per_det = [0.0f64; 4];
        for (c, preset) in comps.iter().enumerate() {
            let f = preset.ifactors.ok_or_else(|| TaskError::NoIfactors {
                name: name.into(),
                component: preset.name.clone(),
            })?;
            let denom: f64 = (0..4).map(|d| f[d] * self.weights(r).area[d]).sum();
            if denom <= 0.0 {
                continue;
            }
            let cc = self.sess.band_counts(r, si, Some(c))?;
            for d in 0..4 {
                per_det[d] += cc * f[d] / denom;
            }
        }
        let img = detector_sum(&self.setup.grid, maps, per_det);
        Ok((self.out(format!("bgd_{name}_{}.fits", m.letter())), img))
    }

    /// apbgd, intbgd and intn of every module, from its reference spectrum.
    fn module_images(&self) -> Result<Vec<(Output, Image)>> {
        let mut images = Vec::new();
        let presets = &self.setup.presets;
        for (m, maps) in &self.setup.modules {
            let r = self.setup.reference(*m).unwrap();
            images.push(self.apbgd(*m, maps, r)?);
            for src in [
                (self.ib, presets.intbgd.module(*m), "intbgd"),
                (self.it, presets.intn.module(*m), "intn"),
            ] {
                images.push(self.internal(*m, maps, r, src)?);
            }
        }
        Ok(images)
    }

    /// fcxb: per background region, then one mean per module over the field.
    fn fcxb_images(&self) -> Result<Vec<(Output, Image)>> {
        let grid = &self.setup.grid;
        let mut images = Vec::new();
        let mut pooled: Vec<(Module, f64, f64)> = self
            .setup
            .modules
            .iter()
            .map(|(m, _)| (*m, 0.0, 0.0))
            .collect();
        for (k, s) in self.setup.spectra.iter().enumerate() {
            let w = &s.weights;
            let maps = self.setup.maps(w.module).unwrap();
            let c = self.sess.band_counts(k, self.fx, None)?;
            let tot: f64 = w.area.iter().sum();
            let msk = mask(grid, &grid.region(&s.region)?)?;
            let mut img = Image::zeros(grid.nx, grid.ny);
            for i in 0..img.data.len() {
                if msk.data[i] > 0.0 {
                    img.data[i] = (0..4).map(|d| maps.det[d].data[i]).sum::<f64>() * c / tot;
                }
            }
            images.push((self.out(format!("bgd_fcxb_{}.fits", k + 1)), img));
            let p = pooled.iter_mut().find(|(m, _, _)| *m == w.module).unwrap();
            p.1 += c;
            p.2 += tot;
        }
        for (m, c, tot) in pooled {
            let maps = self.setup.maps(m).unwrap();
            let mut img = Image::zeros(grid.nx, grid.ny);
            for d in 0..4 {
                img.data
                    .iter_mut()
                    .zip(&maps.det[d].data)
                    .for_each(|(o, v)| *o += v * c / tot);
            }
            images.push((self.out(format!("bgd_fcxb_{}.fits", m.letter())), img));
        }
        Ok(images)
    }
}

/// Σ_d scale[d] · detector image d of `maps`, on `grid`.
fn detector_sum(grid: &Grid, maps: &ModuleMaps, scale: [f64; 4]) -> Image {
    let mut img = Image::zeros(grid.nx, grid.ny);
    for d in 0..4 {
        img.data
            .iter_mut()
            .zip(&maps.det[d].data)
            .for_each(|(o, v)| *o += scale[d] * v);
    }
    img
}

/// Write the images (refusing first if any exists); returns each file with its total.
fn write_images(
    req: &ImageRequest,
    grid: &Grid,
    images: &[(Output, Image)],
) -> Result<ImageSummary> {
    check_all(&images.iter().map(|(o, _)| o.clone()).collect::<Vec<_>>())?;
    let mut written = Vec::new();
    for (o, img) in images {
        // single precision (BITPIX -32): 7 significant digits is more than a model count per
        // pixel carries, at half the size; the total reported is the file's
        let mut img = img.clone();
        img.data.iter_mut().for_each(|v| *v = *v as f32 as f64);
        o.write_fits(|f| {
            f.write_image(&img, -32)?;
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
    Ok(ImageSummary { images: written })
}

/// Run the task; returns the images written with their total counts.
pub fn image_task(req: &ImageRequest) -> Result<ImageSummary> {
    if !(req.emin < req.emax) {
        return Err(TaskError::BandOrder {
            emin: req.emin,
            emax: req.emax,
        }
        .into());
    }
    let (sess, setup) = load_inputs(req)?;
    let im = Imaging {
        req,
        sess: &sess,
        setup: &setup,
        ap: source_index(&sess, "apbgd", &req.xcm)?,
        ib: source_index(&sess, "intbgd", &req.xcm)?,
        fx: source_index(&sess, "fcxb", &req.xcm)?,
        it: source_index(&sess, "intn", &req.xcm)?,
    };
    let mut images = im.module_images()?;
    images.extend(im.fcxb_images()?);
    write_images(req, &setup.grid, &images)
}
