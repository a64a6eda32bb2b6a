//! `nuskybgd projbgd refimg= out= mod= det= chipmap= aspect=`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::io::output::Output;
use crate::nustar::auxil::auxil_dir;
use crate::nustar::module::Module;
use crate::tasks::projbgd::{projbgd, ProjbgdRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd projbgd refimg=REFIMG out=OUT mod=A|B det=1234 chipmap=INSTRMAP aspect=ASPECTHIST [clobber=yes]

Projects the aperture stray-light pattern and the detector footprints onto the sky grid of
REFIMG (a 1000x1000 TAN image with PA_PNT) using the roll and the aspect histogram. Writes
OUT (aperture image) and det{0..3}{A|B}im.fits beside OUT for the detectors in det=
(digits 1-4 mean DET0-DET3). Needs NUSKYBGD_AUXIL (detA_det1.img.gz, nomapbgdparams.dat).
Existing outputs are kept unless clobber=yes or OUT starts with '!'.
Differences from nuskybgd-py: detector images go beside OUT (not the current directory);
content shifted past the image edge is dropped instead of wrapped to the opposite edge.

Example:
  nuskybgd projbgd refimg=imA3to20keV.fits out=bgdapA.fits mod=A det=1234 chipmap=newinstrmapA.fits aspect=aspecthistA.fits
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "projbgd",
        summary: "project aperture and detector images onto the sky",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let module = match a.require("mod")?.trim().to_ascii_uppercase().as_str() {
        "A" | "FPMA" => Module::A,
        "B" | "FPMB" => Module::B,
        m => {
            return Err(CliError::BadValue {
                key: "mod".into(),
                value: m.to_string(),
                hint: "must be A or B".into(),
            }
            .into())
        }
    };
    let det_arg = a.require("det")?;
    let mut dets = Vec::new();
    for ch in det_arg.chars() {
        match ch.to_digit(10) {
            Some(d @ 1..=4) if !dets.contains(&(d as usize - 1)) => dets.push(d as usize - 1),
            Some(1..=4) => {}
            _ => {
                return Err(CliError::BadValue {
                    key: "det".into(),
                    value: det_arg.to_string(),
                    hint: "use digits 1-4 (DET0-DET3), e.g. det=1234".into(),
                }
                .into())
            }
        }
    }
    dets.sort_unstable();
    let req = ProjbgdRequest {
        refimg: PathBuf::from(a.require("refimg")?),
        out: Output::new(a.require("out")?, a.flag("clobber", false)?),
        module,
        dets,
        chipmap: PathBuf::from(a.require("chipmap")?),
        aspect: PathBuf::from(a.require("aspect")?),
        auxil: auxil_dir()?,
    };
    a.finish(0)?;
    if let Some(dir) = req.out.path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::outln!(
            "projbgd: detector images go beside out= in {} (the port writes them in the current directory)",
            dir.display()
        );
    }
    let s = projbgd(&req)?;
    crate::outln!("projbgd: aperture image sum {:.6}", s.aperture_sum);
    for (d, sum) in &s.det_sums {
        crate::outln!("projbgd: DET{d} exposure-weighted pixels {sum:.1}");
    }
    for p in &s.written {
        crate::outln!("projbgd: wrote {}", p.display());
    }
    Ok(())
}
