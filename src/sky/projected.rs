//! The projbgd products as files: what a projection reads (reference image, instrument map,
//! aspect histogram, aperture pattern) and the writer of the projected aperture image and
//! the per-detector images (`det{d}{M}im.fits`, see `nustar::naming`) beside it.

use crate::error::Result;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::instrmap::read_chipmap;
use crate::nustar::module::Module;
use crate::sky::aperture::aperture_image;
use crate::sky::aspecthist::read_aspect;
use crate::sky::projbgd::{project, Aspect, ProjInput, Projected};
use crate::sky::refimg::RefImage;
use std::path::{Path, PathBuf};

/// The inputs of a projection, read from their files.
#[derive(Debug, Clone)]
pub struct ProjbgdInputs {
    /// Reference sky image: grid, roll (PA_PNT) and the header the products copy.
    pub refimg: RefImage,
    /// Instrument map, 360×360 DET1 (0 = inactive, 1..4 = DET0..DET3).
    pub chipmap: Image,
    /// Aspect histogram placed on the sky grid.
    pub aspect: Aspect,
    /// Aperture stray-light template on the DET1 grid (auxil pattern of the module).
    pub aperture: Image,
}

impl ProjbgdInputs {
    /// Read the reference image, instrument map, aspect histogram and the module's aperture
    /// pattern from the auxiliary directory, in that order.
    pub fn read(
        refimg: &Path,
        chipmap: &Path,
        aspect: &Path,
        auxil: &Path,
        m: Module,
    ) -> Result<ProjbgdInputs> {
        Ok(ProjbgdInputs {
            refimg: RefImage::read(refimg)?,
            chipmap: read_chipmap(chipmap)?,
            aspect: read_aspect(aspect)?,
            aperture: aperture_image(auxil, m)?,
        })
    }

    /// Project the aperture and the detectors `dets` (0-based) onto the reference grid.
    pub fn project(&self, dets: &[usize]) -> Result<Projected> {
        project(&ProjInput {
            pa_pnt: self.refimg.pa_pnt,
            chipmap: &self.chipmap,
            aperture: &self.aperture,
            aspect: &self.aspect,
            dets,
            sky: (self.refimg.nx, self.refimg.ny),
        })
    }
}

/// HISTORY line of the projected images.
pub fn projbgd_history(m: Module, dets: &[usize], aspect: &Path, chipmap: &Path) -> String {
    format!(
        "nuskybgd projbgd: module {} dets {:?} aspect {} chipmap {}",
        m.letter(),
        dets,
        aspect.display(),
        chipmap.display()
    )
}

/// Write the aperture image to `out` and each detector image of `p` to the matching
/// `det_outs` entry, with the reference image's header `cards` and `history`; returns the
/// files written, aperture first.
pub fn write_projected(
    out: &Output,
    det_outs: &[Output],
    p: &Projected,
    cards: &[String],
    history: &str,
) -> Result<Vec<PathBuf>> {
    let write = |o: &Output, img: &Image, what: &str| {
        o.write_fits(|f| {
            f.write_image(img, -64)?;
            f.copy_cards(cards, &["EXTNAME"])?;
            f.history(history)?;
            f.history(what)
        })
    };
    write(
        out,
        &p.aperture,
        "aperture stray-light template, 10-15 keV counts per pixel per 1e5 s",
    )?;
    let mut written = vec![out.path.clone()];
    for ((d, img), o) in p.dets.iter().zip(det_outs) {
        write(o, img, &format!("fraction of exposure seen by DET{d}"))?;
        written.push(o.path.clone());
    }
    Ok(written)
}
