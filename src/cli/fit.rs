//! `nuskybgd fit bgdinfo.json [savefile=] [fit=yes|no] [statistic=chi|cstat] [solar=on|off]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::io::output::Output;
use crate::nustar::auxil::auxil_dir;
use crate::nustar::caldb::caldb_from_env;
use crate::spectral::stat::Statistic;
use crate::tasks::fit_task::{fit_task, FitRequest};
use std::path::PathBuf;

const USAGE_HEAD: &str = "nuskybgd fit bgdinfo.json [savefile=bgdparams] [fit=yes|no] [statistic=chi|cstat] [solar=on|off] [intnscale=idl|port] [force=yes] [clobber=yes]

Builds the background model for the background spectra listed in bgdinfo.json: sources
2 apbgd, 3 intbgd, 4 fcxb and 5 intn for every spectrum, each module's first spectrum the
reference and the others linked with the regions' geometric ratios (as nuskybgd-py), the
apbgd ARFs <spectrum>_nsb.arf beside the spectra, and the save file SAVEFILE.xcm. With
fit=yes (default) it then fits natively and writes SAVEFILE_fit.xcm and SAVEFILE_fit.txt
(the fit's outcome and any parameter held at a hard limit noted on top of both); a fit that
does not converge is an error and writes no fitted files, unless force=yes.
solar=off zeroes and freezes the apec and the three soft lines. The intn reference
norms start at the IDL original's value, sum over detectors of the whole-detector norm
(25 x ratios.json) times the fraction of the detector image in the region;
intnscale=port uses nuskybgd-py's sum(area x ifactor)/599.75, about 1.8x larger. Needs $CALDB (DETABS;
BEABSPAR if present, else the auxil be.arf) and NUSKYBGD_AUXIL. Existing files are kept
unless clobber=yes; a savefile name is never numbered silently.

Example:
  nuskybgd fit bgdinfo.json savefile=bgdparams statistic=cstat

Relative paths in bgdinfo.json are taken from the folder of bgdinfo.json (not the current
directory); unknown keys are refused by name. fcxb_config.links lists pairs [i, j] of
1-based spectrum numbers in bgfiles order: spectrum j's fcxb norm is tied to spectrum i's
(the same sky region seen by both modules, say); leave it out for no links.

bgdinfo.json template (module B entries may be left out for an FPMA-only analysis):
";

/// Usage text with the bgdinfo.json template.
fn usage() -> &'static str {
    static U: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    U.get_or_init(|| {
        format!(
            "{USAGE_HEAD}{}\n",
            crate::bgmodel::bgdinfo::BGDINFO_TEMPLATE
        )
    })
}

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "fit",
        summary: "build (and fit) the background model from bgdinfo.json",
        usage: usage(),
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let info = PathBuf::from(a.pos(0, "bgdinfo.json")?);
    let mut save = a.get("savefile").unwrap_or("bgdparams").to_string();
    if !save.trim_start_matches('!').ends_with(".xcm") {
        save.push_str(".xcm");
    } else {
        crate::outln!("fit: savefile={save} writes {save} (the port would write {save}.xcm)");
    }
    let clobber = a.flag("clobber", false)?;
    let do_fit = a.flag("fit", true)?;
    let statistic = a.statistic(Statistic::Chi)?;
    let solar_off = !a.flag("solar", true)?;
    let force = a.flag("force", false)?;
    let intn_port_scale = match a.get("intnscale").unwrap_or("idl") {
        "idl" => false,
        "port" => true,
        s => {
            return Err(CliError::BadValue {
                key: "intnscale".into(),
                value: s.to_string(),
                hint: "use idl or port".into(),
            }
            .into())
        }
    };
    a.finish(1)?;
    let req = FitRequest {
        bgdinfo: info,
        savefile: Output::new(&save, clobber),
        fit: do_fit,
        statistic,
        solar_off,
        force,
        intn_port_scale,
        caldb: caldb_from_env()?,
        auxil: auxil_dir()?,
    };
    let s = fit_task(&req)?;
    if s.apec_off && !req.solar_off {
        crate::errln!("fit: warning: no AtomDB found ($ATOMDB, $NUSKYBGD_ATOMDB, HEASoft modelData): the intbgd apec is switched off (norm 0, frozen)");
    }
    for (k, w) in s.weights.iter().enumerate() {
        crate::outln!(
            "fit: spectrum {} ({}): {} pixels, detector areas {:.1} {:.1} {:.1} {:.1}, aperture sum {:.4}",
            k + 1,
            w.module.instrume(),
            w.pixels,
            w.area[0],
            w.area[1],
            w.area[2],
            w.area[3],
            w.apw
        );
    }
    if let Some(f) = &s.fit {
        crate::out!("{}", f.table);
        for n in &f.notes {
            crate::outln!("{}", n.trim_start_matches("# "));
        }
        if !f.summary.starts_with("converged") {
            crate::outln!(
                "fit: WARNING: fitted files written although the fit did not converge (force=yes)"
            );
        }
        crate::outln!(
            "statistic: {} {:.6} dof {}",
            req.statistic,
            f.statistic,
            f.dof
        );
    }
    for p in &s.written {
        crate::outln!("fit: wrote {}", p.display());
    }
    Ok(())
}
