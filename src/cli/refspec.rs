//! `nuskybgd refspec [dir=.] [mods=AB] [dets=0123]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::nustar::auxil::auxil_dir;
use crate::nustar::module::Module;
use crate::tasks::refspec::{refspec, RefspecRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd refspec [dir=.] [mods=AB] [dets=0123] [clobber=yes]

Reference spectra (the original's imrefspec): for each det<d><M>.rmf in DIR (made by
absrmf), writes noise-free spectra of cutoffpl(1.29, 41.13, 0.002353) with exposure 1e9 s,
COUNTS = round(1e9 x sum_E F(E) A(E) R(E,c)):
  aperbgd<M>_det<d>.pha   through the auxil be.arf (aperture background)
  fcxbbgd<M>_det<d>.pha   through the auxil fcxb<M>.arf (focused CXB)
The auxil directory comes from $NUSKYBGD_AUXIL. Missing RMFs are skipped with a note;
none at all is an error. Give at least one argument (e.g. dir=.): a bare task name prints
this help.

Example:
  nuskybgd absrmf nu60001047002A01_cl.evt det && nuskybgd refspec mods=A
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "refspec",
        summary: "aperture and fCXB reference spectra per detector",
        usage: USAGE,
        run,
    }
}

const IMREFSPEC_USAGE: &str = "\
imrefspec.py MODS DETS [dir=.] [clobber=yes]

The Python port's imrefspec.py, as written in its README (imrefspec.py AB 0123): the same
as nuskybgd refspec mods=MODS dets=DETS (run 'nuskybgd refspec --help'), computed natively
(no XSPEC fakeit): aperbgd<M>_det<d>.pha and fcxbbgd<M>_det<d>.pha from det<d><M>.rmf.

Example:
  cd bgd && imrefspec.py AB 0123
";

/// The port's `imrefspec MODS DETS` form of the task.
pub fn imrefspec_task() -> Task {
    Task {
        name: "imrefspec",
        summary: "refspec under the port's name and positional MODS DETS",
        usage: IMREFSPEC_USAGE,
        run: run_imrefspec,
    }
}

/// Modules from letters ("AB").
fn modules(s: &str) -> Result<Vec<Module>> {
    s.chars()
        .map(|c| Module::from_letter(c).ok_or_else(|| CliError::BadModule { item: c }.into()))
        .collect()
}

/// Detectors from digits ("0123").
fn detectors(s: &str) -> Result<Vec<usize>> {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if d <= 3 => Ok(d as usize),
            _ => Err(CliError::BadDetector { item: c }.into()),
        })
        .collect()
}

fn run(a: &Args) -> Result<()> {
    let mods = a.get("mods").unwrap_or("AB");
    let dets = a.get("dets").unwrap_or("0123");
    write_reference_spectra(a, mods, dets, 0)
}

/// The port's form: MODS and DETS positional.
fn run_imrefspec(a: &Args) -> Result<()> {
    let mods = a.pos(0, "MODS (e.g. AB)")?;
    let dets = a.positional.get(1).map_or("0123", String::as_str);
    write_reference_spectra(a, mods, dets, 2)
}

/// Run the task on modules `mods` and detectors `dets` (with `dir=` and `clobber=` from
/// `a`, which has `npos` positional arguments) and report what it wrote and skipped.
fn write_reference_spectra(a: &Args, mods: &str, dets: &str, npos: usize) -> Result<()> {
    let req = RefspecRequest {
        dir: PathBuf::from(a.get("dir").unwrap_or(".")),
        mods: modules(mods)?,
        dets: detectors(dets)?,
        auxil: auxil_dir()?,
        clobber: a.flag("clobber", false)?,
    };
    a.finish(npos)?;
    let s = refspec(&req)?;
    for m in &s.missing {
        crate::outln!("refspec: {} not found, skipped", m.display());
    }
    for (ap, fc, nap, nfc) in &s.written {
        crate::outln!("refspec: wrote {} ({nap:.0} counts)", ap.display());
        crate::outln!("refspec: wrote {} ({nfc:.0} counts)", fc.display());
    }
    Ok(())
}
