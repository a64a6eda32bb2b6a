//! `nuskybgd simplify bgdinfo.json bgd_src.xcm [savefile=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::tasks::simplify::{simplified_name, simplify_task, SimplifyRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd simplify bgdinfo.json bgd_src.xcm [savefile=OUT.xcm] [clobber=yes]

From a save file holding the background spectra of bgdinfo.json followed by source spectra
(what spec writes), drops the background spectra (renumbering the rest) and freezes every
background parameter of the source spectra at its value (links become frozen values),
leaving source 1 for your model. Writes bgd_only_<name>.xcm in the current directory
unless savefile= is given.

Example:
  nuskybgd simplify bgdinfo.json bgd_src.xcm
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "simplify",
        summary: "keep only the source spectra, background frozen",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let info = PathBuf::from(a.pos(0, "bgdinfo.json")?);
    let input = PathBuf::from(a.pos(1, "bgd_src.xcm")?);
    let clobber = a.flag("clobber", false)?;
    let out = match a.get("savefile") {
        Some(s) => Output::new(s, clobber),
        None => Output::new(&simplified_name(&input).to_string_lossy(), clobber),
    };
    a.finish(2)?;
    let r = simplify_task(&SimplifyRequest {
        bgdinfo: info,
        xcm: input,
        savefile: out,
    })?;
    crate::outln!(
        "simplify: wrote {} ({} background spectra dropped, background frozen)",
        r.savefile.display(),
        r.dropped
    );
    Ok(())
}
