//! Aspect histogram: how long the DET1 reference point dwelt on each sky pixel during good
//! time. It is the kernel that spreads detector-fixed background patterns over the sky.

use crate::error::{Result, SkyError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::gti::Gti;
use crate::nustar::refpoint::RefPoints;
use crate::sky::projbgd::Aspect;
use std::path::Path;

/// Side of the sky grid the histogram is binned on (NuSTAR sky images are 1000×1000).
pub const SKY_SIZE: usize = 1000;

/// A cropped aspect histogram.
#[derive(Debug, Clone)]
pub struct AspectHist {
    /// Dwell time (s) per sky pixel, cropped to the touched cells; pixel (0,0) of the image
    /// is 0-based sky-grid cell (x_off, y_off).
    pub image: Image,
    /// 0-based sky-grid column of image column 0.
    pub x_off: usize,
    /// 0-based sky-grid row of image row 0.
    pub y_off: usize,
    /// Samples binned.
    pub n_used: usize,
    /// Samples in good time that fell off the 1000×1000 grid (or were not finite).
    pub n_dropped: usize,
    /// Good time (s) of the dropped samples.
    pub dropped_time: f64,
}

/// Bin reference-point samples that start inside a GTI ([START, STOP)), each weighted by the
/// time to the next sample, at cell (floor(X), floor(Y)) — the 1-based sky coordinate floored
/// and used as a 0-based index, as the original does (its projection nudge absorbs this).
/// Samples off the grid are dropped and counted instead of crashing or wrapping.
pub fn aspect_histogram(rp: &RefPoints, gti: &Gti) -> Result<AspectHist> {
    let n = rp.time.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| rp.time[a].total_cmp(&rp.time[b]));
    let mut full = vec![0.0f64; SKY_SIZE * SKY_SIZE];
    let (mut xmin, mut xmax, mut ymin, mut ymax) = (usize::MAX, 0usize, usize::MAX, 0usize);
    let (mut n_used, mut n_dropped, mut dropped_time) = (0usize, 0usize, 0.0f64);
    let mut g = 0usize;
    for k in 0..n.saturating_sub(1) {
        let i = order[k];
        let t = rp.time[i];
        while g < gti.stop.len() && t >= gti.stop[g] {
            g += 1;
        }
        if g == gti.stop.len() {
            break;
        }
        if t < gti.start[g] {
            continue;
        }
        let dt = rp.time[order[k + 1]] - t;
        let (fx, fy) = (rp.x[i].floor(), rp.y[i].floor());
        let on_grid = fx >= 0.0 && fy >= 0.0 && fx < SKY_SIZE as f64 && fy < SKY_SIZE as f64;
        if !on_grid {
            n_dropped += 1;
            dropped_time += dt;
            continue;
        }
        let (x, y) = (fx as usize, fy as usize);
        full[y * SKY_SIZE + x] += dt;
        n_used += 1;
        xmin = xmin.min(x);
        xmax = xmax.max(x);
        ymin = ymin.min(y);
        ymax = ymax.max(y);
    }
    if n_used == 0 {
        return Err(SkyError::NoSamplesOnGrid { n_dropped }.into());
    }
    let (nx, ny) = (xmax - xmin + 1, ymax - ymin + 1);
    let mut image = Image::zeros(nx, ny);
    for y in 0..ny {
        let row = (y + ymin) * SKY_SIZE + xmin;
        image.data[y * nx..(y + 1) * nx].copy_from_slice(&full[row..row + nx]);
    }
    Ok(AspectHist {
        image,
        x_off: xmin,
        y_off: ymin,
        n_used,
        n_dropped,
        dropped_time,
    })
}

/// Keywords copied (value and comment) from the REFPOINT header into the histogram file.
const COPIED: &[&str] = &[
    "TELESCOP", "INSTRUME", "OBS_ID", "OBJECT", "TARG_ID", "RA_OBJ", "DEC_OBJ", "RA_NOM",
    "DEC_NOM", "RA_PNT", "DEC_PNT", "TIMESYS", "MJDREFI", "MJDREFF", "CLOCKAPP", "TSTART", "TSTOP",
    "DATE-OBS", "DATE-END",
];

/// Write the histogram as the original's ASPECT_HISTOGRAM primary image (X_OFF, Y_OFF,
/// EXPOSURE as float32, observation keywords copied from the REFPOINT header).
pub fn write_aspect_histogram(out: &Output, h: &AspectHist, rp: &RefPoints) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(&h.image, -64)?;
        f.set_key_str("EXTNAME", "ASPECT_HISTOGRAM", "")?;
        f.set_key_i64("X_OFF", h.x_off as i64, "x offset in pixels")?;
        f.set_key_i64("Y_OFF", h.y_off as i64, "y offset in pixels")?;
        f.set_key_f32(
            "EXPOSURE",
            h.image.sum() as f32,
            "seconds, total exposure time",
        )?;
        f.write_date()?;
        let copied: Vec<String> = COPIED
            .iter()
            .filter_map(|k| {
                rp.cards
                    .iter()
                    .find(|c| c.get(..8).map(str::trim) == Some(*k))
                    .cloned()
            })
            .collect();
        f.copy_cards(&copied, &[])?;
        f.comment(
            "Add the x/y offset to image coordinates to recover aimpoint in detector coordinates.",
        )?;
        if h.n_dropped > 0 {
            f.set_key_f64(
                "DROPTIME",
                h.dropped_time,
                "s of good time with the aim point off the sky grid",
            )?;
            f.history(&format!(
                "nuskybgd aspecthist: dropped {} samples ({:.3} s) off the 1000x1000 grid",
                h.n_dropped, h.dropped_time
            ))?;
        }
        Ok(())
    })
}

/// Read an aspect histogram image with its X_OFF/Y_OFF placement (0-based sky-grid cell of
/// the image's pixel (0, 0)); absent keywords are an error unless the image is the whole
/// 1000×1000 grid (a cropped histogram read at offset 0 would shift the coverage). Dwell
/// times (s) must be finite, ≥ 0, not all 0.
pub fn read_aspect(path: &Path) -> Result<Aspect> {
    let mut f = Fits::open(path)?;
    let image = f.read_image()?;
    let whole_grid = image.nx == SKY_SIZE && image.ny == SKY_SIZE;
    let off = |f: &mut Fits, k: &str| -> Result<usize> {
        match f.opt_key_i64(k)? {
            None if whole_grid => Ok(0),
            None => Err(SkyError::NoOffset {
                path: path.to_path_buf(),
                key: k.to_string(),
                nx: image.nx,
                ny: image.ny,
            }
            .into()),
            Some(v) if (0..1000).contains(&v) => Ok(v as usize),
            Some(v) => Err(SkyError::OffsetOffGrid {
                path: path.to_path_buf(),
                key: k.to_string(),
                value: v,
            }
            .into()),
        }
    };
    let (x_off, y_off) = (off(&mut f, "X_OFF")?, off(&mut f, "Y_OFF")?);
    if image.data.iter().any(|v| !v.is_finite() || *v < 0.0) || !(image.sum() > 0.0) {
        return Err(SkyError::BadAspectHistogram {
            path: path.to_path_buf(),
        }
        .into());
    }
    Ok(Aspect {
        image,
        x_off,
        y_off,
    })
}
