//! The run's pictures: every spectrum of the fit and of each source region with its model
//! (the `plot` task), and per module the counts image with the regions drawn, the model
//! background image, each component, and the smoothed residual image (counts − model),
//! the check that the spatial model holds.

use super::steps::{Ctx, Done, Step};
use crate::error::{Result, TaskError};
use crate::io::figure::{self, ImageFigure};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::module::Module;
use crate::spectral::plotdata::Residuals;
use crate::tasks::plot::{plot, PlotRequest};
use plotters::style::RGBColor;
use std::path::{Path, PathBuf};

/// The background components, in the model's order.
pub const COMPONENTS: [&str; 4] = ["apbgd", "intbgd", "fcxb", "intn"];

/// Side of an image figure (pixels).
const IMAGE_SIDE: u32 = 500;
/// Half-width of the box the residual image is smoothed with (pixels).
const SMOOTH: usize = 8;

/// The folder of the figures.
pub fn plots_dir(c: &Ctx) -> PathBuf {
    c.w("plots")
}

/// The figure `stem` of this run, in the run's format (`plots/<stem>.png` or `.svg`).
pub fn figure_path(c: &Ctx, stem: &str) -> PathBuf {
    plots_dir(c).join(format!("{stem}.{}", c.cfg.figures.ext()))
}

fn mkdir(p: &Path) -> Result<()> {
    std::fs::create_dir_all(p).map_err(|e| {
        TaskError::CreateDir {
            path: p.to_path_buf(),
            source: e,
        }
        .into()
    })
}

/// The spectra of the fit and of every simplified source save file.
pub fn spectra_plots(c: &Ctx, sources: Vec<PathBuf>) -> Step<'_> {
    let mut inputs = vec![c.w("bgdparams_fit.xcm")];
    inputs.extend(sources.iter().cloned());
    Step {
        name: "plot spectra".into(),
        section: "figures",
        inputs,
        action: Box::new(move || {
            let dir = plots_dir(c);
            mkdir(&dir)?;
            let mut jobs = vec![(c.w("bgdparams_fit.xcm"), "fit_".to_string())];
            for s in &sources {
                let stem = s.file_stem().unwrap_or_default().to_string_lossy();
                jobs.push((s.clone(), format!("{stem}_")));
            }
            let mut outputs = Vec::new();
            for (xcm, prefix) in jobs {
                let r = plot(&PlotRequest {
                    xcm,
                    prefix: format!("{}/{prefix}", dir.display()),
                    rebin: Some((5.0, 10)),
                    residuals: Residuals::Delchi,
                    format: c.cfg.figures,
                    clobber: true,
                })?;
                outputs.extend(r.spectra.into_iter().map(|s| s.1));
                outputs.extend(r.overviews);
            }
            Ok(Done::new(
                format!("{} spectrum figures", outputs.len()),
                outputs,
            ))
        }),
    }
}

/// The image figures of module `m`.
pub fn image_plots(c: &Ctx, m: Module) -> Step<'_> {
    let counts = PathBuf::from(format!("{}.fits", c.image_stem(m).display()));
    let mut inputs = vec![counts.clone()];
    inputs.extend(COMPONENTS.iter().map(|k| model_image(c, k, m)));
    Step {
        name: format!("plot images {}", m.letter()),
        section: "image figures",
        inputs,
        action: Box::new(move || {
            let dir = plots_dir(c);
            mkdir(&dir)?;
            let outputs = module_figures(c, m, &counts)?;
            Ok(Done::new(
                format!("{} image figures", outputs.len()),
                outputs,
            ))
        }),
    }
}

/// The model image of component `k` for module `m` (written by the image step).
pub fn model_image(c: &Ctx, k: &str, m: Module) -> PathBuf {
    c.w(&format!("bgd_{k}_{}.fits", m.letter()))
}

fn read_image(p: &Path) -> Result<Image> {
    Fits::open(p)?.read_image()
}

/// The sum of the component images of module `m`: the model background image.
pub fn model_total(c: &Ctx, m: Module) -> Result<Image> {
    let mut total: Option<Image> = None;
    for k in COMPONENTS {
        let img = read_image(&model_image(c, k, m))?;
        match &mut total {
            None => total = Some(img),
            Some(t) => t.data.iter_mut().zip(&img.data).for_each(|(a, b)| *a += b),
        }
    }
    Ok(total.unwrap_or_else(|| Image::zeros(0, 0)))
}

/// The masks of module `m`'s background (green) and source (red) regions on `grid`.
pub fn region_masks(c: &Ctx, m: Module, refimg: &Path) -> Result<Vec<(Image, RGBColor)>> {
    let mut v = Vec::new();
    for r in c.cfg.regions.iter().filter(|r| r.module == m) {
        for reg in &r.background {
            v.push((
                crate::sky::regmask::region_mask(refimg, reg)?,
                RGBColor(0, 200, 0),
            ));
        }
        for reg in &r.source {
            v.push((
                crate::sky::regmask::region_mask(refimg, reg)?,
                RGBColor(230, 0, 0),
            ));
        }
    }
    Ok(v)
}

/// The residual image: counts − model, box-smoothed (half-width [`SMOOTH`] pixels).
pub fn residual(counts: &Image, model: &Image) -> Image {
    let mut d = Image::zeros(counts.nx, counts.ny);
    for (o, (a, b)) in d.data.iter_mut().zip(counts.data.iter().zip(&model.data)) {
        *o = a - b;
    }
    box_smooth(&d, SMOOTH)
}

/// Mean over a (2h+1)² box (clipped at the edges), by running sums along x then y.
fn box_smooth(img: &Image, h: usize) -> Image {
    let pass = |src: &Image, along_x: bool| {
        let mut out = Image::zeros(src.nx, src.ny);
        let (n, lines) = if along_x {
            (src.nx, src.ny)
        } else {
            (src.ny, src.nx)
        };
        for l in 0..lines {
            let at = |i: usize| if along_x { (i, l) } else { (l, i) };
            let mut prefix = vec![0.0; n + 1];
            for i in 0..n {
                let (x, y) = at(i);
                prefix[i + 1] = prefix[i] + src.get(x, y);
            }
            for i in 0..n {
                let (lo, hi) = (i.saturating_sub(h), (i + h + 1).min(n));
                let (x, y) = at(i);
                *out.at_mut(x, y) = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
            }
        }
        out
    };
    pass(&pass(img, true), false)
}

/// The smallest square holding every non-zero pixel of `img` with `margin` pixels around
/// it (the field of view on the sky grid).
fn square_around(img: &Image, margin: usize) -> Option<(usize, usize, usize)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..img.ny {
        for x in 0..img.nx {
            if img.get(x, y) != 0.0 {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
            }
        }
    }
    if x0 > x1 {
        return None;
    }
    let side = (x1 - x0).max(y1 - y0) + 1 + 2 * margin;
    let cx = (x0 + x1) / 2;
    let cy = (y0 + y1) / 2;
    Some((
        cx.saturating_sub(side / 2),
        cy.saturating_sub(side / 2),
        side,
    ))
}

fn module_figures(c: &Ctx, m: Module, counts_path: &Path) -> Result<Vec<PathBuf>> {
    let l = m.letter();
    let counts = read_image(counts_path)?;
    let masks = region_masks(c, m, &c.refimg())?;
    let mref: Vec<(&Image, RGBColor)> = masks.iter().map(|(i, c)| (i, *c)).collect();
    let total = model_total(c, m)?;
    let (lo, hi) = c.cfg.band;
    let band = format!("{lo}-{hi} keV");
    let mut figs: Vec<(String, String, Image, bool, bool)> = vec![
        (
            "counts".into(),
            format!("FPM{l} counts {band} (√ scale; green background, red source regions)"),
            counts.clone(),
            true,
            false,
        ),
        (
            "model".into(),
            format!("FPM{l} model background {band}"),
            total.clone(),
            false,
            false,
        ),
    ];
    for k in COMPONENTS {
        figs.push((
            k.into(),
            format!("FPM{l} {k} {band}"),
            read_image(&model_image(c, k, m))?,
            false,
            false,
        ));
    }
    figs.push((
        "residual".into(),
        format!(
            "FPM{l} counts − model, smoothed over {0}×{0} px",
            2 * SMOOTH + 1
        ),
        residual(&counts, &total),
        false,
        true,
    ));
    let view = square_around(&total, 20);
    let mut out = Vec::new();
    for (name, title, img, sqrt, signed) in &figs {
        let fig = ImageFigure {
            title: title.clone(),
            image: img,
            masks: if name == "counts" || name == "residual" {
                mref.clone()
            } else {
                Vec::new()
            },
            sqrt: *sqrt,
            signed: *signed,
            view,
        };
        let f = c.cfg.figures;
        let o = Output::new(
            &figure_path(c, &format!("{l}_{name}")).to_string_lossy(),
            true,
        );
        o.write_bytes(&figure::image(&fig, IMAGE_SIDE, f)?)?;
        out.push(o.path);
    }
    Ok(out)
}
