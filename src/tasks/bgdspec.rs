//! `bgdspec`: a background spectrum for a source region, predicted by the fitted background
//! model, and the source spectrum's BACKFILE pointed at it, so that XSPEC subtracts it (the
//! alternative to `spec`, which puts the background into the source's model).
//!
//! What the IDL `nuskybgd_spec` did with four `fakeit` runs and `mathpha`: here the model
//! `spec` would write is built in memory, loaded into a session, and the predicted counts
//! per channel of the four background sources (apbgd, intbgd, fcxb, intn) on the source
//! spectrum are summed, for `expfactor` times the source exposure. The spectrum is written
//! noise-free (real counts) by default, or with Poisson noise.
//!
//! Differences from the IDL: the default name is `<source stem>_bgd.pha` (the IDL prefixed
//! `bgd`, which collides with the `bgdN{A,B}…` background-region spectra of this workflow);
//! EXPOSURE is expfactor × the source EXPOSURE (the IDL used LIVETIME); the per-component
//! spectra are not written (their counts are in the HISTORY); an existing BACKFILE is only
//! replaced with clobber.

use crate::bgmodel::bands::noticed_channels;
use crate::error::{Result, TaskError};
use crate::io::fits::Fits;
use crate::io::output::{parent_dir, Output};
use crate::nustar::caldb::Caldb;
use crate::spectral::ogip::pha::{goto_spectrum, write_pha, PhaOut, Spectrum};
use crate::spectral::session::Session;
use crate::spectral::xcm::file::XcmFile;
use crate::tasks::spec::{spec_model, SpecRequest};
use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};
use std::path::{Component, Path, PathBuf};

/// Seed of the Poisson draws when none is given.
pub const DEFAULT_SEED: u64 = 20_170_101;

/// Names of the background sources, as `fit` numbers them 2..5.
pub const COMPONENTS: [&str; 4] = ["apbgd", "intbgd", "fcxb", "intn"];

/// Inputs of the bgdspec task.
#[derive(Debug, Clone)]
pub struct BgdspecRequest {
    pub bgdinfo: PathBuf,
    /// The fitted background model (background spectra only, as `fit` wrote it).
    pub xcm: PathBuf,
    /// Source region and spectrum.
    pub region: PathBuf,
    pub pha: PathBuf,
    /// Exposure of the background spectrum in units of the source exposure (> 0).
    pub expfactor: f64,
    /// Integer counts drawn from Poisson(expfactor × predicted) instead of the noise-free
    /// real counts.
    pub poisson: bool,
    pub seed: u64,
    /// The background spectrum; None: `<source stem>_bgd.pha` beside the source spectrum.
    pub out: Option<PathBuf>,
    /// Replace an existing output file and an existing BACKFILE of the source spectrum.
    pub clobber: bool,
    pub caldb: Caldb,
    pub auxil: PathBuf,
}

/// Predicted background counts of one source in the source region, for the source
/// spectrum's exposure (not multiplied by expfactor).
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentCounts {
    pub name: &'static str,
    /// All channels.
    pub total: f64,
    /// 3–20 keV: the channels XSPEC's `ignore **-3. 20.-**` leaves on the ungrouped
    /// spectrum (see [`noticed_channels`]).
    pub band_3_20: f64,
}

/// What bgdspec did.
#[derive(Debug, Clone)]
pub struct BgdspecSummary {
    /// The background spectrum written.
    pub output: PathBuf,
    /// Per background source (apbgd, intbgd, fcxb, intn), for the source exposure.
    pub components: Vec<ComponentCounts>,
    /// Source EXPOSURE and the background spectrum's (expfactor × source).
    pub source_exposure: f64,
    pub exposure: f64,
    /// Sum of the COUNTS column written.
    pub counts_written: f64,
    /// The source spectrum whose BACKFILE was set, the value set, and the value it had.
    pub source: PathBuf,
    pub backfile: String,
    pub previous_backfile: Option<String>,
}

/// Default output: `<stem>_bgd.pha` beside the spectrum.
pub fn default_output(pha: &Path) -> PathBuf {
    let stem = pha
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    pha.with_file_name(format!("{stem}_bgd.pha"))
}

/// `path` relative to directory `from` (both resolved through existing directories);
/// the bare file name when they share the directory.
pub fn relative_to(path: &Path, from: &Path) -> Result<String> {
    let canon = |d: &Path| {
        std::fs::canonicalize(d).map_err(|source| TaskError::Resolve {
            path: d.into(),
            what: "directory".into(),
            source,
        })
    };
    let dir = canon(&parent_dir(path))?;
    let from = canon(from)?;
    let name = path
        .file_name()
        .ok_or_else(|| TaskError::NotAFileName { path: path.into() })?;
    let a: Vec<Component> = dir.components().collect();
    let b: Vec<Component> = from.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..b.len() {
        rel.push("..");
    }
    for c in &a[common..] {
        rel.push(c.as_os_str());
    }
    rel.push(name);
    Ok(rel.to_string_lossy().into_owned())
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|source| {
        TaskError::Resolve {
            path: p.into(),
            what: "path".into(),
            source,
        }
        .into()
    })
}

/// A directory removed when dropped, pass or fail (the in-memory model's ARF lives there
/// while loading).
fn temp_dir() -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("nuskybgd-bgdspec-")
        .tempdir()
        .map_err(|source| {
            TaskError::TempDir {
                path: std::env::temp_dir(),
                source,
            }
            .into()
        })
}

/// Keywords copied from the source spectrum when present (SPECTRUM, else primary header).
const COPIED_STR: [&str; 4] = ["DATE-OBS", "DATE-END", "OBS_ID", "OBJECT"];
const COPIED_NUM: [&str; 2] = ["TSTART", "TSTOP"];

type Keys = (Vec<(String, String)>, Vec<(String, f64)>);

fn header_copies(pha: &Path) -> Result<Keys> {
    let mut f = Fits::open(pha)?;
    goto_spectrum(&mut f, pha)?;
    let hdus = [f.current_hdu(), 1];
    let (mut strs, mut nums) = (Vec::new(), Vec::new());
    for k in COPIED_STR {
        for h in hdus {
            f.goto_hdu(h)?;
            if let Some(v) = f.opt_key_str(k)? {
                strs.push((k.to_string(), v));
                break;
            }
        }
    }
    for k in COPIED_NUM {
        for h in hdus {
            f.goto_hdu(h)?;
            if let Some(v) = f.opt_key_f64(k)? {
                nums.push((k.to_string(), v));
                break;
            }
        }
    }
    Ok((strs, nums))
}

/// Copy `pha` to a temporary name in its directory with BACKFILE of its SPECTRUM HDU set to
/// `value` (and a HISTORY record; CHECKSUM updated when the HDU had one). Returns the
/// temporary file, to be renamed over `pha`.
fn prepare_backfile_edit(pha: &Path, value: &str) -> Result<PathBuf> {
    crate::io::output::edited_copy(pha, |f| {
        goto_spectrum(f, pha)?;
        let had_checksum = f.opt_key_str("CHECKSUM")?.is_some();
        f.set_key_str("BACKFILE", value, "background spectrum")?;
        f.history(&format!("nuskybgd bgdspec: BACKFILE set to {value}"))?;
        if had_checksum {
            f.write_checksum()?;
        }
        Ok(())
    })
}

/// The request's expfactor is positive and its input files exist.
fn check_request(req: &BgdspecRequest) -> Result<()> {
    if !(req.expfactor.is_finite() && req.expfactor > 0.0) {
        return Err(TaskError::BadExpfactor {
            value: req.expfactor,
        }
        .into());
    }
    for (p, what) in [
        (&req.bgdinfo, "background description"),
        (&req.xcm, "fitted model"),
        (&req.region, "source region"),
        (&req.pha, "source spectrum"),
    ] {
        if !p.is_file() {
            return Err(TaskError::InputMissing {
                path: p.clone(),
                what: what.into(),
            }
            .into());
        }
    }
    Ok(())
}

/// The source spectrum, refused when gzip-compressed (its BACKFILE is rewritten in place)
/// or when it has a BACKFILE and clobber is off.
fn read_source(req: &BgdspecRequest) -> Result<Spectrum> {
    let head = std::fs::read(&req.pha).map_err(|source| TaskError::Unreadable {
        path: req.pha.clone(),
        source,
    })?;
    if head.starts_with(&[0x1f, 0x8b]) {
        return Err(TaskError::Gzipped {
            path: req.pha.clone(),
        }
        .into());
    }
    let src = Spectrum::read_at(&req.pha, None)?;
    if let Some(old) = &src.backfile {
        if !req.clobber {
            return Err(TaskError::HasBackfile {
                path: req.pha.clone(),
                old: old.clone(),
            }
            .into());
        }
    }
    Ok(src)
}

/// The output (checked, not the source itself) and the BACKFILE value naming it relative
/// to the source spectrum's directory.
fn output_of(req: &BgdspecRequest) -> Result<(Output, String)> {
    let out_path = req.out.clone().unwrap_or_else(|| default_output(&req.pha));
    let out = Output::new(&out_path.to_string_lossy(), req.clobber);
    out.check()?;
    if absolute(&out.path)? == absolute(&req.pha)? {
        return Err(TaskError::OutputIsSource {
            path: out.path.clone(),
        }
        .into());
    }
    let backfile = relative_to(&out.path, &parent_dir(&req.pha))?;
    Ok((out, backfile))
}

/// The spec task's model, in memory, with absolute source paths (the fitted model's own
/// paths stay as written) and the source's apbgd ARF in a temporary directory, loaded into
/// a session; also the source spectrum's number in it (1-based).
fn model_session(req: &BgdspecRequest) -> Result<(Session, usize)> {
    let pha_abs = absolute(&req.pha)?;
    let mut model = spec_model(&SpecRequest {
        bgdinfo: req.bgdinfo.clone(),
        xcm: req.xcm.clone(),
        regions: vec![absolute(&req.region)?],
        phas: vec![pha_abs.clone()],
        savefile: Output::new("", false),
        caldb: req.caldb.clone(),
        auxil: absolute(&req.auxil)?,
    })?;
    let tmp = temp_dir()?;
    let arf = tmp.path().join("src_nsb.arf");
    model.set_arf_path(0, &arf);
    model.write_arf(0, &Output::new(&arf.to_string_lossy(), true))?;
    let label = PathBuf::from(format!(
        "{} (with the source spectrum appended, in memory)",
        req.xcm.display()
    ));
    // through the text, so the prediction uses the values `spec` would save (6 digits)
    let x = XcmFile::parse(&label, &model.text())?;
    let xdir = parent_dir(&req.xcm);
    let first = x.items.iter().find_map(|it| match it {
        crate::spectral::xcm::file::Item::Cmd { name, args, .. } if name == "data" => {
            args.split_whitespace().last().map(String::from)
        }
        _ => None,
    });
    let base = match first {
        Some(f) if xdir.join(&f).exists() => xdir,
        _ => PathBuf::from("."),
    };
    let sess = Session::from_xcm(&x, &label, &base, true)?;
    drop(tmp);
    Ok((sess, model.nbgd + 1))
}

/// Predicted counts per channel of each background source on data set `di`, summed, and
/// each source's totals (for the source exposure).
fn predict(
    req: &BgdspecRequest,
    sess: &Session,
    di: usize,
) -> Result<(Vec<f64>, Vec<ComponentCounts>)> {
    let ds = &sess.data[di];
    let mut predicted = vec![0.0; ds.spectrum.len()];
    let mut components = Vec::new();
    for name in COMPONENTS {
        let si = sess
            .sources
            .iter()
            .position(|s| s.name.as_deref() == Some(name))
            .ok_or_else(|| TaskError::NoSource {
                path: req.xcm.clone(),
                name: name.into(),
            })?;
        let c = sess.channel_counts(di, si, None)?;
        let rmf = ds.resp[si]
            .as_ref()
            .ok_or_else(|| TaskError::NoResponse {
                path: req.xcm.clone(),
                name: name.into(),
            })?
            .rmf
            .clone();
        let band: f64 = noticed_channels(&ds.spectrum, &rmf.e_min, &rmf.e_max, 3.0, 20.0)
            .iter()
            .zip(&c)
            .filter(|(b, _)| **b)
            .map(|(_, v)| v)
            .sum();
        if let Some(i) = c.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(TaskError::BadPrediction {
                path: req.xcm.clone(),
                name: name.into(),
                counts: c[i],
                channel: i,
            }
            .into());
        }
        predicted.iter_mut().zip(&c).for_each(|(p, v)| *p += v);
        components.push(ComponentCounts {
            name,
            total: c.iter().sum(),
            band_3_20: band,
        });
    }
    Ok((predicted, components))
}

/// The counts written: expfactor × predicted, or Poisson draws of it with the seed.
fn draw_counts(req: &BgdspecRequest, predicted: &[f64]) -> Result<Vec<f64>> {
    let smooth: Vec<f64> = predicted.iter().map(|p| p * req.expfactor).collect();
    if !req.poisson {
        return Ok(smooth);
    }
    let mut rng = rand_pcg::Pcg64::seed_from_u64(req.seed);
    smooth
        .iter()
        .map(|&l| {
            if l > 0.0 {
                Poisson::new(l).map(|d| d.sample(&mut rng)).map_err(|e| {
                    TaskError::Poisson {
                        mean: l,
                        reason: e.to_string(),
                    }
                    .into()
                })
            } else {
                Ok(0.0)
            }
        })
        .collect()
}

/// HISTORY of the background spectrum: inputs, exposure, counts per source.
fn history(req: &BgdspecRequest, src: &Spectrum, components: &[ComponentCounts]) -> Vec<String> {
    let mut history = vec![
        format!(
            "nuskybgd bgdspec: background of {} in region {}",
            req.pha.display(),
            req.region.display()
        ),
        format!("model {} with {}", req.xcm.display(), req.bgdinfo.display()),
        format!(
            "expfactor {} x source EXPOSURE {}; {}",
            req.expfactor,
            src.exposure,
            if req.poisson {
                format!("Poisson counts, Pcg64 seed {}", req.seed)
            } else {
                "noise-free model counts".to_string()
            }
        ),
        "predicted counts for the source exposure (all channels, 3-20 keV):".to_string(),
    ];
    for c in components {
        history.push(format!(
            "  {:<6} {:.6e} {:.6e}",
            c.name, c.total, c.band_3_20
        ));
    }
    history
}

/// Write the background spectrum, then put the source spectrum's BACKFILE edit (prepared
/// first) into place; on an error neither is left behind.
fn write_outputs(req: &BgdspecRequest, out: &Output, pha: &PhaOut, backfile: &str) -> Result<()> {
    let edited = prepare_backfile_edit(&req.pha, backfile)?;
    if let Err(e) = write_pha(out, pha) {
        let _ = std::fs::remove_file(&edited);
        return Err(e);
    }
    std::fs::rename(&edited, &req.pha).map_err(|e| {
        let _ = std::fs::remove_file(&edited);
        TaskError::ReplaceFailed {
            path: req.pha.clone(),
            written: out.path.clone(),
            source: e,
        }
        .into()
    })
}

/// Run the task: write the background spectrum and set the source spectrum's BACKFILE.
/// On any error nothing is written and the source spectrum is unchanged.
pub fn bgdspec(req: &BgdspecRequest) -> Result<BgdspecSummary> {
    check_request(req)?;
    let src = read_source(req)?;
    let (out, backfile) = output_of(req)?;
    let (sess, n) = model_session(req)?;
    let di = sess
        .data
        .iter()
        .position(|d| d.number == n)
        .ok_or(TaskError::NotInModel { number: n })?;
    let (predicted, components) = predict(req, &sess, di)?;
    let counts = draw_counts(req, &predicted)?;
    let (keys, num_keys) = header_copies(&req.pha)?;
    let pha = PhaOut {
        instrume: src.instrume.clone(),
        integer_counts: req.poisson,
        counts,
        exposure: req.expfactor * src.exposure,
        backscal: src.backscal,
        areascal: src.areascal,
        keys,
        num_keys,
        history: history(req, &src, &components),
        ..Default::default()
    };
    write_outputs(req, &out, &pha, &backfile)?;
    Ok(BgdspecSummary {
        output: out.path.clone(),
        counts_written: pha
            .counts
            .iter()
            .map(|c| if req.poisson { c.round() } else { *c })
            .sum(),
        components,
        source_exposure: src.exposure,
        exposure: pha.exposure,
        source: req.pha.clone(),
        backfile,
        previous_backfile: src.backfile,
    })
}
