//! The `fit` task: from bgdinfo.json to the background model's save file (and, unless
//! fit=no, a native fit of it with the fitted save file and a table of results).

use crate::bgmodel::arf::{arf_names, write_arf, ArfInputs};
use crate::bgmodel::bands::{band_counts, ignored_ranges};
use crate::bgmodel::bgdinfo::BgdInfo;
use crate::bgmodel::geometry::RegionWeights;
use crate::bgmodel::model_build::{build_xcm, BuildOptions};
use crate::bgmodel::setup::{BackgroundSetup, RegionSpectrum};
use crate::error::{Result, TaskError};
use crate::io::output::{check_all, Output};
use crate::nustar::caldb::{date_obs, Caldb};
use crate::nustar::module::Module;
use crate::spectral::fit::{fit, FitOptions, FitResult};
use crate::spectral::run::{fit_notes, fitted_xcm, table, TableErrors};
use crate::spectral::session::Session;
use crate::spectral::stat::Statistic;
use crate::spectral::xcm::file::XcmFile;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Inputs of the fit task.
pub struct FitRequest {
    pub bgdinfo: PathBuf,
    /// Save file for the model (`bgdparams.xcm` by default; `.xcm` added when missing).
    pub savefile: Output,
    /// Fit natively after writing the model.
    pub fit: bool,
    /// Statistic for the native fit ("chi" or "cstat").
    pub statistic: Statistic,
    pub solar_off: bool,
    /// Write the fitted files even when the fit did not converge.
    pub force: bool,
    /// Start the intn norms at nuskybgd-py's (1.8× too large) value.
    pub intn_port_scale: bool,
    pub caldb: Caldb,
    pub auxil: PathBuf,
}

/// How the native fit ended, for printing.
#[derive(Debug, Clone)]
pub struct FitOutcome {
    pub statistic: f64,
    pub dof: usize,
    /// One line: converged or not, by which test, iterations.
    pub summary: String,
    /// The `#` notes written into the fitted files (outcome, parameters at a limit).
    pub notes: Vec<String>,
    /// Parameter table with 1σ errors.
    pub table: String,
}

/// What the task did.
#[derive(Debug)]
pub struct FitSummary {
    /// The apec was switched off because no AtomDB was found.
    pub apec_off: bool,
    pub written: Vec<PathBuf>,
    pub weights: Vec<RegionWeights>,
    /// The native fit's outcome: statistic, dof, how it ended, parameter table.
    pub fit: Option<FitOutcome>,
    /// The fitted session and the fit (free parameters, covariance), for callers that
    /// need the numbers rather than the table.
    pub fitted: Option<(Session, crate::spectral::fit::FitResult)>,
}

/// One apbgd ARF to write: the output, the module, the transmission curve and HISTORY.
struct ArfOut {
    out: Output,
    module: Module,
    curve: Vec<f64>,
    history: Vec<String>,
}

/// The model of the background spectra and the files it names, not yet written.
struct FitModel {
    /// The save-file text.
    text: String,
    /// The ARFs the model names (with and without the detector absorption).
    arfs: Vec<ArfOut>,
    /// The CALDB inputs of each module's ARFs.
    arf_inputs: BTreeMap<&'static str, ArfInputs>,
    /// The apec was switched off (no AtomDB).
    apec_off: bool,
}

/// Run the task.
pub fn fit_task(req: &FitRequest) -> Result<FitSummary> {
    req.savefile.check()?;
    let setup = BackgroundSetup::load(&req.bgdinfo, &req.auxil)?;
    let model = make_model(req, &setup)?;
    let mut outputs = write_model(req, &model)?;
    let (fitted, state) = if req.fit {
        let (f, st, mut written) = fit_and_write(req, &model.text)?;
        outputs.append(&mut written);
        (Some(f), Some(st))
    } else {
        (None, None)
    };
    Ok(FitSummary {
        apec_off: model.apec_off,
        written: outputs,
        weights: setup.spectra.iter().map(|s| s.weights.clone()).collect(),
        fit: fitted,
        fitted: state,
    })
}

/// The ignored channel ranges of background spectrum `s` (`k` 0-based) as `k+1:ranges`
/// (None when none), after checking its RMF against it and that it has counts in the band.
fn band_ignore(k: usize, s: &RegionSpectrum) -> Result<Option<String>> {
    let (pha, sp) = (&s.pha, &s.spectrum);
    let rmf_path = s.rmf_path()?;
    let rmf = crate::spectral::ogip::store::read_rmf(&rmf_path)?;
    if rmf.nchan != sp.len() {
        return Err(TaskError::RmfSpectrumChannels {
            path: rmf_path.clone(),
            nchan: rmf.nchan,
            pha: pha.into(),
            channels: sp.len(),
        }
        .into());
    }
    if !(band_counts(sp, &rmf) > 0.0) {
        return Err(TaskError::NoFitCounts { path: pha.into() }.into());
    }
    let r = ignored_ranges(sp, &rmf);
    Ok((!r.is_empty()).then(|| format!("{}:{r}", k + 1)))
}

/// The two apbgd ARFs of background spectrum `s` (with and without the detector
/// absorption), loading the module's CALDB inputs on first use.
fn make_arfs(
    req: &FitRequest,
    s: &RegionSpectrum,
    arf_inputs: &mut BTreeMap<&'static str, ArfInputs>,
) -> Result<[ArfOut; 2]> {
    let (pha, m, w) = (&s.pha, s.module, &s.weights);
    let key = m.letter();
    if !arf_inputs.contains_key(key) {
        arf_inputs.insert(
            key,
            ArfInputs::load(&req.caldb, &req.auxil, m, &date_obs(pha)?)?,
        );
    }
    let (nsb, nodet) = arf_names(pha);
    let (with, without) = arf_inputs[key].curves(w.fractions());
    let history = vec![format!(
        "nuskybgd fit: apbgd ARF of {} with detector fractions {:?}",
        pha.display(),
        w.fractions()
    )];
    Ok([
        ArfOut {
            out: req.savefile.sibling(nsb),
            module: m,
            curve: with,
            history: history.clone(),
        },
        ArfOut {
            out: req.savefile.sibling(nodet),
            module: m,
            curve: without,
            history,
        },
    ])
}

/// The build options: bgdinfo's choices, the request's, the auxiliary files and `ignore`.
fn build_options(req: &FitRequest, info: &BgdInfo, ignore: &[String]) -> BuildOptions {
    BuildOptions {
        fix_line_ratios: info.fix_line_ratios,
        fcxb_links: info.fcxb_links.clone(),
        solar_off: req.solar_off,
        apec_off: crate::spectral::models::apec::find_atomdb().is_none(),
        diag_rmf: req.auxil.join("diag.rmf").display().to_string(),
        fcxb_arf_a: req.auxil.join("fcxbA.arf").display().to_string(),
        fcxb_arf_b: req.auxil.join("fcxbB.arf").display().to_string(),
        ignore: (!ignore.is_empty()).then(|| ignore.join(" ")),
        intn_port_scale: req.intn_port_scale,
    }
}

/// The model save file and its ARFs, computed in memory.
fn make_model(req: &FitRequest, setup: &BackgroundSetup) -> Result<FitModel> {
    let mut arf_inputs = BTreeMap::new();
    let mut ignore = Vec::new();
    let mut arfs = Vec::new();
    for (k, s) in setup.spectra.iter().enumerate() {
        ignore.extend(band_ignore(k, s)?);
        arfs.extend(make_arfs(req, s, &mut arf_inputs)?);
    }
    let opt = build_options(req, &setup.info, &ignore);
    let text = build_xcm(&setup.presets, &setup.geoms()?, &opt)?;
    Ok(FitModel {
        text,
        arfs,
        arf_inputs,
        apec_off: opt.apec_off,
    })
}

/// True when the ARF at `a`'s output already holds exactly the curve it would be written
/// with (energies and areas as the file's float32 columns store them): regenerating it is
/// not a conflict, whatever the save file's name.
fn arf_unchanged(a: &ArfOut, inputs: &ArfInputs) -> bool {
    if a.out.clobber || !a.out.path.is_file() {
        return false;
    }
    let Ok(old) = crate::spectral::ogip::arf::Arf::read(&a.out.path) else {
        return false;
    };
    let same = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| *p as f32 == *q as f32)
    };
    same(&old.area, &a.curve)
        && same(&old.energy_lo, &inputs.energy_lo)
        && same(&old.energy_hi, &inputs.energy_hi)
}

/// Write the ARFs and the save file, refusing first if any of them exists (an ARF that
/// exists with the same contents is kept as it is); returns them.
fn write_model(req: &FitRequest, model: &FitModel) -> Result<Vec<PathBuf>> {
    let unchanged: Vec<bool> = model
        .arfs
        .iter()
        .map(|a| arf_unchanged(a, &model.arf_inputs[a.module.letter()]))
        .collect();
    let mut all: Vec<Output> = model
        .arfs
        .iter()
        .zip(&unchanged)
        .filter(|(_, u)| !**u)
        .map(|(a, _)| a.out.clone())
        .collect();
    all.push(req.savefile.clone());
    check_all(&all)?;
    let mut outputs = Vec::new();
    for (a, keep) in model.arfs.iter().zip(unchanged) {
        let inputs = &model.arf_inputs[a.module.letter()];
        if !keep {
            write_arf(&a.out, inputs, &a.curve, a.module, &a.history)?;
        }
        outputs.push(a.out.path.clone());
    }
    req.savefile.write_text(&model.text)?;
    outputs.push(req.savefile.path.clone());
    Ok(outputs)
}

/// Fit the model save file `text` natively and write `<save>_fit.xcm` and `<save>_fit.txt`.
fn fit_and_write(
    req: &FitRequest,
    text: &str,
) -> Result<(FitOutcome, (Session, FitResult), Vec<PathBuf>)> {
    let x = XcmFile::parse(&req.savefile.path, text)?;
    let mut sess = Session::from_xcm(&x, &req.savefile.path, Path::new("."), true)?;
    sess.statistic = req.statistic;
    let opts = FitOptions::from_xcm(&x);
    let r = fit(&mut sess, &opts)?;
    if !r.converged && !req.force {
        return Err(TaskError::NotConverged {
            path: req.savefile.path.clone(),
            summary: r.summary(&opts),
        }
        .into());
    }
    let stem = req.savefile.path.with_extension("");
    let out_xcm = req.savefile.sibling(format!("{}_fit.xcm", stem.display()));
    let out_txt = req.savefile.sibling(format!("{}_fit.txt", stem.display()));
    let notes = fit_notes(&sess, &r, &opts);
    let dof = sess.n_bins().saturating_sub(r.free.len());
    let tab = format!(
        "# errors of free parameters: 1 sigma from the covariance matrix (xcm-fit errors=yes gives 90% intervals)\n{}",
        table(&sess, TableErrors::Sigma(&r))
    );
    out_xcm.write_text(&fitted_xcm(&sess, &notes).to_text())?;
    out_txt.write_text(&format!(
        "{}\n{tab}statistic: {} {:.6} dof {dof}\n",
        notes.join("\n"),
        req.statistic,
        r.statistic
    ))?;
    let outcome = FitOutcome {
        statistic: r.statistic,
        dof,
        summary: r.summary(&opts),
        notes,
        table: tab,
    };
    Ok((outcome, (sess, r), vec![out_xcm.path, out_txt.path]))
}
