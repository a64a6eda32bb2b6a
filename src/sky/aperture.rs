//! The aperture stray-light pattern in DET1 coordinates, from the auxiliary directory: the
//! 576×576 `det{A,B}_det1.img.gz` image, shifted, scaled and cropped to the 360×360 DET1
//! grid with the parameters of `nomapbgdparams.dat`. Values are 10–15 keV counts per DET1
//! pixel per 1e5 s for the nominal CXB.

use crate::error::{Result, SkyError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::nustar::module::Module;
use std::path::Path;

/// DET1 pixel size in mm (converts the mm shifts of nomapbgdparams.dat to pixels).
pub const DET1_PIXEL_MM: f64 = 0.12096;
/// Side of the DET1 grid.
pub const DET1_SIZE: usize = 360;
/// Margin cropped from each side of the 576×576 auxiliary image.
const CROP: usize = 108;
/// Constant floor the original adds to the scaled pattern.
const FLOOR: f64 = 0.00495 * 0.7;
/// Scale of the pattern per unit of the module's nomapbgdparams norm.
const SCALE: f64 = 3.1865e-5 * DET1_PIXEL_MM * DET1_PIXEL_MM;

/// The ten numbers of `nomapbgdparams.dat` (text after `#` on a line is a comment).
pub fn read_nomapbgdparams(path: &Path) -> Result<[f64; 10]> {
    let text = std::fs::read_to_string(path).map_err(|source| SkyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut vals = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let body = line.split('#').next().unwrap_or("").trim();
        if body.is_empty() {
            continue;
        }
        let v: f64 = body.parse().map_err(|_| SkyError::NotANumber {
            path: path.to_path_buf(),
            line: i + 1,
            text: body.to_string(),
        })?;
        vals.push(v);
    }
    vals.try_into().map_err(|v: Vec<f64>| {
        SkyError::WrongCount {
            path: path.to_path_buf(),
            expected: 10,
            found: v.len(),
        }
        .into()
    })
}

/// The aperture template on the 360×360 DET1 grid for a module, from the auxiliary
/// directory `auxil`. The source image is float32 and is shifted bilinearly by the
/// module's (x, y) offset; the rotation entry must be 0 (as in every released file).
pub fn aperture_image(auxil: &Path, module: Module) -> Result<Image> {
    let params_path = auxil.join("nomapbgdparams.dat");
    let p = read_nomapbgdparams(&params_path)?;
    let (norm, sx_mm, sy_mm, rot) = match module {
        Module::A => (p[0], p[4], p[5], p[6]),
        Module::B => (p[1], p[7], p[8], p[9]),
    };
    if rot != 0.0 {
        return Err(SkyError::Rotation {
            path: params_path,
            rot,
            module: module.letter().to_string(),
        }
        .into());
    }
    let img_path = auxil.join(format!("det{}_det1.img.gz", module.letter()));
    let src = Fits::open(&img_path)?.read_image()?;
    if src.nx < DET1_SIZE + 2 * CROP || src.ny < DET1_SIZE + 2 * CROP {
        return Err(SkyError::ApertureSize {
            path: img_path,
            nx: src.nx,
            ny: src.ny,
        }
        .into());
    }
    let (sx, sy) = (sx_mm / DET1_PIXEL_MM, sy_mm / DET1_PIXEL_MM);
    let scale = SCALE * norm;
    // Bilinear shift: out(x, y) = src(x - sx, y - sy). |shift| < CROP, so the cropped
    // window never reaches the source edge and no wrapping convention matters.
    let (kx, ky) = ((-sx).floor(), (-sy).floor());
    let (wx, wy) = (-sx - kx, -sy - ky);
    let (kx, ky) = (kx as isize, ky as isize);
    let mut out = Image::zeros(DET1_SIZE, DET1_SIZE);
    let at = |x: isize, y: isize| src.data[y as usize * src.nx + x as usize];
    for y in 0..DET1_SIZE {
        for x in 0..DET1_SIZE {
            let (sx0, sy0) = ((x + CROP) as isize + kx, (y + CROP) as isize + ky);
            let v = (1.0 - wy) * ((1.0 - wx) * at(sx0, sy0) + wx * at(sx0 + 1, sy0))
                + wy * ((1.0 - wx) * at(sx0, sy0 + 1) + wx * at(sx0 + 1, sy0 + 1));
            // The original keeps the pattern in float32 through each step.
            let scaled = (scale * (v as f32) as f64) as f32;
            out.data[y * DET1_SIZE + x] = (scaled as f64 + FLOOR) as f32 as f64;
        }
    }
    Ok(out)
}
