//! Names of the product files: one home for how an observation's files and the tasks'
//! outputs are called (the names a user running the tasks by hand would have). `M` is the
//! module letter A or B; `obsid` the 11-digit observation ID.

use crate::io::output::parent_dir;
use crate::nustar::module::Module;
use std::path::{Path, PathBuf};

/// Cleaned event list of an observation (EVENTS, GTI, BADPIX): `nu{obsid}{M}01_cl.evt`.
pub fn events_file(obsid: &str, m: Module) -> String {
    format!("nu{obsid}{}01_cl.evt", m.letter())
}

/// Stem of the counts images of a band, as the originals' mkimgs.py names them from the
/// band edges as typed: `im{M}{lo}to{hi}keV` (`.fits` sky, `det.fits` DET1).
pub fn band_image_stem(m: Module, lo: &str, hi: &str) -> String {
    format!("im{}{lo}to{hi}keV", m.letter())
}

/// DET1 reference-point track (DET1_REFPOINT): `nu{obsid}{M}_det1.fits`.
pub fn det1_file(obsid: &str, m: Module) -> String {
    format!("nu{obsid}{}_det1.fits", m.letter())
}

/// Good time intervals of an observation: `nu{obsid}{M}01_gti.fits`.
pub fn gti_file(obsid: &str, m: Module) -> String {
    format!("nu{obsid}{}01_gti.fits", m.letter())
}

/// The observation's bad-pixel lists (BADPIX extensions): `nu{obsid}{M}_bp.fits`.
pub fn badpix_file(obsid: &str, m: Module) -> String {
    format!("nu{obsid}{}_bp.fits", m.letter())
}

/// Aspect histogram (aspecthist output): `aspecthist{M}.fits`.
pub fn aspecthist_file(m: Module) -> String {
    format!("aspecthist{}.fits", m.letter())
}

/// Instrument map with bad pixels removed (mkinstrmap output): `newinstrmap{M}.fits`.
pub fn instrmap_file(m: Module) -> String {
    format!("newinstrmap{}.fits", m.letter())
}

/// Projected aperture stray-light image (projbgd output): `bgdap{M}.fits`.
pub fn bgdap_file(m: Module) -> String {
    format!("bgdap{}.fits", m.letter())
}

/// Detector `d`'s (0-based, DET0..DET3) projected exposure-fraction image, written by
/// projbgd beside its aperture image `out`: `det{d}{M}im.fits`.
pub fn det_image_path(out: &Path, d: usize, m: Module) -> PathBuf {
    parent_dir(out).join(format!("det{d}{}im.fits", m.letter()))
}

/// Background region `k` (1-based) of a module: `bgd{k}{M}.reg`.
pub fn bgd_region_file(k: usize, m: Module) -> String {
    format!("bgd{k}{}.reg", m.letter())
}

/// Source region of a module: `src{M}.reg`.
pub fn src_region_file(m: Module) -> String {
    format!("src{}.reg", m.letter())
}
