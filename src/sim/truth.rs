//! The truth of a simulation (`truth.json`): the background densities the events were drawn
//! from, per module, and what a perfect fit would find for any region.
//!
//! Densities (per exposure-weighted sky pixel, i.e. per unit of the projected images):
//! apbgd `D_ap` per unit of the aperture image; line c and intn per detector; fcxb one value.
//! A region with weights (`area[d]` = Σ mask·DETIM_d, `apw` = Σ mask·BGDAP) then has model
//! normalisations apbgd `D_ap·apw`, line c `Σ_d area[d]·D_c[d]`, fcxb `D_f·Σ_d area[d]`,
//! intn `Σ_d area[d]·D_n[d]` — the quantities nuskybgd's fit estimates.

use crate::bgmodel::geometry::RegionWeights;
use crate::error::{Error, Result, SimError};
use crate::nustar::module::Module;
use serde_json::{json, Value};
use std::path::Path;

/// Number of intbgd lines.
pub const NLINES: usize = 29;

/// Expected and drawn event counts of one module, per component.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComponentCounts {
    pub apbgd: f64,
    /// Lines 1..29 (index c−1).
    pub lines: [f64; NLINES],
    pub fcxb: f64,
    pub intn: f64,
}

impl ComponentCounts {
    /// Sum of the lines (the intbgd source; apec is off).
    pub fn intbgd(&self) -> f64 {
        self.lines.iter().sum()
    }

    /// All components.
    pub fn total(&self) -> f64 {
        self.apbgd + self.intbgd() + self.fcxb + self.intn
    }

    fn to_json(&self) -> Value {
        json!({"apbgd": self.apbgd, "intbgd": self.intbgd(), "lines": self.lines.to_vec(),
               "fcxb": self.fcxb, "intn": self.intn, "total": self.total()})
    }

    fn from_json(v: &Value) -> Option<ComponentCounts> {
        Some(ComponentCounts {
            apbgd: v.get("apbgd")?.as_f64()?,
            lines: arr(v.get("lines")?)?,
            fcxb: v.get("fcxb")?.as_f64()?,
            intn: v.get("intn")?.as_f64()?,
        })
    }
}

/// The truth of one module.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleTruth {
    pub module: Module,
    /// apbgd norm per unit of the aperture image (0.002353/32 × apscale).
    pub d_ap: f64,
    /// apec norm per pixel, DET0..DET3 (0: switched off).
    pub d_apec: [f64; 4],
    /// Line norms per pixel: `d_line[c−1][d]` (lines 1–3 are 0: solar off).
    pub d_line: [[f64; 4]; NLINES],
    /// fcxb norm per pixel (same for every detector).
    pub d_fcxb: f64,
    /// intn norm per pixel, DET0..DET3.
    pub d_intn: [f64; 4],
    /// Detected counts per unit norm per second, summed over all channels, per detector:
    /// what folding a unit-norm component through its response gives.
    pub rate_apbgd: [f64; 4],
    pub rate_line: [[f64; 4]; NLINES],
    pub rate_fcxb: [f64; 4],
    pub rate_intn: [f64; 4],
    /// Whole-field counts: expected (Poisson means) and drawn.
    pub expected: ComponentCounts,
    pub drawn: ComponentCounts,
    /// Events written.
    pub events: usize,
}

/// Model normalisations a perfect fit would give for one region.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedNorms {
    pub apbgd: f64,
    pub apec: f64,
    /// Lines 1..29 (index c−1), XSPEC components lorentz, lorentz_3 … lorentz_30.
    pub lines: [f64; NLINES],
    pub fcxb: f64,
    pub intn: f64,
}

impl ExpectedNorms {
    /// (source, component, norm) in the fit model's naming: ("apbgd", "cutoffpl"),
    /// ("intbgd", "apec"), ("intbgd", "lorentz"), ("intbgd", "lorentz_3") …
    /// ("intbgd", "lorentz_30"), ("fcxb", "cutoffpl"), ("intn", "bknpower").
    pub fn named(&self) -> Vec<(&'static str, String, f64)> {
        let mut v = vec![
            ("apbgd", "cutoffpl".to_string(), self.apbgd),
            ("intbgd", "apec".to_string(), self.apec),
        ];
        for (c, n) in self.lines.iter().enumerate() {
            let name = if c == 0 {
                "lorentz".to_string()
            } else {
                format!("lorentz_{}", c + 2)
            };
            v.push(("intbgd", name, *n));
        }
        v.push(("fcxb", "cutoffpl".to_string(), self.fcxb));
        v.push(("intn", "bknpower".to_string(), self.intn));
        v
    }
}

fn dot(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl ModuleTruth {
    /// Normalisations for a region with detector areas `area` and aperture weight `apw`.
    pub fn expected_norms_for(&self, area: [f64; 4], apw: f64) -> ExpectedNorms {
        ExpectedNorms {
            apbgd: self.d_ap * apw,
            apec: dot(&area, &self.d_apec),
            lines: std::array::from_fn(|c| dot(&area, &self.d_line[c])),
            fcxb: self.d_fcxb * area.iter().sum::<f64>(),
            intn: dot(&area, &self.d_intn),
        }
    }

    /// Expected counts in a region over all channels for `exposure` seconds (the apbgd
    /// response is averaged with the region's detector fractions, exact when the
    /// detectors' responses agree).
    pub fn expected_counts_for(&self, area: [f64; 4], apw: f64, exposure: f64) -> f64 {
        let tot: f64 = area.iter().sum();
        let frac = area.map(|a| if tot > 0.0 { a / tot } else { 0.25 });
        let ap = self.d_ap * apw * dot(&frac, &self.rate_apbgd);
        let lines: f64 = (0..NLINES)
            .map(|c| {
                (0..4)
                    .map(|d| area[d] * self.d_line[c][d] * self.rate_line[c][d])
                    .sum::<f64>()
            })
            .sum();
        let fc: f64 = (0..4)
            .map(|d| area[d] * self.d_fcxb * self.rate_fcxb[d])
            .sum();
        let nn: f64 = (0..4)
            .map(|d| area[d] * self.d_intn[d] * self.rate_intn[d])
            .sum();
        exposure * (ap + lines + fc + nn)
    }

    fn to_json(&self) -> Value {
        json!({
            "D_ap": self.d_ap,
            "D_apec": self.d_apec.to_vec(),
            "D_line": self.d_line.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            "D_fcxb": self.d_fcxb,
            "D_intn": self.d_intn.to_vec(),
            "rate_per_norm": {
                "comment": "detected counts/s per unit norm over all channels, per detector",
                "apbgd": self.rate_apbgd.to_vec(),
                "line": self.rate_line.iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                "fcxb": self.rate_fcxb.to_vec(),
                "intn": self.rate_intn.to_vec()
            },
            "expected_counts": self.expected.to_json(),
            "drawn_counts": self.drawn.to_json(),
            "events": self.events
        })
    }

    fn from_json(m: Module, v: &Value) -> Option<ModuleTruth> {
        let r = v.get("rate_per_norm")?;
        Some(ModuleTruth {
            module: m,
            d_ap: v.get("D_ap")?.as_f64()?,
            d_apec: arr(v.get("D_apec")?)?,
            d_line: arr2(v.get("D_line")?)?,
            d_fcxb: v.get("D_fcxb")?.as_f64()?,
            d_intn: arr(v.get("D_intn")?)?,
            rate_apbgd: arr(r.get("apbgd")?)?,
            rate_line: arr2(r.get("line")?)?,
            rate_fcxb: arr(r.get("fcxb")?)?,
            rate_intn: arr(r.get("intn")?)?,
            expected: ComponentCounts::from_json(v.get("expected_counts")?)?,
            drawn: ComponentCounts::from_json(v.get("drawn_counts")?)?,
            events: v.get("events")?.as_u64()? as usize,
        })
    }
}

fn arr<const N: usize>(v: &Value) -> Option<[f64; N]> {
    let a = v.as_array()?;
    if a.len() != N {
        return None;
    }
    let nums: Option<Vec<f64>> = a.iter().map(Value::as_f64).collect();
    nums?.try_into().ok()
}

fn arr2(v: &Value) -> Option<[[f64; 4]; NLINES]> {
    let a = v.as_array()?;
    if a.len() != NLINES {
        return None;
    }
    let rows: Option<Vec<[f64; 4]>> = a.iter().map(arr::<4>).collect();
    rows?.try_into().ok()
}

/// The truth of a whole simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    pub seed: u64,
    pub exposure: f64,
    pub apscale: f64,
    pub fcxbscale: f64,
    pub intscale: f64,
    pub intnscale: f64,
    /// True when the built-in synthetic instrument was used (auxil, CALDB).
    pub synthetic_auxil: bool,
    pub synthetic_caldb: bool,
    /// Roll (PA_PNT, degrees).
    pub pa_pnt: f64,
    /// Module A then B.
    pub modules: Vec<ModuleTruth>,
    /// The whole JSON document (provenance, files, notes).
    pub json: Value,
}

impl Truth {
    /// Truth of module `m`.
    pub fn module(&self, m: Module) -> Result<&ModuleTruth> {
        self.modules.iter().find(|t| t.module == m).ok_or_else(|| {
            SimError::NoModule {
                letter: m.letter().to_string(),
            }
            .into()
        })
    }

    /// What a perfect fit gives for a region of the weights' module.
    pub fn expected_norms(&self, w: &RegionWeights) -> Result<ExpectedNorms> {
        Ok(self.module(w.module)?.expected_norms_for(w.area, w.apw))
    }

    /// Expected counts of a region over all channels for the simulated exposure.
    pub fn expected_counts(&self, w: &RegionWeights) -> Result<f64> {
        Ok(self
            .module(w.module)?
            .expected_counts_for(w.area, w.apw, self.exposure))
    }

    /// The JSON document (the `json` field with the module and scale entries refreshed).
    pub fn to_json(&self) -> Value {
        let mut v = self.json.clone();
        if !v.is_object() {
            v = json!({});
        }
        let dirs = (
            v.get("auxil_dir").cloned().unwrap_or(Value::Null),
            v.get("caldb_dir").cloned().unwrap_or(Value::Null),
        );
        let o = v.as_object_mut().expect("object");
        o.insert("seed".into(), json!(self.seed));
        o.insert("exposure".into(), json!(self.exposure));
        o.insert(
            "scales".into(),
            json!({"apscale": self.apscale, "fcxbscale": self.fcxbscale,
                   "intscale": self.intscale, "intnscale": self.intnscale}),
        );
        o.insert("pa_pnt".into(), json!(self.pa_pnt));
        o.insert(
            "calibration".into(),
            json!({"auxil_synthetic": self.synthetic_auxil, "caldb_synthetic": self.synthetic_caldb,
                   "auxil": dirs.0, "caldb": dirs.1}),
        );
        let mut mods = serde_json::Map::new();
        for t in &self.modules {
            mods.insert(t.module.letter().into(), t.to_json());
        }
        o.insert("modules".into(), Value::Object(mods));
        v
    }

    /// Read `truth.json`.
    pub fn read(path: &Path) -> Result<Truth> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Fs {
            path: path.into(),
            source: e,
        })?;
        let v: Value = serde_json::from_str(&text).map_err(|e| SimError::BadJson {
            path: path.into(),
            source: e,
        })?;
        let bad = |what: &str| -> Error {
            SimError::TruthField {
                path: path.into(),
                what: what.to_string(),
            }
            .into()
        };
        let num = |k: &str| v.get(k).and_then(Value::as_f64).ok_or_else(|| bad(k));
        let sc = v.get("scales").ok_or_else(|| bad("scales"))?;
        let scale = |k: &str| sc.get(k).and_then(Value::as_f64).ok_or_else(|| bad(k));
        let cal = v.get("calibration").ok_or_else(|| bad("calibration"))?;
        let flag = |k: &str| cal.get(k).and_then(Value::as_bool).ok_or_else(|| bad(k));
        let mods = v.get("modules").ok_or_else(|| bad("modules"))?;
        let mut modules = Vec::new();
        for m in Module::ALL {
            if let Some(mv) = mods.get(m.letter()) {
                modules.push(
                    ModuleTruth::from_json(m, mv)
                        .ok_or_else(|| bad(&format!("modules.{}", m.letter())))?,
                );
            }
        }
        Ok(Truth {
            seed: v
                .get("seed")
                .and_then(Value::as_u64)
                .ok_or_else(|| bad("seed"))?,
            exposure: num("exposure")?,
            apscale: scale("apscale")?,
            fcxbscale: scale("fcxbscale")?,
            intscale: scale("intscale")?,
            intnscale: scale("intnscale")?,
            synthetic_auxil: flag("auxil_synthetic")?,
            synthetic_caldb: flag("caldb_synthetic")?,
            pa_pnt: num("pa_pnt")?,
            modules,
            json: v,
        })
    }
}
