//! `nuskybgd absrmf EVTFILE OUTPREFIX [rmffile=CALDB|f] [detabsfile=CALDB|f]`

use crate::bgmodel::detrmf::{DetabsSource, RmfSource};
use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::tasks::absrmf::{absrmf, AbsrmfRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd absrmf EVTFILE OUTPREFIX [rmffile=CALDB|FILE] [detabsfile=CALDB|FILE] [clobber=yes]

Detector RMFs with detector absorption: for d = 0..3 writes OUTPREFIX<d><M>.rmf (M = A/B
from the event file's INSTRUME; a leading '!' on OUTPREFIX replaces existing files;
missing directories are created), each energy row E of the detector RMF multiplied by
DETABS_d(E). RMFs from CALDB GRPRMF (DEPTHCUT(NOMINAL)) or one FILE for all detectors;
DETABS from CALDB or FILE (extension d+1 for detector d). CALDB needs $CALDB.
Difference from nuskybgd-py: the port scaled the channel axis of fixed-width matrices;
here every energy row is scaled, as intended (and as the IDL original did).

Example:
  nuskybgd absrmf nu60001047002A01_cl.evt det
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "absrmf",
        summary: "detector RMFs times detector absorption (det<d><M>.rmf)",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let evt = PathBuf::from(a.pos(0, "EVTFILE")?);
    let outprefix = a.pos(1, "OUTPREFIX")?.to_string();
    let rmf = Args::caldb_or(a.get("rmffile"), RmfSource::Caldb, RmfSource::File)?;
    let detabs = Args::caldb_or(a.get("detabsfile"), DetabsSource::Caldb, DetabsSource::File)?;
    let clobber = a.flag("clobber", false)?;
    a.finish(2)?;
    let s = absrmf(&AbsrmfRequest {
        evt,
        outprefix,
        rmf,
        detabs,
        clobber,
    })?;
    for d in 0..4 {
        crate::outln!(
            "absrmf: DET{d}: {} x DETABS {} -> {}",
            s.rmf_files[d].display(),
            s.detabs_files[d].display(),
            s.outputs[d].display()
        );
    }
    Ok(())
}
