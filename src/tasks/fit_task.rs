//! The `fit` task: from bgdinfo.json to the background model's save file (and, unless
//! fit=no, a native fit of it with the fitted save file and a table of results).

use crate::bgmodel::arf::{arf_names, write_arf, ArfInputs};
use crate::bgmodel::bands::{band_counts, ignored_ranges};
use crate::bgmodel::bgdinfo::BgdInfo;
use crate::bgmodel::geometry::{region_weights, spectrum_module, ModuleMaps, RegionWeights};
use crate::bgmodel::model_build::{build_xcm, BuildOptions, SpectrumGeom};
use crate::bgmodel::presets::Presets;
use crate::error::{Error, Result};
use crate::io::output::{check_all, Output};
use crate::nustar::caldb::{date_obs, Caldb};
use crate::sky::regmask::Grid;
use crate::spectral::fit::{fit, FitOptions, FitResult};
use crate::spectral::pha::Spectrum;
use crate::spectral::response::Rmf;
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

/// Run the task.
pub fn fit_task(req: &FitRequest) -> Result<FitSummary> {
    req.savefile.check()?;
    let info = BgdInfo::read(&req.bgdinfo)?;
    let presets = Presets::read(&req.auxil.join("ratios.json"))?;
    let grid = Grid::read(&info.refimg)?;
    let mut maps: BTreeMap<&'static str, ModuleMaps> = BTreeMap::new();
    let mut arf_inputs: BTreeMap<&'static str, ArfInputs> = BTreeMap::new();
    let mut geoms = Vec::new();
    let mut weights = Vec::new();
    let mut ignore = Vec::new();
    let mut outputs = Vec::new();
    let mut arfs = Vec::new();
    for (k, (pha, reg)) in info.bgfiles.iter().zip(&info.regfiles).enumerate() {
        let sp = Spectrum::read_at(pha, None)?;
        let m = spectrum_module(pha, &sp.instrume)?;
        let key = m.letter();
        if !maps.contains_key(key) {
            maps.insert(key, ModuleMaps::read(info.images(&req.bgdinfo, m)?, &grid)?);
        }
        let w = region_weights(&grid, reg, m, &maps[key])?;
        let resp = sp
            .respfile
            .clone()
            .ok_or_else(|| Error::file(pha, "RESPFILE is not set: the spectrum's RMF is needed"))?;
        let rmf_path = pha
            .parent()
            .map(|d| d.join(&resp))
            .unwrap_or_else(|| PathBuf::from(&resp));
        let rmf = Rmf::read(&rmf_path)?;
        if rmf.nchan != sp.len() {
            return Err(Error::file(
                &rmf_path,
                format!(
                    "RMF has {} channels, {} has {}",
                    rmf.nchan,
                    pha.display(),
                    sp.len()
                ),
            ));
        }
        if !(band_counts(&sp, &rmf) > 0.0) {
            return Err(Error::file(
                pha,
                "no counts in 3-150 keV, the band the background is fitted in (is the region on the detectors, the spectrum from the right event file?)",
            ));
        }
        let r = ignored_ranges(&sp, &rmf);
        if !r.is_empty() {
            ignore.push(format!("{}:{r}", k + 1));
        }
        if !arf_inputs.contains_key(key) {
            arf_inputs.insert(
                key,
                ArfInputs::load(&req.caldb, &req.auxil, m, &date_obs(pha)?)?,
            );
        }
        let (nsb, nodet) = arf_names(pha);
        let (with, without) = arf_inputs[key].curves(w.fractions());
        let hist = vec![format!(
            "nuskybgd fit: apbgd ARF of {} with detector fractions {:?}",
            pha.display(),
            w.fractions()
        )];
        arfs.push((
            req.savefile.sibling(nsb.clone()),
            key,
            with,
            m,
            hist.clone(),
        ));
        arfs.push((req.savefile.sibling(nodet), key, without, m, hist));
        geoms.push(SpectrumGeom {
            pha: pha.display().to_string(),
            rmf: rmf_path.display().to_string(),
            nsb_arf: nsb.display().to_string(),
            module: m,
            area: w.area,
            apw: w.apw,
            det_total: maps[key].totals(),
        });
        weights.push(w);
    }
    let opt = BuildOptions {
        fix_line_ratios: info.fix_line_ratios,
        fcxb_links: info.fcxb_links.clone(),
        solar_off: req.solar_off,
        apec_off: crate::spectral::models::apec::find_atomdb().is_none(),
        diag_rmf: req.auxil.join("diag.rmf").display().to_string(),
        fcxb_arf_a: req.auxil.join("fcxbA.arf").display().to_string(),
        fcxb_arf_b: req.auxil.join("fcxbB.arf").display().to_string(),
        ignore: (!ignore.is_empty()).then(|| ignore.join(" ")),
        intn_port_scale: req.intn_port_scale,
    };
    let text = build_xcm(&presets, &geoms, &opt)?;
    // everything is computed: refuse now if any output exists, before writing anything
    let mut all: Vec<Output> = arfs.iter().map(|a| a.0.clone()).collect();
    all.push(req.savefile.clone());
    check_all(&all)?;
    for (out, key, curve, m, hist) in &arfs {
        write_arf(out, &arf_inputs[key], curve, *m, hist)?;
        outputs.push(out.path.clone());
    }
    req.savefile.write_text(&text)?;
    outputs.push(req.savefile.path.clone());
    let (fitted, state) = if req.fit {
        let (f, st, mut written) = fit_and_write(req, &text)?;
        outputs.append(&mut written);
        (Some(f), Some(st))
    } else {
        (None, None)
    };
    Ok(FitSummary {
        apec_off: opt.apec_off,
        written: outputs,
        weights,
        fit: fitted,
        fitted: state,
    })
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
        return Err(Error::file(
            &req.savefile.path,
            format!(
                "the native fit did not converge ({}); the model save file is written, the fitted files are not (rerun with force=yes to write them anyway, or fit it with xcm-fit)",
                r.summary(&opts)
            ),
        ));
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
