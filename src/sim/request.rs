//! What a simulation is asked for, and the checks made before anything is written: the
//! request and its defaults, the output folder, the calibration (real or the built-in
//! synthetic instrument) and its completeness.

use super::{instrument, observation};
use crate::error::{Result, SimError};
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use std::path::{Path, PathBuf};

/// Observation ID of a simulation unless asked otherwise.
pub const DEFAULT_OBSID: &str = "60001001002";

/// Which detector responses the synthetic CALDB carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Responses {
    /// One small Gaussian RMF per module shared by its detectors (rows normalised to 1,
    /// stored over ±5σ): fast, and the recovery of a fit is exact in expectation.
    #[default]
    Small,
    /// Full-size RMFs, one per detector, with the structure and size of NuSTAR's CALDB ones
    /// (4096 × 4096, ~7 M non-zeros, tails, efficiency; see `sim::fullrmf`).
    Full,
}

impl Responses {
    /// Parse `small` or `full`.
    pub fn parse(s: &str) -> Option<Responses> {
        match s.trim().to_ascii_lowercase().as_str() {
            "small" => Some(Responses::Small),
            "full" => Some(Responses::Full),
            _ => None,
        }
    }

    /// `small` or `full`.
    pub fn name(self) -> &'static str {
        match self {
            Responses::Small => "small",
            Responses::Full => "full",
        }
    }
}

/// Expected events per module of a simulation with full-size responses unless `counts`
/// says otherwise.
pub const DEFAULT_FULL_COUNTS: f64 = 3.0e5;

/// The most expected events per module `counts` may ask for.
pub const MAX_COUNTS: f64 = 1.0e7;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimRequest {
    /// Output directory (created; must be empty or absent unless `clobber`).
    pub outdir: PathBuf,
    pub seed: u64,
    /// Good time (s) of each module.
    pub exposure: f64,
    /// Scales of the truth relative to the nominal presets.
    pub apscale: f64,
    pub fcxbscale: f64,
    pub intscale: f64,
    pub intnscale: f64,
    /// Replace files in a non-empty `outdir`.
    pub clobber: bool,
    /// Real auxiliary directory; None writes the synthetic one into `outdir/auxil`.
    pub auxil: Option<PathBuf>,
    /// Real CALDB root (with INSTRMAP, DETABS, GRPRMF for both modules); None writes the
    /// synthetic one into `outdir/caldb`.
    pub caldb: Option<PathBuf>,
    /// Keep the geometry products (aspect histograms, instrument maps, projected images,
    /// ~90 MB) in `outdir/truth/geometry`; otherwise they are deleted.
    pub keep_geometry: bool,
    /// Observation ID written into every header and file name (11 digits).
    pub obsid: String,
    /// Lay the observation out as the archive does: event, DET1, GTI and bad-pixel files
    /// and the regions in `outdir/<obsid>/event_cl` (else all in `outdir`).
    pub archive_layout: bool,
    /// Detector responses of the synthetic CALDB (ignored with a real `caldb`).
    pub responses: Responses,
    /// Expected events per module: every density is scaled by one factor (recorded in the
    /// truth) so that the model's expected total is this. None: the nominal densities
    /// (about one event per second of exposure per module at unit scales) with the small
    /// responses, [`DEFAULT_FULL_COUNTS`] with the full ones.
    pub counts: Option<f64>,
}

impl SimRequest {
    /// Defaults (seed 1, 50 ks, apscale 1.1, fcxbscale 0.8, intscale 1.2, intnscale 0.9) with
    /// the built-in synthetic instrument, whatever the environment says.
    pub fn new(outdir: impl Into<PathBuf>) -> SimRequest {
        SimRequest {
            outdir: outdir.into(),
            seed: 1,
            exposure: 50000.0,
            apscale: 1.1,
            fcxbscale: 0.8,
            intscale: 1.2,
            intnscale: 0.9,
            clobber: false,
            auxil: None,
            caldb: None,
            keep_geometry: false,
            obsid: DEFAULT_OBSID.to_string(),
            archive_layout: false,
            responses: Responses::Small,
            counts: None,
        }
    }

    /// The expected events per module asked for, if any (see `counts`).
    pub fn target_counts(&self) -> Option<f64> {
        match (self.counts, self.responses) {
            (Some(c), _) => Some(c),
            (None, Responses::Full) => Some(DEFAULT_FULL_COUNTS),
            (None, Responses::Small) => None,
        }
    }

    /// Defaults with calibration from the environment, as the command does: `NUSKYBGD_AUXIL`
    /// when set, `$CALDB` when it has INSTRMAP, DETABS and GRPRMF for both modules. Returns
    /// notes saying what was not used and why.
    pub fn from_env(outdir: impl Into<PathBuf>) -> (SimRequest, Vec<String>) {
        let mut r = SimRequest::new(outdir);
        let mut notes = Vec::new();
        if let Some(a) = std::env::var_os(crate::nustar::auxil::AUXIL_ENV) {
            r.auxil = Some(PathBuf::from(a));
        }
        if let Some(c) = std::env::var_os("CALDB") {
            let root = PathBuf::from(c);
            match caldb_complete(&root) {
                Ok(()) => r.caldb = Some(root),
                Err(e) => notes.push(format!(
                    "$CALDB not used ({e}); writing the synthetic CALDB"
                )),
            }
        }
        (r, notes)
    }
}

/// Check that a CALDB has what a simulation reads for both modules.
pub fn caldb_complete(root: &Path) -> Result<()> {
    let c = Caldb {
        root: root.to_path_buf(),
    };
    let date = observation::met_to_iso(4.0e8);
    for m in Module::ALL.map(Module::instrume) {
        c.lookup("INSTRMAP", m, None, &date)?;
        for d in 0..4 {
            let det = format!("DET{d}");
            c.lookup("DETABS", m, Some(&det), &date)?;
            c.lookup("GRPRMF", m, Some(&det), &date)?;
        }
    }
    Ok(())
}

pub(super) fn check_scale(name: &str, v: f64) -> Result<()> {
    if !(v.is_finite() && v >= 0.0) {
        return Err(SimError::BadScale {
            name: name.to_string(),
            value: v,
        }
        .into());
    }
    Ok(())
}

pub(super) fn outdir_ready(req: &SimRequest) -> Result<()> {
    let d = &req.outdir;
    if d.exists() {
        if !d.is_dir() {
            return Err(SimError::NotADirectory { path: d.clone() }.into());
        }
        let busy = std::fs::read_dir(d)
            .map_err(|e| SimError::Fs {
                path: d.clone(),
                source: e,
            })?
            .next()
            .is_some();
        if busy && !req.clobber {
            return Err(SimError::OutputNotEmpty { path: d.clone() }.into());
        }
    }
    for sub in [d.clone(), d.join("truth")] {
        std::fs::create_dir_all(&sub).map_err(|e| SimError::Fs {
            path: sub.clone(),
            source: e,
        })?;
    }
    Ok(())
}

/// Where a simulation's calibration comes from, and whether it is the synthetic one.
pub(super) struct Calibration {
    pub(super) auxil: PathBuf,
    pub(super) auxil_synthetic: bool,
    pub(super) caldb: Caldb,
    pub(super) caldb_synthetic: bool,
}

impl Calibration {
    /// The note saying which parts are the built-in synthetic instrument, if any.
    pub(super) fn note(&self) -> Option<String> {
        if !(self.auxil_synthetic || self.caldb_synthetic) {
            return None;
        }
        Some(format!(
            "{} ({}{}{})",
            instrument::SYNTHETIC_LABEL,
            if self.auxil_synthetic { "auxil" } else { "" },
            if self.auxil_synthetic && self.caldb_synthetic {
                " and "
            } else {
                ""
            },
            if self.caldb_synthetic { "CALDB" } else { "" }
        ))
    }

    /// The HISTORY line of the event files naming the calibration.
    pub(super) fn history(&self) -> String {
        format!(
            "calibration: auxil {}, CALDB {}",
            if self.auxil_synthetic {
                "synthetic (auxil/ beside this file)".to_string()
            } else {
                self.auxil.display().to_string()
            },
            if self.caldb_synthetic {
                "synthetic (caldb/ beside this file)".to_string()
            } else {
                self.caldb.root.display().to_string()
            }
        )
    }
}

/// The most exposure (s) times the largest scale a simulation draws: the expected events per
/// module (about one per second at unit scales) and the good time intervals grow with it.
pub const MAX_SCALED_EXPOSURE: f64 = 1e7;

/// Refuse an exposure under 100 s, a negative or non-finite scale, an expected event count
/// past [`MAX_SCALED_EXPOSURE`], `counts` outside 1 to [`MAX_COUNTS`], an auxil directory without ratios.json or a CALDB missing
/// what a simulation reads.
pub(super) fn check_request(req: &SimRequest) -> Result<()> {
    if !(req.exposure.is_finite() && req.exposure >= 100.0) {
        return Err(SimError::ShortExposure {
            exposure: req.exposure,
        }
        .into());
    }
    for (n, v) in [
        ("apscale", req.apscale),
        ("fcxbscale", req.fcxbscale),
        ("intscale", req.intscale),
        ("intnscale", req.intnscale),
    ] {
        check_scale(n, v)?;
    }
    let scale = [req.apscale, req.fcxbscale, req.intscale, req.intnscale]
        .into_iter()
        .fold(1.0, f64::max);
    if req.exposure * scale > MAX_SCALED_EXPOSURE {
        return Err(SimError::TooManyEvents {
            exposure: req.exposure,
            scale,
            limit: MAX_SCALED_EXPOSURE,
        }
        .into());
    }
    if let Some(c) = req.counts {
        if !(c.is_finite() && (1.0..=MAX_COUNTS).contains(&c)) {
            return Err(SimError::BadCounts {
                counts: c,
                limit: MAX_COUNTS,
            }
            .into());
        }
    }
    if req.obsid.is_empty()
        || req.obsid.len() > 20
        || !req.obsid.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(SimError::BadObsid {
            obsid: req.obsid.clone(),
        }
        .into());
    }
    if let Some(a) = &req.auxil {
        if !a.join("ratios.json").is_file() {
            return Err(SimError::NoRatios { path: a.clone() }.into());
        }
    }
    if let Some(c) = &req.caldb {
        caldb_complete(c)?;
    }
    Ok(())
}

/// The calibration of `req`: its real auxil and CALDB when given, else the synthetic ones
/// written into `outdir/auxil` and `outdir/caldb` (their files added to `written`).
pub(super) fn calibration(
    req: &SimRequest,
    outdir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<Calibration> {
    let (auxil, auxil_synthetic) = match &req.auxil {
        Some(a) => (a.clone(), false),
        None => {
            let a = outdir.join("auxil");
            written.extend(instrument::write_auxil(&a)?);
            (a, true)
        }
    };
    let (root, caldb_synthetic) = match &req.caldb {
        Some(c) => (c.clone(), false),
        None => {
            let c = outdir.join("caldb");
            written.extend(instrument::write_caldb(&c, &auxil, req.responses)?);
            (c, true)
        }
    };
    Ok(Calibration {
        auxil,
        auxil_synthetic,
        caldb: Caldb { root },
        caldb_synthetic,
    })
}
