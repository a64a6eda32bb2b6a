//! Names of the product files: one home for how an observation's files and the tasks'
//! outputs are called (the names a user running the tasks by hand would have).

use crate::io::output::parent_dir;
use crate::nustar::module::Module;
use std::path::{Path, PathBuf};

/// Detector `d`'s (0-based, DET0..DET3) projected exposure-fraction image, written by
/// projbgd beside its aperture image `out`: `det{d}{M}im.fits`.
pub fn det_image_path(out: &Path, d: usize, m: Module) -> PathBuf {
    parent_dir(out).join(format!("det{d}{}im.fits", m.letter()))
}
