//! The `mkinstrmap` task at file level: read the event header, the CALDB instrument map,
//! the RAW→DET1 map and the bad-pixel lists; build the instrument map
//! (`sky::instrmap::instrument_map`) and write `newinstrmap{M}.fits`.

use crate::error::{Result, TaskError};
use crate::io::output::Output;
use crate::nustar::caldb::Caldb;
use crate::nustar::events::EventFile;
use crate::nustar::instrmap::{write_instrmap, InstrmapInputs};
use crate::sky::instrmap::instrument_map;
use std::path::{Path, PathBuf};

/// Inputs of one mkinstrmap run.
pub struct InstrmapRequest {
    /// Event file (EVENTS header gives module and DATE-OBS; its BADPIX extensions are used).
    pub evt: PathBuf,
    /// User bad-pixel files.
    pub usrbpix: Vec<PathBuf>,
    /// Output file.
    pub out: Output,
    /// The CALDB (required: the instrument map comes from it).
    pub caldb: Option<Caldb>,
    /// Auxiliary directory, for the IDL ownership maps when the CALDB has no PIXPOS.
    pub auxil: Option<PathBuf>,
    /// Read and check every input, build the map, write nothing (the port's `dryrun=yes`).
    pub dryrun: bool,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct InstrmapSummary {
    pub out: PathBuf,
    /// Where the RAW→DET1 map came from.
    pub pixmap_source: String,
    /// (file, rows read, bad pixels listed, DET1 sub-pixels removed).
    pub sources: Vec<(PathBuf, usize, usize, usize)>,
    /// Active DET1 sub-pixels per detector in the result.
    pub active: [usize; 4],
    /// False for a dry run: `out` is what would have been written.
    pub written: bool,
}

/// The observation start DATE-OBS (ISO string) of an event file's EVENTS header.
fn observation_date(ev: &EventFile, evt: &Path) -> Result<String> {
    ev.cards
        .iter()
        .find(|c| c.starts_with("DATE-OBS"))
        .and_then(|c| c.split('\'').nth(1))
        .map(|s| s.trim().to_string())
        .ok_or_else(|| TaskError::DateObsMissing { path: evt.into() }.into())
}

/// Build and write `newinstrmap{M}.fits`.
pub fn mkinstrmap(req: &InstrmapRequest) -> Result<InstrmapSummary> {
    req.out.check()?;
    let ev = EventFile::open(&req.evt)?;
    let m = ev.module;
    let date = observation_date(&ev, &req.evt)?;
    let caldb = req.caldb.as_ref().ok_or(TaskError::NoCaldb)?;
    let mut bad_files = vec![req.evt.clone()];
    bad_files.extend(req.usrbpix.iter().cloned());
    let inputs = InstrmapInputs::read(caldb, m, &date, &bad_files, req.auxil.as_deref())?;
    let map = instrument_map(&inputs.caldb_map, &inputs.pixmap, &inputs.bad);
    if !req.dryrun {
        write_instrmap(&req.out, &map.image, &inputs, &map.removed, m)?;
    }
    Ok(InstrmapSummary {
        written: !req.dryrun,
        out: req.out.path.clone(),
        sources: inputs.sources(&map.removed),
        pixmap_source: inputs.pixmap_source,
        active: map.active,
    })
}
