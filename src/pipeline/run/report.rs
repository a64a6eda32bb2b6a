//! `report.html`: one self-contained file (figures embedded, no network) with what was
//! found and used, the regions, the images, every spectrum, the fit, each source region's
//! predicted background, warnings, each step's time, and the command that opens the fitted
//! state in XSPEC.

use super::figures::{figure_path, model_total, plots_dir, region_masks, COMPONENTS};
use super::state::RunState;
use super::steps::{Ctx, Done, Step};
use crate::error::Result;
use crate::io::fits::Fits;
use crate::io::output::Output;
use crate::nustar::module::Module;
use base64::Engine;
use serde_json::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A reduced statistic above this is reported as a poor fit.
const POOR_FIT: f64 = 1.5;
/// A region whose counts differ from the model by more than this many σ is reported.
const RESIDUAL_SIGMA: f64 = 3.0;

/// The report step: it reads what the earlier steps recorded in run.json and their figures.
pub fn report(c: &Ctx, figures: Vec<PathBuf>) -> Step<'_> {
    let mut inputs = vec![c.w("bgdparams_fit.xcm")];
    inputs.extend(figures.iter().cloned());
    Step {
        name: "report".into(),
        section: "",
        inputs,
        action: Box::new(move || {
            let state = RunState::load(&c.w("run.json"));
            let html = page(c, &state)?;
            let out = Output::new(&c.w("report.html").to_string_lossy(), true);
            out.write_text(&html)?;
            Ok(Done::new(
                format!("{} kB", html.len() / 1024),
                vec![out.path],
            ))
        }),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An embedded PNG or SVG figure, or a note when the figure is missing.
fn img(p: &Path) -> String {
    let mime = if p.extension().is_some_and(|e| e == "svg") {
        "image/svg+xml"
    } else {
        "image/png"
    };
    match std::fs::read(p) {
        Ok(b) => format!(
            "<img src=\"data:{mime};base64,{}\" alt=\"{}\">",
            base64::engine::general_purpose::STANDARD.encode(b),
            esc(&p.file_name().unwrap_or_default().to_string_lossy())
        ),
        Err(_) => format!(
            "<p class=warn>missing figure {}</p>",
            esc(&p.display().to_string())
        ),
    }
}

fn facts<'a>(state: &'a RunState, step: &str) -> &'a Value {
    static NULL: Value = Value::Null;
    state.get(step).map(|s| &s.facts).unwrap_or(&NULL)
}

fn page(c: &Ctx, state: &RunState) -> Result<String> {
    let mut h = String::new();
    let title = format!("nuskybgd background of {}", c.cfg.obsid);
    let _ = write!(
        h,
        "<!DOCTYPE html><html><head><meta charset=utf-8><title>{t}</title><style>\
body{{font-family:sans-serif;margin:2em;max-width:1900px}} img{{margin:4px;border:1px solid #ccc}}\
table{{border-collapse:collapse}} td,th{{border:1px solid #bbb;padding:2px 8px;text-align:left}}\
.warn{{color:#b00;font-weight:bold}} pre{{background:#f6f6f6;padding:8px;overflow-x:auto}}</style></head>\
<body><h1>{t}</h1>",
        t = esc(&title)
    );
    let warnings = warnings(c, state)?;
    h += "<h2>Warnings</h2>";
    if warnings.is_empty() {
        h += "<p>none</p>";
    }
    for w in &warnings {
        let _ = write!(h, "<p class=warn>{}</p>", esc(w));
    }
    h += &observation(c);
    h += &fit_section(state);
    h += &sources(state);
    h += &images(c);
    h += &spectra(c);
    h += &steps(state);
    let _ = write!(
        h,
        "<h2>In XSPEC</h2><pre>cd {}\nxspec\nXSPEC12&gt; @bgdparams_fit.xcm\nXSPEC12&gt; cpd /xw\nXSPEC12&gt; setplot energy\nXSPEC12&gt; plot ldata delchi</pre></body></html>\n",
        esc(&c.cfg.workdir.display().to_string())
    );
    Ok(h)
}

fn observation(c: &Ctx) -> String {
    let mut h = String::from("<h2>Observation</h2><table>");
    let row = |h: &mut String, k: &str, v: &str| {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    };
    row(&mut h, "obsid", &c.cfg.obsid);
    row(&mut h, "event files", &c.cfg.event_cl.display().to_string());
    row(&mut h, "configuration", &c.cfg.path.display().to_string());
    row(&mut h, "auxil", &c.auxil.display().to_string());
    row(&mut h, "CALDB", &c.caldb.root.display().to_string());
    row(
        &mut h,
        "image band",
        &format!("{}-{} keV", c.cfg.band.0, c.cfg.band.1),
    );
    for r in &c.cfg.regions {
        let names = |v: &[PathBuf]| {
            v.iter()
                .map(|p| {
                    p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned()
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        row(
            &mut h,
            &format!("FPM{} background regions", r.module.letter()),
            &names(&r.background),
        );
        row(
            &mut h,
            &format!("FPM{} source regions", r.module.letter()),
            &names(&r.source),
        );
    }
    h + "</table>"
}

fn fit_section(state: &RunState) -> String {
    let f = facts(state, "fit");
    let mut h = String::from("<h2>Fit</h2>");
    if f.is_null() {
        return h + "<p>no fit recorded</p>";
    }
    h += "<table><tr><th>source</th><th>parameter</th><th>start</th><th>fitted</th><th>1σ error</th><th></th></tr>";
    for p in f["free"].as_array().into_iter().flatten() {
        let num = |k: &str| {
            p[k].as_f64()
                .map(|x| format!("{x:.4e}"))
                .unwrap_or_default()
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>p{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(p["source"].as_str().unwrap_or("")),
            p["index"],
            esc(p["name"].as_str().unwrap_or("")),
            num("start"),
            num("value"),
            num("error"),
            if p["pegged"] == Value::Bool(true) {
                "at a limit"
            } else {
                ""
            }
        );
    }
    h += "</table>";
    let _ = write!(
        h,
        "<p>{} = {:.2} for {} degrees of freedom (reduced {:.3}); {}</p><details><summary>every parameter</summary><pre>{}</pre></details>",
        esc(f["statistic_name"].as_str().unwrap_or("")),
        f["statistic"].as_f64().unwrap_or(f64::NAN),
        f["dof"].as_u64().unwrap_or(0),
        reduced(f),
        esc(f["summary"].as_str().unwrap_or("")),
        esc(f["table"].as_str().unwrap_or(""))
    );
    h
}

fn reduced(f: &Value) -> f64 {
    f["statistic"].as_f64().unwrap_or(f64::NAN) / f["dof"].as_f64().unwrap_or(0.0).max(1.0)
}

fn bgdspec_steps(state: &RunState) -> Vec<&Value> {
    state
        .steps
        .iter()
        .filter(|(n, _)| n.starts_with("bgdspec "))
        .map(|(_, s)| &s.facts)
        .filter(|f| !f.is_null())
        .collect()
}

fn sources(state: &RunState) -> String {
    let mut h = String::from(
        "<h2>Source regions: predicted background, 3-20 keV</h2><table><tr><th>spectrum</th>",
    );
    for k in COMPONENTS {
        let _ = write!(h, "<th>{k}</th>");
    }
    h += "<th>background</th><th>observed</th><th>background / observed</th></tr>";
    for f in bgdspec_steps(state) {
        let name = Path::new(f["source"].as_str().unwrap_or(""))
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let _ = write!(h, "<tr><td>{}</td>", esc(&name));
        for k in COMPONENTS {
            let _ = write!(
                h,
                "<td>{:.1}</td>",
                f["components_3_20"][k].as_f64().unwrap_or(f64::NAN)
            );
        }
        let (b, o) = (
            f["background_3_20"].as_f64().unwrap_or(f64::NAN),
            f["observed_3_20"].as_f64().unwrap_or(f64::NAN),
        );
        let _ = write!(
            h,
            "<td>{b:.1}</td><td>{o:.0}</td><td>{:.3}</td></tr>",
            b / o
        );
    }
    h + "</table>"
}

fn images(c: &Ctx) -> String {
    let mut h = String::from("<h2>Images</h2>");
    for m in c.cfg.modules() {
        let _ = write!(h, "<h3>FPM{}</h3>", m.letter());
        for name in [
            "counts", "model", "residual", "apbgd", "intbgd", "fcxb", "intn",
        ] {
            h += &img(&figure_path(c, &format!("{}_{name}", m.letter())));
        }
    }
    h
}

fn spectra(c: &Ctx) -> String {
    let mut h = String::from("<h2>Spectra</h2>");
    let Ok(entries) = std::fs::read_dir(plots_dir(c)) else {
        return h;
    };
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            n.ends_with(&format!(".{}", c.cfg.figures.ext()))
                && !n.starts_with("A_")
                && !n.starts_with("B_")
        })
        .collect();
    names.sort();
    for p in names {
        h += &img(&p);
    }
    h
}

fn steps(state: &RunState) -> String {
    let mut h = String::from(
        "<h2>Steps</h2><table><tr><th>step</th><th>s</th><th>status</th><th>detail</th></tr>",
    );
    for (n, s) in &state.steps {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{:.2}</td><td>{}</td><td>{}</td></tr>",
            esc(n),
            s.seconds,
            esc(&s.status),
            esc(&s.detail)
        );
    }
    h + "</table>"
}

/// A poor or unconverged fit, pegged parameters, regions whose counts the model misses.
fn warnings(c: &Ctx, state: &RunState) -> Result<Vec<String>> {
    let mut w = Vec::new();
    let f = facts(state, "fit");
    if !f.is_null() {
        if reduced(f) > POOR_FIT {
            w.push(format!(
                "poor fit: reduced statistic {:.2} > {POOR_FIT}",
                reduced(f)
            ));
        }
        if f["converged"] == Value::Bool(false) {
            w.push(format!(
                "the fit did not converge: {}",
                f["summary"].as_str().unwrap_or("")
            ));
        }
        for p in f["free"].as_array().into_iter().flatten() {
            if p["pegged"] == Value::Bool(true) {
                w.push(format!(
                    "{}:p{} {} ended at a limit ({})",
                    p["source"].as_str().unwrap_or(""),
                    p["index"],
                    p["name"].as_str().unwrap_or(""),
                    p["value"]
                ));
            }
        }
    }
    for m in c.cfg.modules() {
        w.extend(region_residuals(c, m)?);
    }
    Ok(w)
}

/// Background regions of module `m` whose counts in the image band differ from the model
/// image by more than [`RESIDUAL_SIGMA`] (Poisson σ of the model).
fn region_residuals(c: &Ctx, m: Module) -> Result<Vec<String>> {
    let counts =
        Fits::open(PathBuf::from(format!("{}.fits", c.image_stem(m).display())))?.read_image()?;
    let model = model_total(c, m)?;
    let masks = region_masks(c, m, &c.refimg())?;
    let regions: Vec<&PathBuf> = c
        .cfg
        .regions
        .iter()
        .filter(|r| r.module == m)
        .flat_map(|r| r.background.iter())
        .collect();
    let mut w = Vec::new();
    for ((mask, _), reg) in masks.iter().zip(regions) {
        let (mut n, mut mu) = (0.0, 0.0);
        for ((k, a), b) in mask.data.iter().zip(&counts.data).zip(&model.data) {
            if *k > 0.0 {
                n += a;
                mu += b;
            }
        }
        let z = (n - mu) / mu.max(1e-9).sqrt();
        if z.abs() > RESIDUAL_SIGMA {
            w.push(format!(
                "FPM{} {}: {n:.0} counts against {mu:.1} predicted in {}-{} keV ({z:+.1} sigma): a source in the region, or stray light the model lacks",
                m.letter(),
                reg.file_name().unwrap_or_default().to_string_lossy(),
                c.cfg.band.0,
                c.cfg.band.1
            ));
        }
    }
    Ok(w)
}
