//! ds9 region files, parsed and tested by cfitsio's own region code (`fits_read_rgnfile`,
//! `fits_in_region`: the parser HEASoft's extractor uses). Shapes: circle, ellipse, box,
//! polygon, annulus and the rest cfitsio knows; `-` shapes exclude from every include shape
//! before them (the same result as pyregion's in-order masking); coordinates in fk5/icrs/fk4
//! (degrees or sexagesimal, sizes in `"`, `'` or `d`) or image/physical pixels.
//!
//! Before cfitsio sees a file, each line is checked here so that a syntax error is reported
//! with its line number (cfitsio's messages carry none).

use crate::error::{IoError, Result};
use crate::io::wcs::Wcs;
use std::ffi::CString;
use std::os::raw::{c_char, c_int};
use std::path::{Path, PathBuf};

#[repr(C)]
#[derive(Clone, Copy)]
struct WcsData {
    exists: c_int,
    xrefval: f64,
    yrefval: f64,
    xrefpix: f64,
    yrefpix: f64,
    xinc: f64,
    yinc: f64,
    rot: f64,
    typ: [c_char; 6],
}

#[repr(C)]
#[derive(Clone, Copy)]
struct GenParams {
    p: [f64; 11],
    sin_t: f64,
    cos_t: f64,
    a: f64,
    b: f64,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct PolyParams {
    n_pts: c_int,
    pts: *mut f64,
}

#[repr(C)]
union ShapeParams {
    gen: GenParams,
    poly: PolyParams,
}

#[repr(C)]
struct RgnShape {
    sign: c_char,
    shape: c_int,
    comp: c_int,
    xmin: f64,
    xmax: f64,
    ymin: f64,
    ymax: f64,
    param: ShapeParams,
}

#[repr(C)]
struct SaoRegion {
    n_shapes: c_int,
    shapes: *mut RgnShape,
    wcs: WcsData,
}

extern "C" {
    fn fits_read_rgnfile(
        filename: *const c_char,
        wcs: *mut WcsData,
        rgn: *mut *mut SaoRegion,
        status: *mut c_int,
    ) -> c_int;
    fn fits_in_region(x: f64, y: f64, rgn: *mut SaoRegion) -> c_int;
    fn fits_free_region(rgn: *mut SaoRegion);
}

/// A parsed region file, bound to one image's WCS.
pub struct Region {
    ptr: *mut SaoRegion,
    /// The region file.
    pub path: PathBuf,
    /// Number of shapes (after cfitsio's replication of excludes).
    pub n_shapes: usize,
}

// cfitsio only reads the structure in fits_in_region.
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

/// Shapes ds9 writes that cfitsio understands, with their minimum parameter counts.
const SHAPES: &[(&str, usize)] = &[
    ("circle", 3),
    ("ellipse", 5),
    ("box", 4),
    ("rotbox", 5),
    ("rectangle", 4),
    ("polygon", 6),
    ("annulus", 3),
    ("point", 2),
    ("line", 4),
    ("diamond", 4),
    ("sector", 4),
    ("pie", 4),
    ("panda", 8),
    ("epanda", 11),
    ("bpanda", 11),
    ("elliptannulus", 6),
    ("boxannulus", 6),
];

const SYSTEMS: &[&str] = &[
    "image", "physical", "linear", "fk5", "fk4", "icrs", "j2000", "b1950", "galactic", "ecliptic",
    "wcs",
];

/// True when some shape of a (checked) region file is an include shape: a file of
/// exclusions only would select nothing, as each exclusion removes from the shapes before it.
fn has_include(text: &str) -> bool {
    text.lines()
        .flat_map(|l| l.split('#').next().unwrap_or("").split(';'))
        .map(str::trim)
        .any(|t| t.contains('(') && !t.starts_with('-'))
}

/// Check one ds9 line; Err(message) for a syntax error.
fn check_line(line: &str) -> std::result::Result<usize, String> {
    let mut shapes = 0;
    let body = line.split('#').next().unwrap_or("");
    for part in body.split(';') {
        let t = part.trim();
        if t.is_empty() {
            continue;
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("global") || SYSTEMS.contains(&lower.as_str()) {
            continue;
        }
        if lower.starts_with("ecliptic") || lower.starts_with("galactic") {
            return Err(format!(
                "coordinate system '{t}' is not supported (use fk5/icrs or image)"
            ));
        }
        let t = t.trim_start_matches(['-', '+']).trim();
        let Some(open) = t.find('(') else {
            return Err(format!(
                "'{t}' is not a region shape (expected e.g. circle(x,y,r))"
            ));
        };
        let name = t[..open].trim().to_ascii_lowercase();
        let Some(&(_, min)) = SHAPES.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown region shape '{name}'"));
        };
        let Some(close) = t.rfind(')') else {
            return Err(format!("missing ')' in '{t}'"));
        };
        if close < open || !t[close + 1..].trim().is_empty() {
            return Err(format!("unexpected text after ')' in '{t}'"));
        }
        let args: Vec<&str> = t[open + 1..close]
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .collect();
        if args.len() < min {
            return Err(format!(
                "{name} needs at least {min} parameters, found {}",
                args.len()
            ));
        }
        for a in &args {
            let num = a.trim_end_matches(['"', '\'', 'd', 'r', 'p', 'i']);
            let sexa = num
                .split(':')
                .all(|p| p.trim_start_matches(['-', '+']).parse::<f64>().is_ok());
            if num.parse::<f64>().is_err() && !(num.contains(':') && sexa) {
                return Err(format!("'{a}' is not a number in {name}(...)"));
            }
        }
        if name == "polygon" && !args.len().is_multiple_of(2) {
            return Err(format!(
                "polygon needs an even number of coordinates, found {}",
                args.len()
            ));
        }
        shapes += 1;
    }
    Ok(shapes)
}

impl Region {
    /// Read a ds9 region file and bind it to `wcs` (the image the region will be tested
    /// on). Errors name the file, and the line for syntax errors.
    pub fn read(path: &Path, wcs: &Wcs) -> Result<Region> {
        let text = std::fs::read_to_string(path).map_err(|source| IoError::ReadRegion {
            path: path.to_path_buf(),
            source,
        })?;
        let mut n = 0;
        for (i, line) in text.lines().enumerate() {
            n += check_line(line).map_err(|msg| IoError::RegionSyntax {
                path: path.to_path_buf(),
                line: i + 1,
                msg: msg.to_string(),
            })?;
        }
        if n == 0 {
            return Err(IoError::RegionEmpty {
                path: path.to_path_buf(),
            }
            .into());
        }
        if !has_include(&text) {
            return Err(IoError::RegionOnlyExclusions {
                path: path.to_path_buf(),
            }
            .into());
        }
        let mut w = WcsData {
            exists: 1,
            xrefval: wcs.crval[0],
            yrefval: wcs.crval[1],
            xrefpix: wcs.crpix[0],
            yrefpix: wcs.crpix[1],
            xinc: wcs.cdelt[0],
            yinc: wcs.cdelt[1],
            rot: wcs.rot,
            typ: [0; 6],
        };
        for (i, b) in wcs.proj.bytes().take(5).enumerate() {
            w.typ[i] = b as c_char;
        }
        let cpath =
            CString::new(path.to_string_lossy().as_bytes()).map_err(|_| IoError::NulInName {
                path: path.to_path_buf(),
            })?;
        let mut ptr: *mut SaoRegion = std::ptr::null_mut();
        let mut status = 0;
        unsafe { fits_read_rgnfile(cpath.as_ptr(), &mut w, &mut ptr, &mut status) };
        if status != 0 || ptr.is_null() {
            let mut msg = [0 as c_char; 81];
            let mut detail = String::new();
            while unsafe { fitsio::sys::ffgmsg(msg.as_mut_ptr()) } != 0 {
                let m = unsafe { std::ffi::CStr::from_ptr(msg.as_ptr()) }
                    .to_string_lossy()
                    .trim()
                    .to_string();
                if detail.is_empty() && !m.is_empty() {
                    detail = m;
                }
            }
            return Err(IoError::RegionParse {
                path: path.to_path_buf(),
                status,
                detail,
            }
            .into());
        }
        let n_shapes = unsafe { (*ptr).n_shapes } as usize;
        Ok(Region {
            ptr,
            path: path.to_path_buf(),
            n_shapes,
        })
    }

    /// True when the point (x, y), in 1-based pixel coordinates of the bound image, is in
    /// the region (pixel centres are at integer coordinates).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        if self.n_shapes == 0 {
            return false;
        }
        unsafe { fits_in_region(x, y, self.ptr) != 0 }
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            unsafe { fits_free_region(self.ptr) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_line;

    #[test]
    fn line_checks() {
        assert_eq!(check_line("fk5;circle(150.1,2.2,30\")  # text={x}"), Ok(1));
        assert_eq!(check_line("# Region file format: DS9"), Ok(0));
        assert_eq!(check_line("global color=green"), Ok(0));
        assert_eq!(
            check_line("-box(1,2,3,4,0);circle(10:00:00,+02:00:00,1')"),
            Ok(2)
        );
        assert!(check_line("circle(1,2)")
            .unwrap_err()
            .contains("at least 3"));
        assert!(check_line("circel(1,2,3)")
            .unwrap_err()
            .contains("unknown region shape"));
        assert!(check_line("circle(1,2,3")
            .unwrap_err()
            .contains("missing ')'"));
        assert!(check_line("circle(1,x,3)")
            .unwrap_err()
            .contains("not a number"));
        assert!(check_line("polygon(1,2,3,4,5,6,7)")
            .unwrap_err()
            .contains("even"));
    }
}
