//! `nuskybgd bgdspec bgdinfo.json fitted.xcm src.reg src.pha [expfactor=] [poisson=] [seed=]
//! [out=] [clobber=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::nustar::auxil::auxil_dir;
use crate::nustar::caldb::caldb_from_env;
use crate::tasks::bgdspec::{bgdspec, BgdspecRequest, BgdspecSummary, DEFAULT_SEED};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd bgdspec bgdinfo.json fitted.xcm SRC.reg SRC.pha [expfactor=100] [poisson=no]
                 [seed=N] [out=BGD.pha] [clobber=yes]

Writes the background spectrum of a source region predicted by the fitted background
model (apbgd + intbgd + fcxb + intn rescaled to the region, as the spec task does) for
expfactor times the source exposure, and sets the source spectrum's BACKFILE to it so
XSPEC subtracts it. This is the IDL nuskybgd_spec way; the spec task's in-model
background is the alternative (do not use both).
  expfactor=F  exposure of the background spectrum in source exposures (default 100)
  poisson=yes  integer counts with Poisson noise (default: noise-free real counts)
  seed=N       seed of the Poisson draws (default 20170101)
  out=FILE     background spectrum (default <SRC stem>_bgd.pha beside SRC.pha)
  clobber=yes  replace an existing output and an existing BACKFILE of SRC.pha
Prints the predicted counts of each background source in the region. Needs $CALDB and
NUSKYBGD_AUXIL, like spec.

Example:
  nuskybgd bgdspec bgdinfo.json bgdparams_fit.xcm src.reg nu60001047002A01_sr_g30.pha
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "bgdspec",
        summary: "predicted background spectrum for a source (BACKFILE)",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let bgdinfo = PathBuf::from(a.pos(0, "bgdinfo.json")?);
    let xcm = PathBuf::from(a.pos(1, "fitted.xcm")?);
    let region = PathBuf::from(a.pos(2, "source region")?);
    let pha = PathBuf::from(a.pos(3, "source spectrum")?);
    let expfactor = a.number("expfactor")?.unwrap_or(100.0);
    let poisson = a.flag("poisson", false)?;
    let seed = match a.get("seed") {
        None => DEFAULT_SEED,
        Some(s) => s.trim().parse::<u64>().map_err(|_| CliError::BadValue {
            key: "seed".into(),
            value: s.to_string(),
            hint: "expected a non-negative integer".into(),
        })?,
    };
    let clobber = a.flag("clobber", false)?;
    let out = a.get("out").map(|s| {
        let (name, bang) = match s.strip_prefix('!') {
            Some(r) => (r, true),
            None => (s, false),
        };
        (PathBuf::from(name), bang)
    });
    a.finish(4)?;
    let req = BgdspecRequest {
        bgdinfo,
        xcm,
        region,
        pha,
        expfactor,
        poisson,
        seed,
        clobber: clobber || out.as_ref().is_some_and(|o| o.1),
        out: out.map(|o| o.0),
        caldb: caldb_from_env()?,
        auxil: auxil_dir()?,
    };
    let s = bgdspec(&req)?;
    print_summary(&req, &s);
    Ok(())
}

/// The predicted counts per component and what was written and set.
fn print_summary(req: &BgdspecRequest, s: &BgdspecSummary) {
    crate::outln!(
        "bgdspec: predicted background counts in {} (source exposure {} s):",
        req.region.display(),
        s.source_exposure
    );
    crate::outln!(
        "  {:<8} {:>14} {:>14}",
        "source",
        "all channels",
        "3-20 keV"
    );
    for c in &s.components {
        crate::outln!("  {:<8} {:>14.4} {:>14.4}", c.name, c.total, c.band_3_20);
    }
    let (t, b): (f64, f64) = s
        .components
        .iter()
        .fold((0.0, 0.0), |(t, b), c| (t + c.total, b + c.band_3_20));
    crate::outln!("  {:<8} {:>14.4} {:>14.4}", "total", t, b);
    crate::outln!(
        "bgdspec: wrote {} (EXPOSURE {} s = {} x source, {:.1} counts, {})",
        s.output.display(),
        s.exposure,
        req.expfactor,
        s.counts_written,
        if req.poisson { "Poisson" } else { "noise-free" }
    );
    match &s.previous_backfile {
        Some(old) if *old == s.backfile => crate::outln!(
            "bgdspec: {}: BACKFILE is already '{old}' (kept)",
            s.source.display()
        ),
        Some(old) => crate::outln!(
            "bgdspec: {}: BACKFILE changed from '{old}' to '{}'",
            s.source.display(),
            s.backfile
        ),
        None => crate::outln!(
            "bgdspec: {}: BACKFILE set to '{}'",
            s.source.display(),
            s.backfile
        ),
    }
}
