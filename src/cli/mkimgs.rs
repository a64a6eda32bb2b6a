//! `nuskybgd mkimgs EVTFILE OUTNAME ELOW EHIGH`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::tasks::mkimgs::{mkimgs, MkimgsRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd mkimgs EVTFILE OUTNAME ELOW EHIGH [clobber=yes]

Counts images of the events with PI in the band ELOW-EHIGH keV (channels as the original:
clow = trunc((ELOW-1.6)/0.04 + 1), chigh = trunc((EHIGH-1.6)/0.04); 3-20 keV -> PI 36-459):
OUTNAME.fits on the 1000x1000 sky X/Y grid with the event file's sky WCS and observation
keywords (PA_PNT included, so it can serve as projbgd's refimg), and OUTNAMEdet.fits on the
360x360 DET1 grid (events on RAWX/RAWY 0 or 31 excluded, as the original). Replaces the
port's xselect script: no HEASoft needed.

Example:
  nuskybgd mkimgs nu60001047002A01_cl.evt.gz imA3to20keV 3 20
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "mkimgs",
        summary: "sky and DET1 counts images of an energy band",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let evt = a.pos(0, "EVTFILE")?.to_string();
    let out = a.pos(1, "OUTNAME")?.to_string();
    let elow = a.pos_energy(2, "ELOW")?;
    let ehigh = a.pos_energy(3, "EHIGH")?;
    let clobber = a.flag("clobber", false)?;
    a.finish(4)?;
    let s = mkimgs(&MkimgsRequest {
        evt: PathBuf::from(evt),
        outname: out,
        elow,
        ehigh,
        clobber,
    })?;
    println!(
        "mkimgs: PI {}-{}: {} events in band, {} in the sky image ({} off the grid), {} in the DET1 image",
        s.channels.0, s.channels.1, s.in_band, s.sky_counts, s.sky_dropped, s.det1_counts
    );
    println!(
        "mkimgs: wrote {} and {}",
        s.sky_path.display(),
        s.det1_path.display()
    );
    Ok(())
}
