//! Region masks on a reference image's pixel grid: a pixel is in when its centre (FITS
//! coordinates (i+1, j+1) for array element [j][i]) is in the region. Spectra select events
//! with the same `Region::contains` test at the events' sky X/Y, so masks and spectra agree.

use crate::error::{Result, SkyError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::region::Region;
use crate::io::wcs::Wcs;
use rayon::prelude::*;
use std::path::Path;

/// A reference image's grid: its size, WCS and header (for writing masks on it).
pub struct Grid {
    pub nx: usize,
    pub ny: usize,
    pub wcs: Wcs,
    pub cards: Vec<String>,
}

impl Grid {
    /// Read the primary image header of `refimg`.
    pub fn read(refimg: &Path) -> Result<Grid> {
        let mut f = Fits::open(refimg)?;
        f.goto_hdu(1)?;
        let naxis = f.key_i64("NAXIS")?;
        if naxis != 2 {
            return Err(SkyError::RefImageNot2d {
                path: refimg.to_path_buf(),
                naxis,
            }
            .into());
        }
        // the grid of an image the file holds (a header alone once asked for 80 GB)
        let (nx, ny) = f.image_size()?;
        let wcs = Wcs::read(&mut f)?;
        let cards = f.cards()?;
        Ok(Grid { nx, ny, wcs, cards })
    }

    /// Parse a region file bound to this grid's WCS.
    pub fn region(&self, reg: &Path) -> Result<Region> {
        Region::read(reg, &self.wcs)
    }
}

/// 0/1 mask of `region` on `grid`. A region that covers no pixel centre is an error.
pub fn mask(grid: &Grid, region: &Region) -> Result<Image> {
    let mut img = Image::zeros(grid.nx, grid.ny);
    img.data
        .par_chunks_mut(grid.nx)
        .enumerate()
        .for_each(|(j, row)| {
            for (i, v) in row.iter_mut().enumerate() {
                if region.contains((i + 1) as f64, (j + 1) as f64) {
                    *v = 1.0;
                }
            }
        });
    if img.sum() == 0.0 {
        return Err(SkyError::RegionOffImage {
            path: region.path.clone(),
            nx: grid.nx,
            ny: grid.ny,
        }
        .into());
    }
    Ok(img)
}

/// Mask of a region file on a reference image (convenience for one file).
pub fn region_mask(refimg: &Path, reg: &Path) -> Result<Image> {
    let grid = Grid::read(refimg)?;
    let region = grid.region(reg)?;
    mask(&grid, &region)
}
