//! `nuskybgd plot FILE.xcm [out=PREFIX] [rebin=SIG,MAXBINS] [residuals=delchi|ratio|none]
//! [format=png|svg]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::io::figure::Format;
use crate::spectral::plotdata::Residuals;
use crate::tasks::plot::{plot, PlotRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd plot FILE.xcm [out=PREFIX] [rebin=SIG,MAXBINS] [residuals=delchi|ratio|none]
                       [format=png|svg] [clobber=yes]

For any save file (ours or XSPEC's): each spectrum as XSPEC's 'setplot energy; plot ldata
delchi' shows it - counts s^-1 keV^-1 against keV on log axes with 1-sigma error bars, the
total model and every source (apbgd, intbgd, fcxb, intn, the user's) as its own line, and
a residual panel ((data-model)/error, or data/model with residuals=ratio) - written as
PREFIXspec<N>.png; and one overview per module (PREFIXFPMA.png, PREFIXFPMB.png) with
every spectrum of the module and its total model. rebin=SIG,MAXBINS combines adjacent
bins for the display until each has SIG sigma or MAXBINS bins (XSPEC's 'setplot rebin';
the fit is not changed). PREFIX defaults to the save file's name without .xcm plus '_'.
Only noticed bins are drawn. The font is compiled in: no system fonts needed.

Example:
  nuskybgd plot bgdparams_fit.xcm rebin=5,10
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "plot",
        summary: "spectra, models and residuals of a save file, as PNG or SVG",
        usage: USAGE,
        run,
    }
}

fn rebin(v: &str) -> Result<(f64, usize)> {
    let bad = || CliError::BadValue {
        key: "rebin".into(),
        value: v.into(),
        hint: "expected SIG,MAXBINS, e.g. rebin=5,10".into(),
    };
    let (s, n) = v.split_once(',').ok_or_else(bad)?;
    let sig: f64 = s.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if !(sig.is_finite() && sig > 0.0 && n >= 1) {
        return Err(bad().into());
    }
    Ok((sig, n))
}

fn run(a: &Args) -> Result<()> {
    let xcm = PathBuf::from(a.pos(0, "FILE.xcm")?);
    let prefix = match a.get("out") {
        Some(p) => p.to_string(),
        None => format!("{}_", xcm.with_extension("").display()),
    };
    let rebin = a.get("rebin").map(rebin).transpose()?;
    let r = a.get("residuals").unwrap_or("delchi");
    let residuals = Residuals::parse(r).ok_or_else(|| CliError::BadValue {
        key: "residuals".into(),
        value: r.into(),
        hint: "use delchi, ratio or none".into(),
    })?;
    let format = match a.get("format").unwrap_or("png") {
        "png" => Format::Png,
        "svg" => Format::Svg,
        f => {
            return Err(CliError::BadValue {
                key: "format".into(),
                value: f.into(),
                hint: "use png or svg".into(),
            }
            .into())
        }
    };
    let clobber = a.flag("clobber", false)?;
    a.finish(1)?;
    let s = plot(&PlotRequest {
        xcm,
        prefix,
        rebin,
        residuals,
        format,
        clobber,
    })?;
    for (n, p, chi2) in &s.spectra {
        crate::outln!(
            "plot: spectrum {n}: wrote {} (chi2 {chi2:.1} over the bins shown)",
            p.display()
        );
    }
    for p in &s.overviews {
        crate::outln!("plot: wrote {}", p.display());
    }
    Ok(())
}
