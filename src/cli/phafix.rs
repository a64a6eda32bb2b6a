//! `nuskybgd phafix PHAFILE`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::nustar::phafix::phafix;
use std::path::Path;

const USAGE: &str = "\
nuskybgd phafix PHAFILE [PHAFILE ...]

Removes directories from RESPFILE, ANCRFILE, BACKFILE and CORRFILE in every SPECTRUM
extension, so XSPEC finds the response files beside the spectrum. The file is rewritten in
place through a temporary copy (a failure leaves it untouched); gzip-compressed spectra are
refused.

Example:
  nuskybgd phafix bgd1A_sr_g30.pha
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "phafix",
        summary: "strip directories from a spectrum's response/background file names",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    a.finish(usize::MAX)?;
    a.pos(0, "PHAFILE")?;
    for file in &a.positional {
        let changes = phafix(Path::new(file))?;
        if changes.is_empty() {
            crate::outln!("phafix: {file}: nothing to change");
        }
        for (_, k, old, new) in changes {
            crate::outln!("phafix: {file}: {k} '{old}' -> '{new}'");
        }
    }
    Ok(())
}
