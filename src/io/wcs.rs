//! Celestial WCS of an image, as cfitsio's classic world-coordinate routines see it
//! (`ffgics`: CRVAL/CRPIX/CDELT/CROTA2 or a CD matrix; projections TAN, SIN, ARC, …).
//! Pixel coordinates are 1-based FITS pixels (centre of the first pixel = 1.0).

use crate::error::{IoError, Result};
use crate::io::fits::Fits;
use fitsio::sys;
use std::ffi::CStr;
use std::os::raw::c_char;

/// A celestial WCS (degrees).
#[derive(Debug, Clone, PartialEq)]
pub struct Wcs {
    /// World coordinates (RA, Dec in degrees) of the reference pixel.
    pub crval: [f64; 2],
    /// Reference pixel (1-based).
    pub crpix: [f64; 2],
    /// Degrees per pixel along x and y.
    pub cdelt: [f64; 2],
    /// Rotation of the y axis from north (degrees, CROTA2 convention).
    pub rot: f64,
    /// Projection code as cfitsio names it (e.g. "-TAN").
    pub proj: String,
}

impl Wcs {
    /// Read the celestial WCS of the current image HDU. An image without one is an error.
    pub fn read(f: &mut Fits) -> Result<Wcs> {
        // cfitsio falls back to a linear default when the keywords are absent
        for k in ["CTYPE1", "CTYPE2"] {
            if f.opt_key_str(k)?.is_none() {
                return Err(IoError::WcsKeywordMissing {
                    path: f.path().to_path_buf(),
                    key: k.to_string(),
                }
                .into());
            }
        }
        let (mut xr, mut yr, mut xp, mut yp, mut xi, mut yi, mut rot) =
            (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        let mut ty = [0 as c_char; 16];
        let mut status = 0;
        unsafe {
            sys::ffgics(
                f.raw(),
                &mut xr,
                &mut yr,
                &mut xp,
                &mut yp,
                &mut xi,
                &mut yi,
                &mut rot,
                ty.as_mut_ptr(),
                &mut status,
            )
        };
        if status != 0 {
            unsafe { sys::ffcmsg() };
            return Err(IoError::NoWcs {
                path: f.path().to_path_buf(),
            }
            .into());
        }
        let proj = unsafe { CStr::from_ptr(ty.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        Ok(Wcs {
            crval: [xr, yr],
            crpix: [xp, yp],
            cdelt: [xi, yi],
            rot,
            proj,
        })
    }

    fn proj_c(&self) -> [c_char; 16] {
        let mut t = [0 as c_char; 16];
        for (i, b) in self.proj.bytes().take(15).enumerate() {
            t[i] = b as c_char;
        }
        t
    }

    /// World (RA, Dec degrees) of 1-based pixel (x, y).
    pub fn pix_to_world(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        let (mut ra, mut dec) = (0.0, 0.0);
        let mut t = self.proj_c();
        let mut status = 0;
        unsafe {
            sys::ffwldp(
                x,
                y,
                self.crval[0],
                self.crval[1],
                self.crpix[0],
                self.crpix[1],
                self.cdelt[0],
                self.cdelt[1],
                self.rot,
                t.as_mut_ptr(),
                &mut ra,
                &mut dec,
                &mut status,
            )
        };
        if status != 0 {
            return Err(IoError::PixelOffSky { x, y }.into());
        }
        Ok((ra, dec))
    }

    /// 1-based pixel (x, y) of world (RA, Dec degrees).
    pub fn world_to_pix(&self, ra: f64, dec: f64) -> Result<(f64, f64)> {
        let (mut x, mut y) = (0.0, 0.0);
        let mut t = self.proj_c();
        let mut status = 0;
        unsafe {
            sys::ffxypx(
                ra,
                dec,
                self.crval[0],
                self.crval[1],
                self.crpix[0],
                self.crpix[1],
                self.cdelt[0],
                self.cdelt[1],
                self.rot,
                t.as_mut_ptr(),
                &mut x,
                &mut y,
                &mut status,
            )
        };
        if status != 0 {
            return Err(IoError::NotProjectable { ra, dec }.into());
        }
        Ok((x, y))
    }
}
