//! `nuskybgd mkinstrmap EVTFILE [usrbpix=f1,f2] [prefix=P] [dryrun=yes]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::tasks::mkinstrmap::{mkinstrmap, InstrmapRequest};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd mkinstrmap EVTFILE [usrbpix=FILE1,FILE2] [prefix=P] [dryrun=yes] [clobber=yes]

Instrument map for projbgd: the CALDB instrument map ($CALDB, INSTRMAP) with the pixels
removed that the event file's BADPIX extensions, the CALDB bad-pixel file and the user
files mark bad, labelled 1-4 by detector (0 = inactive). The RAW->DET1 pixel map comes
from CALDB PIXPOS, or from the auxil idl_pixmap/idl_detnum maps (NUSKYBGD_AUXIL) when
the CALDB has none. Writes P + newinstrmap{A|B}.fits.
A pixel is bad when its bad interval covers over 80% of the extension's TSTART-TSTOP, when
the list gives no span (CALDB/user lists), or when flagged 'disabled on board'.
Differences from nuskybgd-py: the flag test works (the port's never fired), every active
pixel is labelled even without bad-pixel lists, and the CALDB map is shifted (-1,-1) like
the pixel maps (as the IDL original), so bad-pixel holes are registered.
dryrun=yes (as the port's) reads and checks every input - the event file, the CALDB map,
every bad-pixel list - says what would be written, and writes nothing.

Example:
  nuskybgd mkinstrmap nu60001047002A01_cl.evt usrbpix=nuAuserbadpix.fits
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "mkinstrmap",
        summary: "instrument map with bad pixels removed",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let evt = PathBuf::from(a.pos(0, "EVTFILE")?);
    let usrbpix: Vec<PathBuf> = a
        .get("usrbpix")
        .map(|s| {
            s.split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| PathBuf::from(s.trim()))
                .collect()
        })
        .unwrap_or_default();
    let prefix = a.get("prefix").unwrap_or("").to_string();
    let clobber = a.flag("clobber", false)?;
    let dryrun = a.flag("dryrun", false)?;
    a.finish(1)?;
    let module = crate::nustar::events::EventFile::open(&evt)?.module;
    let out = Output::new(
        &format!("{prefix}newinstrmap{}.fits", module.letter()),
        clobber,
    );
    let req = InstrmapRequest {
        evt,
        usrbpix,
        out,
        caldb: Caldb::from_env(),
        auxil: crate::nustar::auxil::auxil_dir().ok(),
        dryrun,
    };
    let s = mkinstrmap(&req)?;
    crate::outln!("mkinstrmap: RAW->DET1 map from {}", s.pixmap_source);
    for (f, rows, bad, removed) in &s.sources {
        crate::outln!(
            "mkinstrmap: {}: {rows} rows, {bad} bad pixels, {removed} DET1 sub-pixels removed",
            f.display()
        );
    }
    crate::outln!(
        "mkinstrmap: active DET1 sub-pixels DET0..3: {} {} {} {}",
        s.active[0],
        s.active[1],
        s.active[2],
        s.active[3]
    );
    if s.written {
        crate::outln!("mkinstrmap: wrote {}", s.out.display());
    } else {
        crate::outln!(
            "mkinstrmap: dry run: would write {}; nothing written",
            s.out.display()
        );
    }
    Ok(())
}
