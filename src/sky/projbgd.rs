//! Projection of detector-fixed patterns onto the sky: the aperture stray-light template
//! and the detector footprints are rotated by the roll onto the 1000×1000 sky grid at the
//! aspect-histogram peak, then spread by the aspect histogram (each dwell position adds a
//! bilinearly shifted copy weighted by its dwell time).
//!
//! Output meaning: a detector image is, per sky pixel, the fraction of the exposure during
//! which that detector saw the pixel (0..1); the aperture image is the exposure-weighted
//! aperture template (10–15 keV counts per pixel per 1e5 s for the nominal CXB).
//!
//! Edges: content shifted past the edge of the sky grid is dropped (nothing exists beyond
//! it). nuskybgd-py wraps it around to the opposite edge (scipy `mode='wrap'`, period n−1);
//! the two agree everywhere the wrapped content does not land.

use crate::error::{Result, SkyError};
use crate::io::image::Image;
use rayon::prelude::*;

/// DET1 position (0-based, both axes) the aspect-histogram peak is projected onto.
const DET1_ORIGIN: f64 = 350.0;
/// Empirical offset (DET1 pixels) of the original, rotated with the roll.
const NUDGE: (f64, f64) = (2.7, 0.8);

/// An aspect histogram placed on the sky grid.
#[derive(Debug, Clone)]
pub struct Aspect {
    /// Dwell time (s) per pixel of the cropped histogram.
    pub image: Image,
    /// 0-based sky column and row of the histogram's pixel (0, 0).
    pub x_off: usize,
    pub y_off: usize,
}

/// What to project.
pub struct ProjInput<'a> {
    /// Roll keyword PA_PNT of the reference image (degrees); the original adds 1°.
    pub pa_pnt: f64,
    /// Instrument map on the 360×360 DET1 grid: 0 = inactive, 1..4 = DET0..DET3.
    pub chipmap: &'a Image,
    /// Aperture template on the 360×360 DET1 grid.
    pub aperture: &'a Image,
    /// Aspect histogram.
    pub aspect: &'a Aspect,
    /// Detectors to project, 0-based (DET0..DET3).
    pub dets: &'a [usize],
    /// Sky grid size (columns, rows).
    pub sky: (usize, usize),
}

/// Projected images on the sky grid.
#[derive(Debug, Clone)]
pub struct Projected {
    /// Exposure-weighted aperture template over the union of the selected detectors.
    pub aperture: Image,
    /// (detector 0..3, exposure fraction image) for each selected detector.
    pub dets: Vec<(usize, Image)>,
}

/// Offsets and weights of the spreading kernel: the sum over histogram cells of dwell time
/// times the four bilinear weights of that cell's shift.
struct Kernel {
    ox0: isize,
    oy0: isize,
    /// Per kernel row (oy = oy0 + index): non-zero (ox, weight) pairs.
    rows: Vec<Vec<(isize, f64)>>,
}

fn kernel(aspect: &Aspect, peak: (f64, f64), nudge: (f64, f64)) -> Kernel {
    let h = &aspect.image;
    let mut cells = Vec::new();
    for y in 0..h.ny {
        for x in 0..h.nx {
            let w = h.get(x, y);
            if w > 0.0 {
                let sx = x as f64 + (aspect.x_off as f64 - peak.0 - nudge.0);
                let sy = y as f64 + (aspect.y_off as f64 - peak.1 - nudge.1);
                // shifted(X) = ref(X - s): base offset floor(-s), fraction -s - floor(-s)
                let (fx, fy) = ((-sx).floor(), (-sy).floor());
                cells.push((fx as isize, fy as isize, -sx - fx, -sy - fy, w));
            }
        }
    }
    let ox0 = cells.iter().map(|c| c.0).min().unwrap_or(0);
    let oy0 = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let ox1 = cells.iter().map(|c| c.0).max().unwrap_or(0) + 1;
    let oy1 = cells.iter().map(|c| c.1).max().unwrap_or(0) + 1;
    let nx = (ox1 - ox0 + 1) as usize;
    let ny = (oy1 - oy0 + 1) as usize;
    let mut dense = vec![0.0f64; nx * ny];
    for (kx, ky, wx, wy, w) in cells {
        let i = (ky - oy0) as usize * nx + (kx - ox0) as usize;
        dense[i] += w * (1.0 - wx) * (1.0 - wy);
        dense[i + 1] += w * wx * (1.0 - wy);
        dense[i + nx] += w * (1.0 - wx) * wy;
        dense[i + nx + 1] += w * wx * wy;
    }
    let rows = (0..ny)
        .map(|r| {
            (0..nx)
                .filter(|&c| dense[r * nx + c] != 0.0)
                .map(|c| (ox0 + c as isize, dense[r * nx + c]))
                .collect()
        })
        .collect();
    Kernel { ox0, oy0, rows }
}

/// Non-zero column range [x0, x1) of each row of an image (x0 == x1 for an empty row).
fn row_extents(img: &Image) -> Vec<(usize, usize)> {
    (0..img.ny)
        .map(|y| {
            let row = &img.data[y * img.nx..(y + 1) * img.nx];
            match row.iter().position(|v| *v != 0.0) {
                None => (0, 0),
                Some(a) => (
                    a,
                    img.nx - row.iter().rev().position(|v| *v != 0.0).unwrap_or(0),
                ),
            }
        })
        .collect()
}

/// out(X, Y) = Σ_k K(ox, oy) · src(X + ox, Y + oy), zero outside `src`.
fn spread(src: &Image, k: &Kernel) -> Image {
    let (nx, ny) = (src.nx, src.ny);
    let ext = row_extents(src);
    let mut out = Image::zeros(nx, ny);
    out.data
        .par_chunks_mut(nx)
        .enumerate()
        .for_each(|(y, orow)| {
            for (r, krow) in k.rows.iter().enumerate() {
                let sy = y as isize + k.oy0 + r as isize;
                if sy < 0 || sy >= ny as isize || krow.is_empty() {
                    continue;
                }
                let sy = sy as usize;
                let (a, b) = ext[sy];
                if a == b {
                    continue;
                }
                let srow = &src.data[sy * nx..(sy + 1) * nx];
                for &(ox, w) in krow {
                    // output columns whose source column X + ox lies in [a, b)
                    let x0 = (a as isize - ox).max(0) as usize;
                    let x1 = (b as isize - ox).min(nx as isize);
                    if x1 <= x0 as isize {
                        continue;
                    }
                    let x1 = x1 as usize;
                    let s0 = (x0 as isize + ox) as usize;
                    let dst = &mut orow[x0..x1];
                    let s = &srow[s0..s0 + (x1 - x0)];
                    for (o, v) in dst.iter_mut().zip(s) {
                        *o += w * v;
                    }
                }
            }
        });
    let _ = k.ox0;
    out
}

/// Project the aperture template and detector footprints onto the sky grid and spread
/// them by the aspect histogram.
pub fn project(inp: &ProjInput) -> Result<Projected> {
    let h = &inp.aspect.image;
    let total: f64 = h.sum();
    if !(total > 0.0) {
        return Err(SkyError::NoExposure.into());
    }
    for img in [inp.chipmap, inp.aperture] {
        if (img.nx, img.ny) != (360, 360) {
            return Err(SkyError::Det1Size {
                nx: img.nx,
                ny: img.ny,
            }
            .into());
        }
    }
    // Peak: first maximum in row-major order, as numpy's argmax.
    let mut best = (0usize, f64::NEG_INFINITY);
    for (i, v) in h.data.iter().enumerate() {
        if *v > best.1 {
            best = (i, *v);
        }
    }
    let peak = (
        (best.0 % h.nx + inp.aspect.x_off) as f64,
        (best.0 / h.nx + inp.aspect.y_off) as f64,
    );
    let a = -(inp.pa_pnt + 1.0).to_radians();
    let (c, s) = (a.cos(), a.sin());
    let nudge = (
        NUDGE.0 * (-a).cos() - NUDGE.1 * (-a).sin(),
        NUDGE.0 * (-a).sin() + NUDGE.1 * (-a).cos(),
    );

    let (nx, ny) = inp.sky;
    let mut ref_ap = Image::zeros(nx, ny);
    let mut ref_det: Vec<Image> = inp.dets.iter().map(|_| Image::zeros(nx, ny)).collect();
    for y in 0..ny {
        let dy = y as f64 - peak.1;
        for x in 0..nx {
            let dx = x as f64 - peak.0;
            let detx = DET1_ORIGIN + (-c * dx + s * dy).round_ties_even();
            let dety = DET1_ORIGIN + (s * dx + c * dy).round_ties_even();
            if !(0.0..360.0).contains(&detx) || !(0.0..360.0).contains(&dety) {
                continue;
            }
            let (dx_i, dy_i) = (detx as usize, dety as usize);
            let chip = inp.chipmap.get(dx_i, dy_i);
            for (k, &d) in inp.dets.iter().enumerate() {
                if chip == (d + 1) as f64 {
                    *ref_ap.at_mut(x, y) = inp.aperture.get(dx_i, dy_i) / total;
                    *ref_det[k].at_mut(x, y) = 1.0 / total;
                }
            }
        }
    }
    let k = kernel(inp.aspect, peak, nudge);
    let aperture = spread(&ref_ap, &k);
    let dets = inp
        .dets
        .iter()
        .zip(&ref_det)
        .map(|(&d, r)| (d, spread(r, &k)))
        .collect();
    Ok(Projected { aperture, dets })
}
