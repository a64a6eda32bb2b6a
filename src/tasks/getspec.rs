//! Source spectrum and response of a sky region, what the original obtained from
//! `nuproducts runmkarf=no` and `grppha group min 30`: events inside the region (the region
//! engine's mask on the event file's own sky grid), a 4096-channel PI spectrum, its grouped
//! copy and the event-weighted mean of the detector RMFs.

use crate::bgmodel::detrmf::{detector_rmf_paths, read_detector_rmfs, RmfSource};
use crate::error::{Result, TaskError};
use crate::io::output::{check_all, Output};
use crate::io::wcs::Wcs;
use crate::nustar::events::{ColumnWcs, EventFile};
use crate::sky::regmask::{mask, Grid};
use crate::spectral::grouping::group_min;
use crate::spectral::ogip::rmf::Rmf;
use crate::spectral::ogip::{
    pha::{write_pha, PhaOut},
    rmf::write_rmf_shared,
};
use crate::spectral::optimal::{fwhm_per_channel, group_optimal};
use crate::spectral::rmf_ops::weighted_sum;
use std::path::{Path, PathBuf};

/// NuSTAR PI channels (0..4095).
pub const NCHAN: usize = 4096;

/// How the grouped copy is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Grouping {
    /// grppha `group min N` (N ≥ 1 counts); file `PREFIX_sr_g<N>.pha`.
    Min(u32),
    /// Kaastra & Bleeker optimal binning with the output RMF's resolution; file
    /// `PREFIX_sr_opt.pha`.
    Optimal,
}

impl Grouping {
    /// Parse `30`, `N` or `optimal`/`opt`.
    pub fn parse(s: &str) -> Result<Grouping> {
        let t = s.trim().to_ascii_lowercase();
        if t == "optimal" || t == "opt" {
            return Ok(Grouping::Optimal);
        }
        match t.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Grouping::Min(n)),
            _ => Err(TaskError::BadGrouping { value: s.into() }.into()),
        }
    }

    fn suffix(self) -> String {
        match self {
            Grouping::Min(n) => format!("_sr_g{n}.pha"),
            Grouping::Optimal => "_sr_opt.pha".to_string(),
        }
    }
}

/// What to extract.
#[derive(Debug, Clone)]
pub struct GetspecRequest {
    /// Cleaned event list (EVENTS with X, Y, PI, DET_ID and the X/Y column WCS).
    pub evt: PathBuf,
    /// ds9 region file (sky or image coordinates of the event file's sky grid).
    pub reg: PathBuf,
    /// Output directory (must exist).
    pub outdir: PathBuf,
    /// Output prefix; None = the region file's stem (`src.reg` → `src`).
    pub outprefix: Option<String>,
    pub group: Grouping,
    /// Detector RMFs: CALDB GRPRMF or one file.
    pub rmf: RmfSource,
    /// Replace existing outputs.
    pub clobber: bool,
}

/// What getspec made.
#[derive(Debug, Clone)]
pub struct GetspecSummary {
    pub pha: PathBuf,
    pub grouped: PathBuf,
    pub rmf: PathBuf,
    /// Events in the region with PI 0..4095.
    pub events: u64,
    /// Of them, per DET_ID 0..3.
    pub per_det: [u64; 4],
    /// Region events dropped for PI outside 0..4095 or DET_ID outside 0..3.
    pub dropped: u64,
    /// Sky pixels in the region mask, and BACKSCAL = pixels / grid pixels.
    pub npix: u64,
    pub backscal: f64,
    pub exposure: f64,
    /// RMF weights n_d / Σ n and the files they multiply.
    pub weights: [f64; 4],
    pub rmf_files: [PathBuf; 4],
    /// Groups in the grouped copy.
    pub groups: usize,
}

/// Sky grid of an event file from its X/Y column WCS: (TLMAX − TLMIN + 1)² pixels, array
/// index = round(X) − TLMIN (= round(X) − 1 for NuSTAR's TLMIN = 1), the same grid mkimgs
/// writes.
pub fn event_grid(w: &ColumnWcs, evt: &Path) -> Result<Grid> {
    let (nx, ny) = (w.pixels(0), w.pixels(1));
    if !(1..=10000).contains(&nx) || !(1..=10000).contains(&ny) {
        return Err(TaskError::SkyGrid {
            path: evt.into(),
            nx,
            ny,
        }
        .into());
    }
    let proj = w.ctype[0].get(4..).unwrap_or("").trim().to_string();
    Ok(Grid {
        nx: nx as usize,
        ny: ny as usize,
        wcs: Wcs {
            crval: w.crval,
            crpix: [
                w.crpix[0] - (w.tlmin[0] as f64 - 1.0),
                w.crpix[1] - (w.tlmin[1] as f64 - 1.0),
            ],
            cdelt: w.cdelt,
            rot: 0.0,
            proj,
        },
        cards: Vec::new(),
    })
}

/// Observation keywords copied from EVENTS into both headers of the spectra, when present.
const COPIED: &[&str] = &[
    "OBS_ID", "TARG_ID", "OBJECT", "RA_OBJ", "DEC_OBJ", "RA_NOM", "DEC_NOM", "RA_PNT", "DEC_PNT",
    "PA_PNT", "EQUINOX", "RADECSYS", "RADESYS", "DATE-OBS", "DATE-END", "TSTART", "TSTOP",
    "MJDREFI", "MJDREFF", "TIMESYS", "ONTIME", "DEADC", "DEPTHCUT", "OBSMODE",
];

/// A header card's value: Ok(string) for quoted values, Err(number) for numeric ones;
/// None for logical or missing values.
pub(crate) fn card_value(cards: &[String], key: &str) -> Option<std::result::Result<String, f64>> {
    let c = cards
        .iter()
        .find(|c| c.get(..8).map(str::trim) == Some(key))?;
    let v = c.get(10..)?.trim_start();
    if let Some(rest) = v.strip_prefix('\'') {
        let mut s = String::new();
        let mut it = rest.chars().peekable();
        while let Some(ch) = it.next() {
            if ch == '\'' {
                if it.peek() == Some(&'\'') {
                    it.next();
                    s.push('\'');
                    continue;
                }
                break;
            }
            s.push(ch);
        }
        return Some(Ok(s.trim_end().to_string()));
    }
    let num = v.split('/').next()?.trim();
    num.parse::<f64>().ok().map(Err)
}

/// The three outputs: `<prefix>_sr.pha`, the grouped copy and `<prefix>_sr.rmf` in the
/// output directory, the prefix defaulting to the region file's stem.
fn outputs(req: &GetspecRequest) -> Result<[Output; 3]> {
    let prefix = match &req.outprefix {
        Some(p) if !p.is_empty() => p.clone(),
        _ => req
            .reg
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| TaskError::NoOutputPrefix {
                path: req.reg.clone(),
            })?,
    };
    let out = |suffix: &str| Output {
        path: req.outdir.join(format!("{prefix}{suffix}")),
        clobber: req.clobber,
    };
    Ok([out("_sr.pha"), out(&req.group.suffix()), out("_sr.rmf")])
}

/// EXPOSURE (s, > 0), LIVETIME (s) and DATE-OBS of the event file (DATE-OBS selects the
/// CALDB RMFs; with rmffile= it may be absent, then empty).
fn event_keys(req: &GetspecRequest, ev: &mut EventFile) -> Result<(f64, Option<f64>, String)> {
    let exposure = ev
        .key_f64("EXPOSURE")?
        .ok_or_else(|| TaskError::NoEventKeyword {
            path: req.evt.clone(),
            key: "EXPOSURE".into(),
            why: String::new(),
        })?;
    if !(exposure > 0.0) {
        return Err(TaskError::BadExposure {
            path: req.evt.clone(),
            exposure,
        }
        .into());
    }
    let livetime = ev.key_f64("LIVETIME")?;
    let date_obs = match (card_value(&ev.cards, "DATE-OBS"), &req.rmf) {
        (Some(Ok(d)), _) => d,
        (_, RmfSource::File(_)) => String::new(),
        _ => {
            return Err(TaskError::NoEventKeyword {
                path: req.evt.clone(),
                key: "DATE-OBS".into(),
                why: " (needed to select CALDB RMFs)".into(),
            }
            .into())
        }
    };
    Ok((exposure, livetime, date_obs))
}

/// The events of a region: PI spectrum, events per DET_ID and those dropped.
struct RegionEvents {
    /// Counts per PI channel 0..4095.
    counts: Vec<f64>,
    /// Events per DET_ID 0..3.
    per_det: [u64; 4],
    /// Region events with PI or DET_ID out of range.
    dropped: u64,
    /// Sky pixels in the region mask.
    npix: u64,
    /// BACKSCAL: region pixels over grid pixels.
    backscal: f64,
}

/// Bin the events inside the region mask (on the event file's own sky grid).
fn region_events(req: &GetspecRequest, ev: &mut EventFile) -> Result<RegionEvents> {
    let w = ev.sky_wcs()?;
    let grid = event_grid(&w, &req.evt)?;
    let region = grid.region(&req.reg)?;
    let m = mask(&grid, &region)?;
    let x = ev.column_f64("X")?;
    let y = ev.column_f64("Y")?;
    let pi = ev.column_i64("PI")?;
    let det = ev.column_i64("DET_ID")?;
    let mut counts = vec![0.0; NCHAN];
    let (mut per_det, mut dropped) = ([0u64; 4], 0u64);
    for i in 0..x.len() {
        if !(x[i].is_finite() && y[i].is_finite()) {
            continue;
        }
        let ix = w.index(0, x[i].round() as i64);
        let iy = w.index(1, y[i].round() as i64);
        if ix < 0 || iy < 0 || ix >= grid.nx as i128 || iy >= grid.ny as i128 {
            continue;
        }
        if m.get(ix as usize, iy as usize) == 0.0 {
            continue;
        }
        if !(0..NCHAN as i64).contains(&pi[i]) || !(0..4).contains(&det[i]) {
            dropped += 1;
            continue;
        }
        counts[pi[i] as usize] += 1.0;
        per_det[det[i] as usize] += 1;
    }
    let npix = m.sum() as u64;
    Ok(RegionEvents {
        counts,
        per_det,
        dropped,
        npix,
        backscal: npix as f64 / (grid.nx * grid.ny) as f64,
    })
}

/// The event-weighted mean of the detector RMFs (`weights` per DET0..3), its path set to
/// `out`; also the detector files.
fn mean_rmf(
    req: &GetspecRequest,
    module: crate::nustar::module::Module,
    date_obs: &str,
    per_det: [u64; 4],
    weights: [f64; 4],
    out: &Path,
) -> Result<(Rmf, [PathBuf; 4])> {
    let rmf_files = detector_rmf_paths(&req.rmf, module, date_obs)?;
    let rmfs = read_detector_rmfs(&rmf_files, per_det.map(|n| n > 0))?;
    let (used, wv): (Vec<&Rmf>, Vec<f64>) = (0..4)
        .filter_map(|d| rmfs[d].as_deref().map(|r| (r, weights[d])))
        .unzip();
    let mut rmf = weighted_sum(&used, &wv)?;
    rmf.path = out.to_path_buf();
    if rmf.nchan != NCHAN {
        return Err(TaskError::RmfChannels {
            path: used[0].path.clone(),
            nchan: rmf.nchan,
            expected: NCHAN,
        }
        .into());
    }
    Ok((rmf, rmf_files))
}

/// The ungrouped spectrum: counts, exposure, BACKSCAL, RESPFILE and the observation keys.
fn spectrum_out(
    req: &GetspecRequest,
    ev: &EventFile,
    r: &RegionEvents,
    (exposure, livetime): (f64, Option<f64>),
    rmf_out: &Output,
) -> PhaOut {
    let mut pha = PhaOut::new(ev.module.instrume(), r.counts.clone(), exposure);
    pha.livetime = livetime;
    pha.backscal = r.backscal;
    pha.respfile = rmf_out
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    pha.quality = Some(vec![0; NCHAN]);
    pha.grouping = Some(vec![1; NCHAN]);
    for k in COPIED {
        match card_value(&ev.cards, k) {
            Some(Ok(s)) => pha.keys.push((k.to_string(), s)),
            Some(Err(v)) => pha.num_keys.push((k.to_string(), v)),
            None => {}
        }
    }
    let (events, per_det) = (r.per_det.iter().sum::<u64>(), r.per_det);
    pha.history = vec![
        format!("nuskybgd getspec: events {}", req.evt.display()),
        format!("region {} ({} sky pixels)", req.reg.display(), r.npix),
        format!(
            "{events} events; DET0-3: {} {} {} {}",
            per_det[0], per_det[1], per_det[2], per_det[3]
        ),
    ];
    pha
}

/// The grouped copy of `pha` (group min N, or optimal with `rmf`'s resolution) and its
/// number of groups.
fn grouped(group: Grouping, pha: &PhaOut, rmf: &Rmf) -> Result<(PhaOut, usize)> {
    let counts = &pha.counts;
    let (grouping, quality) = match group {
        Grouping::Min(n) => group_min(counts, &vec![0; NCHAN], n as f64),
        Grouping::Optimal => (
            group_optimal(counts, &fwhm_per_channel(rmf)?)?,
            vec![0; NCHAN],
        ),
    };
    let groups = grouping.iter().filter(|g| **g == 1).count();
    let mut grp = pha.clone();
    grp.grouping = Some(grouping);
    grp.quality = Some(quality);
    grp.history.push(match group {
        Grouping::Min(n) => format!("grouped as grppha 'group min {n}': {groups} groups"),
        Grouping::Optimal => format!("optimal binning (Kaastra & Bleeker 2016): {groups} groups"),
    });
    Ok((grp, groups))
}

/// HISTORY of the RMF: the region and each detector's weight and file.
fn rmf_history(req: &GetspecRequest, weights: [f64; 4], rmf_files: &[PathBuf; 4]) -> Vec<String> {
    let mut rmf_hist: Vec<String> = vec![format!(
        "nuskybgd getspec: event-weighted mean of detector RMFs for {}",
        req.reg.display()
    )];
    for d in 0..4 {
        rmf_hist.push(format!(
            "DET{d} weight {:.6} {}",
            weights[d],
            rmf_files[d].display()
        ));
    }
    rmf_hist
}

/// Refuse an output that is one of the request's input files (clobber=yes or not).
fn check_inputs(req: &GetspecRequest, outs: &[Output]) -> Result<()> {
    let mut inputs = vec![req.evt.as_path(), req.reg.as_path()];
    if let RmfSource::File(p) = &req.rmf {
        inputs.push(p);
    }
    crate::io::output::check_not_inputs(outs, &inputs)
}

/// Extract the spectrum, its grouped copy and the RMF of a region (see the module doc).
/// All outputs are checked before anything is written; a region without events is an error
/// (the area-weighted RMF fallback is not implemented).
pub fn getspec(req: &GetspecRequest) -> Result<GetspecSummary> {
    let [pha_out, grp_out, rmf_out] = outputs(req)?;
    check_all(&[pha_out.clone(), grp_out.clone(), rmf_out.clone()])?;
    check_inputs(req, &[pha_out.clone(), grp_out.clone(), rmf_out.clone()])?;
    let mut ev = EventFile::open(&req.evt)?;
    let (exposure, livetime, date_obs) = event_keys(req, &mut ev)?;
    let r = region_events(req, &mut ev)?;
    let events: u64 = r.per_det.iter().sum();
    if events == 0 {
        return Err(TaskError::NoRegionEvents {
            path: req.reg.clone(),
            evt: req.evt.clone(),
        }
        .into());
    }
    let weights = r.per_det.map(|n| n as f64 / events as f64);
    let (rmf, rmf_files) = mean_rmf(req, ev.module, &date_obs, r.per_det, weights, &rmf_out.path)?;
    let pha = spectrum_out(req, &ev, &r, (exposure, livetime), &rmf_out);
    let (grp, groups) = grouped(req.group, &pha, &rmf)?;
    write_rmf_shared(
        &rmf_out,
        &rmf,
        ev.module.instrume(),
        &rmf_history(req, weights, &rmf_files),
    )?;
    write_pha(&pha_out, &pha)?;
    write_pha(&grp_out, &grp)?;
    Ok(GetspecSummary {
        pha: pha_out.path,
        grouped: grp_out.path,
        rmf: rmf_out.path,
        events,
        per_det: r.per_det,
        dropped: r.dropped,
        npix: r.npix,
        backscal: r.backscal,
        exposure,
        weights,
        rmf_files,
        groups,
    })
}
