//! `nuskybgd getspec EVTFILE reg=REG.reg [outdir=.] [outprefix=] [group=30] [rmffile=]`,
//! and the port's `getspecnoarf.py` form of it (`indir=`, `attfile=`, `stemout=`).

use crate::bgmodel::detrmf::RmfSource;
use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::tasks::getspec::{getspec, GetspecRequest, Grouping};
use std::path::{Path, PathBuf};

const USAGE: &str = "\
nuskybgd getspec EVTFILE reg=REG.reg [outdir=.] [outprefix=P] [group=30|N|optimal]
                 [rmffile=CALDB|FILE] [indir=DIR] [attfile=FILE] [clobber=yes]

Source spectrum of a sky region without nuproducts (the original's getspecnoarf). Events
whose sky pixel (round(X), round(Y) on the event file's own sky grid) lies in the region
mask - the same mask regmask makes - are histogrammed by PI into 4096 channels. Writes in
OUTDIR (P defaults to the region file name without .reg):
  P_sr.pha      OGIP type I spectrum; EXPOSURE/LIVETIME from EVENTS, BACKSCAL = region
                pixels / sky-grid pixels (1000x1000), RESPFILE = P_sr.rmf
  P_sr_g30.pha  grouped copy, grppha 'group min 30' (group=N: P_sr_gN.pha, min N counts;
                group=optimal: P_sr_opt.pha, Kaastra & Bleeker 2016 optimal binning with
                the RMF's resolution, as ftgrouppha grouptype=opt)
  P_sr.rmf      sum_d n_d RMF_d / sum_d n_d, n_d = region events on detector d, RMF_d from
                CALDB GRPRMF (DEPTHCUT(NOMINAL); needs $CALDB) or rmffile=FILE for all
                detectors. No detector absorption (the apbgd ARF carries it).
A region without events is an error (no area-weight fallback). Existing outputs are kept
unless clobber=yes. The port's getspecnoarf arguments are accepted: indir=DIR is where
EVTFILE is looked for when it is not found as given; attfile= must exist, as the port
checks, but is not used (the event file's X/Y are already sky positions); stemout= is
another name for outprefix=.

Example:
  nuskybgd getspec nu60001047002A01_cl.evt reg=bgd1.reg outdir=spec
";

const NOARF_USAGE: &str = "\
getspecnoarf.py EVTFILE reg=REG.reg [indir=.] [outdir=.] [outprefix=P | stemout=P]
                [attfile=ATTFILE] [group=30|N|optimal] [rmffile=CALDB|FILE] [clobber=yes]

The Python port's getspecnoarf.py, as written in its README: the same as nuskybgd getspec
(run 'nuskybgd getspec --help'), which makes P_sr.pha, P_sr_g30.pha and P_sr.rmf in
OUTDIR natively, without nuproducts and grppha. attfile= is checked to exist and not used.

Example:
  getspecnoarf.py nu90201039002A01_cl.evt reg=bgd/bgd1.reg indir=. outdir=bgd \\
      outprefix=bgd1A attfile=../auxil/nu90201039002_att.fits.gz
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "getspec",
        summary: "region spectrum, grouped copy and event-weighted RMF",
        usage: USAGE,
        run,
    }
}

/// The port's `getspecnoarf` name for the same task.
pub fn noarf_task() -> Task {
    Task {
        name: "getspecnoarf",
        summary: "getspec under the port's name and arguments",
        usage: NOARF_USAGE,
        run: run_noarf,
    }
}

fn run_noarf(a: &Args) -> Result<()> {
    crate::outln!(
        "getspecnoarf: spectrum, grouped copy and RMF made natively (nuproducts and grppha are not run)"
    );
    run(a)
}

/// The event file: as given, else under `indir=` (the port's nuproducts input directory).
fn event_file(a: &Args) -> Result<PathBuf> {
    let evt = PathBuf::from(a.pos(0, "EVTFILE")?);
    match a.get("indir") {
        Some(dir) if !evt.exists() && Path::new(dir).join(&evt).exists() => {
            Ok(Path::new(dir).join(&evt))
        }
        _ => Ok(evt),
    }
}

/// The port's attfile=: it must exist (as the port checks); nothing here needs it.
fn check_attfile(a: &Args) -> Result<()> {
    if let Some(att) = a.get("attfile") {
        if !Path::new(att).exists() {
            return Err(CliError::NotFound {
                key: "attfile".into(),
                path: att.into(),
            }
            .into());
        }
        crate::outln!(
            "getspec: attfile={att} not used (the event file's X/Y are sky positions already)"
        );
    }
    Ok(())
}

fn run(a: &Args) -> Result<()> {
    let evt = event_file(a)?;
    check_attfile(a)?;
    let reg = PathBuf::from(a.require("reg")?);
    let outdir = PathBuf::from(a.get("outdir").unwrap_or("."));
    let stemout = a.get("stemout");
    let outprefix = a.get("outprefix").or(stemout).map(String::from);
    let group = Grouping::parse(a.get("group").unwrap_or("30"))?;
    let rmf = Args::caldb_or(a.get("rmffile"), RmfSource::Caldb, RmfSource::File)?;
    let clobber = a.flag("clobber", false)?;
    a.finish(1)?;
    let s = getspec(&GetspecRequest {
        evt,
        reg,
        outdir,
        outprefix,
        group,
        rmf,
        clobber,
    })?;
    crate::outln!(
        "getspec: {} events in {} sky pixels (BACKSCAL {:.6e}); DET0-3: {} {} {} {}",
        s.events,
        s.npix,
        s.backscal,
        s.per_det[0],
        s.per_det[1],
        s.per_det[2],
        s.per_det[3]
    );
    if s.dropped > 0 {
        crate::outln!(
            "getspec: {} region events dropped (PI or DET_ID out of range)",
            s.dropped
        );
    }
    crate::outln!("getspec: wrote {}", s.pha.display());
    crate::outln!(
        "getspec: wrote {} ({} groups)",
        s.grouped.display(),
        s.groups
    );
    crate::outln!("getspec: wrote {}", s.rmf.display());
    Ok(())
}
