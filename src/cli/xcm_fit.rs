//! `nuskybgd xcm-fit IN.xcm out=OUT.xcm [statistic=chi|cstat] [errors=yes]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::spectral::run::{table, xcm_fit};
use crate::spectral::stat::Statistic;
use std::path::Path;

const USAGE: &str = "\
nuskybgd xcm-fit IN.xcm [out=OUT.xcm] [statistic=chi|cstat] [errors=yes] [force=yes] [clobber=yes]

Loads an XSPEC save file (data, responses, ignore ranges, models, links), fits the free
parameters by Levenberg-Marquardt, prints the parameter table and, last, the line
`statistic: NAME VALUE dof N`. With errors=yes also 90% confidence intervals
(delta-statistic 2.706, the other free parameters re-fitted). out= writes the fitted state
in XSPEC's layout (relative file names are kept as written, so put OUT.xcm beside IN.xcm).
A fit that does not converge is an error and writes nothing, unless force=yes.

Example:
  nuskybgd xcm-fit bgdparams.xcm out=bgdfit.xcm statistic=cstat errors=yes
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "xcm-fit",
        summary: "fit an XSPEC save file natively",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let input = a.pos(0, "IN.xcm")?.to_string();
    let clobber = a.flag("clobber", false)?;
    let out = a.get("out").map(|o| Output::new(o, clobber));
    let stat = a
        .get("statistic")
        .map(|_| a.statistic(Statistic::Chi))
        .transpose()?;
    let with_errors = a.flag("errors", false)?;
    a.finish(1)?;
    let r = xcm_fit(Path::new(&input), out.as_ref(), stat, with_errors, false)?;
    print!(
        "{}",
        table(&r.session, r.errors.as_deref().map(|e| (&r.fit, e)))
    );
    if let Some(o) = &out {
        println!("wrote {}", o.path.display());
    }
    println!(
        "statistic: {} {:.10} dof {}",
        r.session.statistic, r.fit.statistic, r.dof
    );
    Ok(())
}
