//! `nuskybgd getspec EVTFILE reg=REG.reg [outdir=.] [outprefix=] [group=30] [rmffile=]`

use crate::bgmodel::detrmf::RmfSource;
use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::tasks::getspec::{getspec, GetspecRequest, Grouping};
use std::path::PathBuf;

const USAGE: &str = "\
nuskybgd getspec EVTFILE reg=REG.reg [outdir=.] [outprefix=P] [group=30|N|optimal]
                 [rmffile=CALDB|FILE] [clobber=yes]

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
unless clobber=yes.

Example:
  nuskybgd getspec nu60001047002A01_cl.evt reg=bgd1.reg outdir=spec
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

fn run(a: &Args) -> Result<()> {
    let evt = PathBuf::from(a.pos(0, "EVTFILE")?);
    let reg = PathBuf::from(a.require("reg")?);
    let outdir = PathBuf::from(a.get("outdir").unwrap_or("."));
    let outprefix = a.get("outprefix").map(String::from);
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
    println!(
        "getspec: {} events in {} sky pixels (BACKSCAL {:.6e}); DET0-3: {} {} {} {}",
        s.events, s.npix, s.backscal, s.per_det[0], s.per_det[1], s.per_det[2], s.per_det[3]
    );
    if s.dropped > 0 {
        println!(
            "getspec: {} region events dropped (PI or DET_ID out of range)",
            s.dropped
        );
    }
    println!("getspec: wrote {}", s.pha.display());
    println!(
        "getspec: wrote {} ({} groups)",
        s.grouped.display(),
        s.groups
    );
    println!("getspec: wrote {}", s.rmf.display());
    Ok(())
}
