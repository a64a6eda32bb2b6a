//! Per-region weights for the background model: how much of each detector's exposure and
//! of the aperture pattern a region collects on the sky.

use crate::bgmodel::bgdinfo::ModuleImages;
use crate::error::{ModelError, Result};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::nustar::module::Module;
use crate::sky::regmask::{mask, Grid};
use std::path::Path;

/// One module's projected images (projbgd outputs), on the reference grid.
#[derive(Debug, Clone)]
pub struct ModuleMaps {
    /// Aperture image (`bgdap{M}.fits`).
    pub bgdap: Image,
    /// Exposure fraction of DET0..DET3 (`det{d}{M}im.fits`).
    pub det: [Image; 4],
}

fn read_on(path: &Path, nx: usize, ny: usize) -> Result<Image> {
    let img = Fits::open(path)?.read_image()?;
    if (img.nx, img.ny) != (nx, ny) {
        return Err(ModelError::ImageSize {
            path: path.into(),
            nx: img.nx,
            ny: img.ny,
            ref_nx: nx,
            ref_ny: ny,
        }
        .into());
    }
    Ok(img)
}

impl ModuleMaps {
    /// Read the images named in bgdinfo.json for one module, checking their size.
    pub fn read(files: &ModuleImages, grid: &Grid) -> Result<ModuleMaps> {
        let det = [
            read_on(&files.det[0], grid.nx, grid.ny)?,
            read_on(&files.det[1], grid.nx, grid.ny)?,
            read_on(&files.det[2], grid.nx, grid.ny)?,
            read_on(&files.det[3], grid.nx, grid.ny)?,
        ];
        Ok(ModuleMaps {
            bgdap: read_on(&files.bgdap, grid.nx, grid.ny)?,
            det,
        })
    }
}

impl ModuleMaps {
    /// Sum of each whole detector image DET0..DET3 (exposure-weighted sky pixels the
    /// detector covers).
    pub fn totals(&self) -> [f64; 4] {
        [0, 1, 2, 3].map(|d| self.det[d].data.iter().sum())
    }
}

/// Module of a spectrum from its INSTRUME (FPMA/FPMB); anything else is an error naming it.
pub fn spectrum_module(pha: &Path, instrume: &str) -> Result<Module> {
    Module::from_instrume(instrume).ok_or_else(|| {
        ModelError::BadInstrume {
            path: pha.into(),
            instrume: instrume.into(),
        }
        .into()
    })
}

/// What a region collects.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionWeights {
    pub module: Module,
    /// Σ mask·det image for DET0..DET3: exposure-weighted pixels per detector.
    pub area: [f64; 4],
    /// Σ mask·aperture image.
    pub apw: f64,
    /// Pixels in the region.
    pub pixels: usize,
}

impl RegionWeights {
    /// Detector fractions area/Σarea (the ARF and RMF weights).
    pub fn fractions(&self) -> [f64; 4] {
        let t: f64 = self.area.iter().sum();
        self.area.map(|a| a / t)
    }
}

/// Weights of region file `reg` for a spectrum of module `m`. A region that misses every
/// detector is an error naming it (the port produced NaN fractions).
pub fn region_weights(
    grid: &Grid,
    reg: &Path,
    m: Module,
    maps: &ModuleMaps,
) -> Result<RegionWeights> {
    let region = grid.region(reg)?;
    let msk = mask(grid, &region)?;
    let mut area = [0.0; 4];
    let mut apw = 0.0;
    let mut pixels = 0;
    for (i, v) in msk.data.iter().enumerate() {
        if *v > 0.0 {
            pixels += 1;
            apw += maps.bgdap.data[i];
            for d in 0..4 {
                area[d] += maps.det[d].data[i];
            }
        }
    }
    if !(area.iter().sum::<f64>() > 0.0) {
        return Err(ModelError::RegionOffDetectors {
            path: reg.into(),
            module: m.letter().into(),
        }
        .into());
    }
    Ok(RegionWeights {
        module: m,
        area,
        apw,
        pixels,
    })
}
