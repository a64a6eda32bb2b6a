//! `nuskybgd mkimgs EVTFILE OUTNAME ELOW EHIGH`, and the originals' `mkimgs.py DIR OBSID
//! ELOWS EHIGHS` (both modules, every band).

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::nustar::layout::find_events;
use crate::nustar::module::Module;
use crate::nustar::naming;
use crate::tasks::mkimgs::{mkimgs, MkimgsRequest, MkimgsSummary};
use std::path::{Path, PathBuf};

const USAGE: &str = "\
nuskybgd mkimgs EVTFILE OUTNAME ELOW EHIGH [clobber=yes]
nuskybgd mkimgs DIR OBSID ELOWS EHIGHS [clobber=yes]

Counts images of the events with PI in the band ELOW-EHIGH keV (channels as the original:
clow = trunc((ELOW-1.6)/0.04 + 1), chigh = trunc((EHIGH-1.6)/0.04); 3-20 keV -> PI 36-459):
OUTNAME.fits on the 1000x1000 sky X/Y grid with the event file's sky WCS and observation
keywords (PA_PNT included, so it can serve as projbgd's refimg), and OUTNAMEdet.fits on the
360x360 DET1 grid (events on RAWX/RAWY 0 or 31 excluded, as the original). Replaces the
port's xselect script: no HEASoft needed.
The second form is the originals' mkimgs.py (their quickstart's './mkimgs.py ./ OBSID 3 20'):
for each module whose nu<OBSID><M>01_cl.evt[.gz] is in DIR/OBSID/event_cl, DIR/event_cl or
DIR, and each band of the comma-separated lists (ELOWS=3,10 EHIGHS=10,20), writes
im<M><lo>to<hi>keV.fits and im<M><lo>to<hi>keVdet.fits beside the event file, the band
edges written as typed. The originals replaced existing images; here they are kept
unless clobber=yes.

Examples:
  nuskybgd mkimgs nu60001047002A01_cl.evt.gz imA3to20keV 3 20
  mkimgs.py ./ 50002031004 3 20
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
    if a.positional.len() == 4 && Path::new(a.pos(0, "DIR")?).is_dir() {
        return run_observation(a);
    }
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
    report(&s);
    Ok(())
}

/// `mkimgs DIR OBSID ELOWS EHIGHS`: every band for each module found.
fn run_observation(a: &Args) -> Result<()> {
    let dir = PathBuf::from(a.pos(0, "DIR")?);
    let obsid = a.pos(1, "OBSID")?.trim().to_string();
    let lows = band_edges(a.pos(2, "ELOWS")?, "ELOW")?;
    let highs = band_edges(a.pos(3, "EHIGHS")?, "EHIGH")?;
    let clobber = a.flag("clobber", false)?;
    a.finish(4)?;
    if lows.len() != highs.len() {
        return Err(CliError::BandLists {
            lows: lows.len(),
            highs: highs.len(),
        }
        .into());
    }
    let found: Vec<(Module, PathBuf)> = Module::ALL
        .into_iter()
        .filter_map(|m| find_events(&dir, &obsid, m).map(|p| (m, p)))
        .collect();
    if found.is_empty() {
        return Err(CliError::NoEventFiles { dir, obsid }.into());
    }
    for m in Module::ALL
        .into_iter()
        .filter(|m| found.iter().all(|f| f.0 != *m))
    {
        crate::outln!(
            "mkimgs: no {} under {}: module {} skipped",
            naming::events_file(&obsid, m),
            dir.display(),
            m.letter()
        );
    }
    for (m, evt) in &found {
        let here = evt.parent().unwrap_or(Path::new("."));
        for ((lo, elow), (hi, ehigh)) in lows.iter().zip(&highs) {
            let stem = naming::band_image_stem(*m, lo, hi);
            let s = mkimgs(&MkimgsRequest {
                evt: evt.clone(),
                outname: here.join(stem).to_string_lossy().into_owned(),
                elow: *elow,
                ehigh: *ehigh,
                clobber,
            })?;
            report(&s);
        }
    }
    Ok(())
}

/// A comma-separated list of band edges: each as typed (for the file names) and in keV.
fn band_edges(list: &str, what: &str) -> Result<Vec<(String, f64)>> {
    list.split(',')
        .map(|t| {
            let t = t.trim();
            t.parse::<f64>().map(|v| (t.to_string(), v)).map_err(|_| {
                CliError::NotAnEnergy {
                    what: what.to_string(),
                    value: t.to_string(),
                }
                .into()
            })
        })
        .collect()
}

/// What one mkimgs run counted and wrote.
fn report(s: &MkimgsSummary) {
    crate::outln!(
        "mkimgs: PI {}-{}: {} events in band, {} in the sky image ({} off the grid), {} in the DET1 image",
        s.channels.0, s.channels.1, s.in_band, s.sky_counts, s.sky_dropped, s.det1_counts
    );
    crate::outln!(
        "mkimgs: wrote {} and {}",
        s.sky_path.display(),
        s.det1_path.display()
    );
}
