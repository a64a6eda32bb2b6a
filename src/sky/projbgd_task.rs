//! The `projbgd` task at file level: read the reference image, instrument map, aspect
//! histogram and auxiliary aperture pattern; write the projected aperture image and the
//! per-detector images beside it.

use crate::error::{Error, Result};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::{check_all, parent_dir, Output};
use crate::nustar::module::Module;
use crate::sky::aperture::aperture_image;
use crate::sky::projbgd::{project, Aspect, ProjInput};
use crate::sky::refimg::RefImage;
use std::path::{Path, PathBuf};

/// Inputs of one projbgd run.
#[derive(Debug, Clone)]
pub struct ProjbgdRequest {
    /// Reference sky image (defines grid, WCS and roll).
    pub refimg: PathBuf,
    /// Aperture image output; detector images go beside it as `det{d}{M}im.fits`.
    pub out: Output,
    pub module: Module,
    /// Detectors, 0-based (the command's `det=1234` means DET0..DET3).
    pub dets: Vec<usize>,
    /// Instrument map (mkinstrmap output).
    pub chipmap: PathBuf,
    /// Aspect histogram (aspecthist output).
    pub aspect: PathBuf,
    /// Auxiliary directory holding the aperture pattern.
    pub auxil: PathBuf,
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct ProjbgdSummary {
    pub written: Vec<PathBuf>,
    /// Total of the aperture image (sky pixels × template units).
    pub aperture_sum: f64,
    /// Sum of each detector image (≈ that detector's active pixel count).
    pub det_sums: Vec<(usize, f64)>,
}

/// Read an instrument map: HDU named INSTRMAP, else the primary image.
pub fn read_chipmap(path: &Path) -> Result<Image> {
    let mut f = Fits::open(path)?;
    if !f.try_goto_named("INSTRMAP")? {
        f.goto_hdu(1)?;
    }
    let img = f.read_image()?;
    if (img.nx, img.ny) != (360, 360) {
        return Err(Error::file(
            path,
            format!(
                "instrument map must be 360x360 DET1 pixels, found {}x{}",
                img.nx, img.ny
            ),
        ));
    }
    Ok(img)
}

/// Read an aspect histogram image with its X_OFF/Y_OFF placement (0 when absent).
pub fn read_aspect(path: &Path) -> Result<Aspect> {
    let mut f = Fits::open(path)?;
    let image = f.read_image()?;
    let off = |f: &mut Fits, k: &str| -> Result<usize> {
        match f.opt_key_i64(k)? {
            None => Ok(0),
            Some(v) if (0..1000).contains(&v) => Ok(v as usize),
            Some(v) => Err(Error::file(
                path,
                format!("{k} = {v} is off the 1000x1000 sky grid"),
            )),
        }
    };
    let (x_off, y_off) = (off(&mut f, "X_OFF")?, off(&mut f, "Y_OFF")?);
    if image.data.iter().any(|v| !v.is_finite() || *v < 0.0) || !(image.sum() > 0.0) {
        return Err(Error::file(
            path,
            "aspect histogram is empty or has negative/non-finite values",
        ));
    }
    Ok(Aspect {
        image,
        x_off,
        y_off,
    })
}

/// Output path of detector `d`'s image beside `out`.
pub fn det_image_path(out: &Path, d: usize, m: Module) -> PathBuf {
    parent_dir(out).join(format!("det{d}{}im.fits", m.letter()))
}

/// Run projbgd: refuse before writing anything if any output exists without clobber.
pub fn projbgd(req: &ProjbgdRequest) -> Result<ProjbgdSummary> {
    if req.dets.is_empty() || req.dets.iter().any(|d| *d > 3) {
        return Err(Error::msg("det= must list detectors among 1, 2, 3, 4"));
    }
    let det_outs: Vec<Output> = req
        .dets
        .iter()
        .map(|&d| {
            req.out
                .sibling(det_image_path(&req.out.path, d, req.module))
        })
        .collect();
    let mut all = vec![req.out.clone()];
    all.extend(det_outs.iter().cloned());
    check_all(&all)?;

    let refimg = RefImage::read(&req.refimg)?;
    let chipmap = read_chipmap(&req.chipmap)?;
    let aspect = read_aspect(&req.aspect)?;
    let aperture = aperture_image(&req.auxil, req.module)?;
    let p = project(&ProjInput {
        pa_pnt: refimg.pa_pnt,
        chipmap: &chipmap,
        aperture: &aperture,
        aspect: &aspect,
        dets: &req.dets,
        sky: (refimg.nx, refimg.ny),
    })
    .map_err(|e| e.in_file(&req.aspect))?;

    let history = format!(
        "nuskybgd projbgd: module {} dets {:?} aspect {} chipmap {}",
        req.module.letter(),
        req.dets,
        req.aspect.display(),
        req.chipmap.display()
    );
    let write = |o: &Output, img: &Image, what: &str| {
        o.write_fits(|f| {
            f.write_image(img, -64)?;
            f.copy_cards(&refimg.cards, &["EXTNAME"])?;
            f.history(&history)?;
            f.history(what)
        })
    };
    write(
        &req.out,
        &p.aperture,
        "aperture stray-light template, 10-15 keV counts per pixel per 1e5 s",
    )?;
    let mut written = vec![req.out.path.clone()];
    for ((d, img), o) in p.dets.iter().zip(&det_outs) {
        write(o, img, &format!("fraction of exposure seen by DET{d}"))?;
        written.push(o.path.clone());
    }
    Ok(ProjbgdSummary {
        written,
        aperture_sum: p.aperture.sum(),
        det_sums: p.dets.iter().map(|(d, i)| (*d, i.sum())).collect(),
    })
}
