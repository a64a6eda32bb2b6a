//! `nuskybgd image bgdinfo.json fitted.xcm ELOW EHIGH [prefix=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::nustar::auxil::auxil_dir;
use crate::tasks::image::{image_task, ImageRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd image bgdinfo.json fitted.xcm ELOW EHIGH [prefix=P] [clobber=yes]

Model images of the fitted background on the reference sky grid for the band ELOW-EHIGH
keV (band edges follow XSPEC's ignore rule on each spectrum's grouped bins), in counts for
the exposure of the spectrum each is scaled from: P bgd_apbgd_M.fits, bgd_intbgd_M.fits,
bgd_intn_M.fits, bgd_fcxb_M.fits per module, and bgd_fcxb_<k>.fits per background region.
Differences from nuskybgd-py: the prefix applies to every file, the fcxb mean is per
module (the port pooled both modules), and existing files are kept unless clobber=yes.

Example:
  nuskybgd image bgdinfo.json bgdparams_fit.xcm 3 20 prefix=img3to20_
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "image",
        summary: "model images of the fitted background",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let req = ImageRequest {
        bgdinfo: PathBuf::from(a.pos(0, "bgdinfo.json")?),
        xcm: PathBuf::from(a.pos(1, "fitted.xcm")?),
        emin: a.pos_energy(2, "ELOW")?,
        emax: a.pos_energy(3, "EHIGH")?,
        prefix: a.get("prefix").unwrap_or("").to_string(),
        clobber: a.flag("clobber", false)?,
        auxil: auxil_dir()?,
    };
    a.finish(4)?;
    for (p, total) in image_task(&req)?.images {
        crate::outln!("image: wrote {} ({total:.4} counts)", p.display());
    }
    Ok(())
}
