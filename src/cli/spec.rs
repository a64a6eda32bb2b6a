//! `nuskybgd spec bgdinfo.json fitted.xcm src.reg[,…] src.pha[,…] [savefile=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::nustar::auxil::auxil_dir;
use crate::nustar::caldb::caldb_from_env;
use crate::tasks::spec::{default_name, spec_task, SpecRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd spec bgdinfo.json fitted.xcm SRC.reg[,SRC2.reg] SRC.pha[,SRC2.pha] [savefile=OUT.xcm] [clobber=yes]

Appends source spectra to the fitted background model: each gets the four background
sources rescaled to its region (linked to its module's reference spectrum by the regions'
geometric ratios), its own apbgd ARF, and the 3-150 keV band; source 1 is left for your
model. Writes bgd_<first region name>.xcm unless savefile= is given. Needs $CALDB and
NUSKYBGD_AUXIL, like fit.
Differences from nuskybgd-py: the source's own detector fractions are used for its ARF,
its fcxb starts from the module's fitted fcxb per pixel, a BACKFILE is switched off.

Example:
  nuskybgd spec bgdinfo.json bgdparams_fit.xcm src.reg nu60001047002A01_sr_g30.pha
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "spec",
        summary: "background model for source spectra",
        usage: USAGE,
        run,
    }
}

fn list(s: &str) -> Vec<PathBuf> {
    s.split(',')
        .filter(|x| !x.trim().is_empty())
        .map(|x| PathBuf::from(x.trim()))
        .collect()
}

fn run(a: &Args) -> Result<()> {
    let info = PathBuf::from(a.pos(0, "bgdinfo.json")?);
    let xcm = PathBuf::from(a.pos(1, "fitted.xcm")?);
    let regions = list(a.pos(2, "source region(s)")?);
    let phas = list(a.pos(3, "source spectrum (spectra)")?);
    let clobber = a.flag("clobber", false)?;
    let save = match a.get("savefile") {
        Some(s) if s.trim_start_matches('!').ends_with(".xcm") => s.to_string(),
        Some(s) => format!("{s}.xcm"),
        None => default_name(&regions[0]),
    };
    a.finish(4)?;
    let req = SpecRequest {
        bgdinfo: info,
        xcm,
        regions,
        phas,
        savefile: Output::new(&save, clobber),
        caldb: caldb_from_env()?,
        auxil: auxil_dir()?,
    };
    let r = spec_task(&req)?;
    for p in r.arfs.iter().chain([&r.savefile]) {
        crate::outln!("spec: wrote {}", p.display());
    }
    Ok(())
}
