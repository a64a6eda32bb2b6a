//! The steps built on the fitted background: for every source region its background
//! spectrum (bgdspec, which also points the source spectrum's BACKFILE at it), the spec
//! save file with both modules' source spectra and its simplified copy; the model images.

use super::steps::{Ctx, Done, Extraction, Step};
use crate::io::output::Output;
use std::path::PathBuf;

/// The fitted background model the source steps start from.
fn fitted(c: &Ctx) -> PathBuf {
    c.w("bgdparams_fit.xcm")
}

/// bgdspec for each source spectrum, then spec and simplify for each source region index
/// (the modules' spectra of the k-th source region together).
pub fn source_steps(c: &Ctx) -> Vec<Step<'_>> {
    let sources = c.extractions(true);
    let mut steps: Vec<Step> = sources.iter().map(|e| bgdspec(c, e.clone())).collect();
    let n = sources.iter().map(|e| e.index + 1).max().unwrap_or(0);
    for k in 0..n {
        let group: Vec<Extraction> = sources.iter().filter(|e| e.index == k).cloned().collect();
        let name = crate::tasks::spec::default_name(&group[0].region);
        let xcm = c.w(&name);
        steps.push(spec(c, group, xcm.clone()));
        steps.push(simplify(c, xcm));
    }
    steps
}

/// The simplified save file of each source region (`bgd_only_<src>.xcm`).
pub fn simplified(c: &Ctx) -> Vec<PathBuf> {
    let sources = c.extractions(true);
    let n = sources.iter().map(|e| e.index + 1).max().unwrap_or(0);
    (0..n)
        .filter_map(|k| sources.iter().find(|e| e.index == k))
        .map(|e| {
            let spec = crate::tasks::spec::default_name(&e.region);
            c.w(
                &crate::tasks::simplify::simplified_name(std::path::Path::new(&spec))
                    .to_string_lossy(),
            )
        })
        .collect()
}

fn bgdspec(c: &Ctx, e: Extraction) -> Step<'_> {
    let pha = c.grouped(&e.prefix);
    Step {
        name: format!("bgdspec {}", e.prefix),
        section: "fit",
        inputs: vec![
            fitted(c),
            c.w("bgdinfo.json"),
            pha.clone(),
            e.region.clone(),
        ],
        action: Box::new(move || {
            let r = crate::tasks::bgdspec::bgdspec(&crate::tasks::bgdspec::BgdspecRequest {
                bgdinfo: c.w("bgdinfo.json"),
                xcm: fitted(c),
                region: e.region.clone(),
                pha: pha.clone(),
                expfactor: 100.0,
                poisson: false,
                seed: crate::tasks::bgdspec::DEFAULT_SEED,
                out: None,
                clobber: true,
                caldb: c.caldb.clone(),
                auxil: c.auxil.clone(),
            })?;
            let band: f64 = r.components.iter().map(|x| x.band_3_20).sum();
            let rmf = c.w(&format!("{}_sr.rmf", e.prefix));
            let observed = crate::bgmodel::bands::file_band_counts(&pha, &rmf, 3.0, 20.0)?;
            let parts: serde_json::Map<String, serde_json::Value> = r
                .components
                .iter()
                .map(|x| (x.name.to_string(), serde_json::json!(x.band_3_20)))
                .collect();
            Ok(Done {
                detail: format!(
                    "{band:.1} background counts in 3-20 keV of {observed:.0} observed; BACKFILE set"
                ),
                outputs: vec![r.output.clone()],
                facts: serde_json::json!({
                    "source": pha.display().to_string(),
                    "background": r.output.display().to_string(),
                    "components_3_20": parts,
                    "background_3_20": band,
                    "observed_3_20": observed,
                }),
            })
        }),
    }
}

fn spec(c: &Ctx, group: Vec<Extraction>, xcm: PathBuf) -> Step<'_> {
    let phas: Vec<PathBuf> = group.iter().map(|e| c.grouped(&e.prefix)).collect();
    let regions: Vec<PathBuf> = group.iter().map(|e| e.region.clone()).collect();
    let mut inputs = vec![fitted(c), c.w("bgdinfo.json")];
    inputs.extend(phas.iter().cloned());
    inputs.extend(regions.iter().cloned());
    let stem = xcm
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Step {
        name: format!("spec {stem}"),
        section: "fit",
        inputs,
        action: Box::new(move || {
            let r = crate::tasks::spec::spec_task(&crate::tasks::spec::SpecRequest {
                bgdinfo: c.w("bgdinfo.json"),
                xcm: fitted(c),
                regions: regions.clone(),
                phas: phas.clone(),
                savefile: Output::new(&xcm.to_string_lossy(), true),
                caldb: c.caldb.clone(),
                auxil: c.auxil.clone(),
            })?;
            let mut outputs = r.arfs;
            outputs.push(r.savefile);
            Ok(Done::new(format!("{} source spectra", phas.len()), outputs))
        }),
    }
}

fn simplify(c: &Ctx, xcm: PathBuf) -> Step<'_> {
    let only = c.w(&crate::tasks::simplify::simplified_name(&xcm).to_string_lossy());
    let stem = xcm
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Step {
        name: format!("simplify {stem}"),
        section: "",
        inputs: vec![xcm.clone(), c.w("bgdinfo.json")],
        action: Box::new(move || {
            let r =
                crate::tasks::simplify::simplify_task(&crate::tasks::simplify::SimplifyRequest {
                    bgdinfo: c.w("bgdinfo.json"),
                    xcm: xcm.clone(),
                    savefile: Output::new(&only.to_string_lossy(), true),
                })?;
            Ok(Done::new(
                format!("{} background spectra dropped", r.dropped),
                vec![r.savefile],
            ))
        }),
    }
}

/// The model images of every component in the configured band.
pub fn image(c: &Ctx) -> Step<'_> {
    Step {
        name: "image".into(),
        section: "images",
        inputs: vec![fitted(c), c.w("bgdinfo.json")],
        action: Box::new(move || {
            let (emin, emax) = c.cfg.band;
            let r = crate::tasks::image::image_task(&crate::tasks::image::ImageRequest {
                bgdinfo: c.w("bgdinfo.json"),
                xcm: fitted(c),
                emin,
                emax,
                prefix: format!("{}/", c.cfg.workdir.display()),
                clobber: true,
                auxil: c.auxil.clone(),
            })?;
            Ok(Done::new(
                format!("{} images", r.images.len()),
                r.images.into_iter().map(|(p, _)| p).collect(),
            ))
        }),
    }
}
