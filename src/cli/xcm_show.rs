//! `nuskybgd xcm-show IN.xcm [out=OUT.xcm]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::spectral::run::TableErrors;
use crate::spectral::run::{load, table};
use crate::spectral::xcm::file::XcmFile;
use std::path::Path;

const USAGE: &str = "\
nuskybgd xcm-show IN.xcm [out=OUT.xcm] [clobber=yes]

Describes an XSPEC save file from the file alone: statistic, spectra and data groups,
sources with their expressions, every parameter (value, free/frozen/linked), and the data
or response files it names that cannot be found. Unknown commands are listed with their
line numbers. With out= writes the file back in XSPEC's layout.

Example:
  nuskybgd xcm-show bgdparams.xcm
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "xcm-show",
        summary: "describe an XSPEC save file (and rewrite it)",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let input = a.pos(0, "IN.xcm")?.to_string();
    let clobber = a.flag("clobber", false)?;
    let out = a.get("out").map(|o| Output::new(o, clobber));
    a.finish(1)?;
    let path = Path::new(&input);
    if let Some(o) = &out {
        crate::io::output::check_not_inputs(std::slice::from_ref(o), &[path])?;
    }
    let x = XcmFile::read(path)?;
    let sess = load(path, false)?;
    crate::outln!("statistic: {}", sess.statistic);
    crate::outln!("data groups: {}", sess.ngroups);
    crate::out!("{}", table(&sess, TableErrors::None));
    for (f, why) in &sess.missing {
        crate::outln!("missing: {f} ({why})");
    }
    for (line, w) in x.warnings() {
        crate::outln!("warning: line {line}: {w}");
    }
    if let Some(o) = out {
        o.write_text(&x.to_text())?;
        crate::outln!("wrote {}", o.path.display());
    }
    Ok(())
}
