//! `nuskybgd xcm-fit IN.xcm out=OUT.xcm [statistic=chi|cstat] [errors=yes] [fit=no] [force=yes]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::io::output::Output;
use crate::spectral::run::{fit_notes, table, xcm_fit, TableErrors, XcmFitRequest};
use crate::spectral::stat::Statistic;
use std::path::Path;

const USAGE: &str = "\
nuskybgd xcm-fit IN.xcm [out=OUT.xcm] [statistic=chi|cstat] [errors=yes] [fit=no] [force=yes]
                 [niter=N] [chatter=yes] [clobber=yes]

Loads an XSPEC save file (data, responses, ignore ranges, models, links), prints the
statistic at the file's values, fits the free parameters (Levenberg-Marquardt with the hard
limits as an active set; the file's `method leven N crit` and `xset delta` are followed,
niter= replaces N; chatter=yes prints each iteration on stderr), prints how the fit ended, the parameter table (1-sigma errors, or with
errors=yes 90% confidence intervals: delta-statistic 2.706, the other free parameters
re-fitted; parameters held at a hard limit are marked) and, last, the line
`statistic: NAME VALUE dof N`. out= writes the fitted state in XSPEC's layout with the fit's
outcome in `#` lines on top (relative file names are kept as written, so put OUT.xcm beside
IN.xcm). A fit that does not converge is an error and writes nothing, unless force=yes,
which writes it and says so. fit=no only prints the statistic at the file's values.

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
    let max_iter = match a.number("niter")? {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= 1e7 => Some(n as usize),
        Some(n) => {
            return Err(CliError::BadValue {
                key: "niter".into(),
                value: n.to_string(),
                hint: "a whole number from 1 to 1e7".into(),
            }
            .into())
        }
        None => None,
    };
    let req = XcmFitRequest {
        input: Path::new(&input),
        out: out.as_ref(),
        statistic: stat,
        fit: a.flag("fit", true)?,
        errors: a.flag("errors", false)?,
        force: a.flag("force", false)?,
        max_iter,
        chatter: a.flag("chatter", false)?,
    };
    a.finish(1)?;
    let r = xcm_fit(&req)?;
    crate::outln!(
        "statistic at the file's values: {} {:.10}",
        r.session.statistic,
        r.start_statistic
    );
    let Some(f) = &r.fit else {
        crate::out!("{}", table(&r.session, TableErrors::None));
        crate::outln!(
            "statistic: {} {:.10} dof {}",
            r.session.statistic,
            r.start_statistic,
            r.dof
        );
        return Ok(());
    };
    crate::outln!("fit: {}", f.summary(&r.options));
    let errs = match &r.errors {
        Some(e) => {
            if e.new_minima > 0 {
                crate::outln!(
                    "errors: a lower statistic was found while profiling ({} new minimum/minima); the fit was redone from there",
                    e.new_minima
                );
            }
            TableErrors::Intervals(e)
        }
        None => TableErrors::Sigma(f),
    };
    crate::out!("{}", table(&r.session, errs));
    // the lines the fitted save file carries on top, after its outcome line
    for n in fit_notes(&r.session, f, &r.options).iter().skip(1) {
        crate::outln!("{}", n.trim_start_matches("# "));
    }
    if let Some(o) = &out {
        if !f.converged {
            crate::outln!("fit: WARNING: written although the fit did not converge (force=yes)");
        }
        crate::outln!("wrote {}", o.path.display());
    }
    crate::outln!(
        "statistic: {} {:.10} dof {}",
        r.session.statistic,
        f.statistic,
        r.dof
    );
    Ok(())
}
