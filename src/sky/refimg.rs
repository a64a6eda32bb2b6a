//! The reference sky image (a 1000×1000 counts image from mkimgs or xselect): its header
//! defines the sky grid (TAN WCS at NuSTAR's sky pixel scale) and the roll (PA_PNT).

use crate::error::{Result, SkyError};
use crate::io::fits::Fits;
use std::path::{Path, PathBuf};

/// NuSTAR sky pixel size in degrees (2.45810736″).
pub const SKY_PIXEL_DEG: f64 = 2.45810736 / 3600.0;

/// Side of the NuSTAR sky grid in pixels.
pub const SKY_GRID: usize = 1000;

/// Header facts of a reference sky image.
#[derive(Debug, Clone)]
pub struct RefImage {
    /// The file.
    pub path: PathBuf,
    /// All primary header records, for copying into derived images.
    pub cards: Vec<String>,
    /// Image width and height (NAXIS1, NAXIS2).
    pub nx: usize,
    pub ny: usize,
    /// Roll keyword PA_PNT (degrees).
    pub pa_pnt: f64,
}

impl RefImage {
    /// Read and check a reference image: primary 2-D image of 1000×1000 pixels, a TAN WCS
    /// (CTYPE1/2 ending in TAN, CRPIX, CRVAL) with |CDELT| equal to NuSTAR's sky pixel
    /// (to 1e-3), and PA_PNT. Anything else is an error naming the file and the problem.
    pub fn read(path: &Path) -> Result<RefImage> {
        let mut f = Fits::open(path)?;
        f.goto_hdu(1)?;
        let naxis = f.key_i64("NAXIS")?;
        let (nx, ny) = if naxis == 2 {
            (f.key_i64("NAXIS1")? as usize, f.key_i64("NAXIS2")? as usize)
        } else {
            (0, 0)
        };
        if (nx, ny) != (SKY_GRID, SKY_GRID) {
            return Err(SkyError::NotSkyGrid {
                path: path.to_path_buf(),
                grid: SKY_GRID,
                naxis,
                nx,
                ny,
            }
            .into());
        }
        for axis in [1, 2] {
            let ctype = f.opt_key_str(&format!("CTYPE{axis}"))?.unwrap_or_default();
            if !ctype.to_ascii_uppercase().ends_with("-TAN") {
                return Err(SkyError::NotTan {
                    path: path.to_path_buf(),
                    axis,
                    ctype,
                }
                .into());
            }
            for k in ["CRPIX", "CRVAL"] {
                f.key_f64(&format!("{k}{axis}"))?;
            }
            let cdelt = f.key_f64(&format!("CDELT{axis}"))?;
            if ((cdelt.abs() - SKY_PIXEL_DEG) / SKY_PIXEL_DEG).abs() > 1e-3 {
                return Err(SkyError::WrongSkyPixel {
                    path: path.to_path_buf(),
                    axis,
                    cdelt,
                    expected: SKY_PIXEL_DEG,
                }
                .into());
            }
        }
        let pa_pnt = f
            .opt_key_f64("PA_PNT")?
            .ok_or_else(|| SkyError::NoRollAngle {
                path: path.to_path_buf(),
            })?;
        let cards = f.cards()?;
        Ok(RefImage {
            path: path.to_path_buf(),
            cards,
            nx,
            ny,
            pa_pnt,
        })
    }
}
