//! Model presets from the auxiliary `ratios.json`: start values of every background
//! component and the per-detector weights ("ifactors") that scale the internal components
//! between regions. The file's `models` list is read by position, as the original does:
//! apbgd, intbgd, fcxb, intn. They are the model's numbers (start values and ratios of
//! nuskybgd's components, fitted once by its authors), not NuSTAR facts, so they live in
//! `bgmodel` beside the model that uses them.

use crate::error::{ModelError, Result};
use serde_json::Value;
use std::path::Path;

pub use crate::nustar::module::Module;

/// One component's preset for one module: named parameter values (keys lower-case as in
/// the file: `phoindex`, `kt`, `linee`, …) and the optional 4 detector weights.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentPreset {
    /// Component name in XSPEC's numbering (`apec`, `lorentz`, `lorentz_3`, …).
    pub name: String,
    /// Parameter values in file order; links such as `=apbgd:1` are kept as text.
    pub params: Vec<(String, PresetValue)>,
    /// Per-detector weights for DET0..DET3, when the component has them.
    pub ifactors: Option<[f64; 4]>,
}

/// A preset parameter: a number, or a link expression as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetValue {
    Number(f64),
    Link(String),
}

impl ComponentPreset {
    /// Numeric value of parameter `key` (case-insensitive), if it is a number.
    pub fn value(&self, key: &str) -> Option<f64> {
        self.params.iter().find_map(|(k, v)| match v {
            PresetValue::Number(x) if k.eq_ignore_ascii_case(key) => Some(*x),
            _ => None,
        })
    }
}

/// One background source's presets for both modules, components in expression order.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePreset {
    /// Source name as given in the file (`2:apbgd`, …).
    pub label: String,
    /// Components for module A, in order.
    pub a: Vec<ComponentPreset>,
    /// Components for module B, in order.
    pub b: Vec<ComponentPreset>,
}

impl SourcePreset {
    /// Components of one module.
    pub fn module(&self, m: Module) -> &[ComponentPreset] {
        match m {
            Module::A => &self.a,
            Module::B => &self.b,
        }
    }
}

/// All presets of `ratios.json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Presets {
    pub apbgd: SourcePreset,
    pub intbgd: SourcePreset,
    pub fcxb: SourcePreset,
    pub intn: SourcePreset,
}

/// ratios.json not shaped as expected: `what` says where.
fn bad(path: &Path, what: String) -> crate::Error {
    ModelError::BadPresets {
        path: path.into(),
        what,
    }
    .into()
}

fn component(path: &Path, name: &str, v: &Value) -> Result<ComponentPreset> {
    let obj = v
        .as_object()
        .ok_or_else(|| bad(path, format!("component {name}: expected an object")))?;
    let mut params = Vec::new();
    let mut ifactors = None;
    for (k, val) in obj {
        match (k.as_str(), val) {
            ("name", _) => {}
            ("ifactors", Value::Array(a)) => {
                let nums: Vec<f64> = a.iter().filter_map(Value::as_f64).collect();
                if nums.len() != 4 || a.len() != 4 {
                    return Err(bad(
                        path,
                        format!("component {name}: ifactors must be 4 numbers"),
                    ));
                }
                ifactors = Some([nums[0], nums[1], nums[2], nums[3]]);
            }
            (_, Value::Number(n)) => params.push((
                k.clone(),
                PresetValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            )),
            (_, Value::String(s)) => params.push((k.clone(), PresetValue::Link(s.clone()))),
            _ => {
                return Err(bad(
                    path,
                    format!("component {name}: parameter {k} is neither a number nor a link"),
                ))
            }
        }
    }
    Ok(ComponentPreset {
        name: name.to_string(),
        params,
        ifactors,
    })
}

fn source(path: &Path, v: &Value, index: usize) -> Result<SourcePreset> {
    let label = v
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let comps = v
        .get("components")
        .and_then(Value::as_object)
        .ok_or_else(|| bad(path, format!("models[{index}] has no components object")))?;
    let mut a = Vec::new();
    let mut b = Vec::new();
    for (name, per_module) in comps {
        for (m, out) in [("A", &mut a), ("B", &mut b)] {
            let c = per_module.get(m).ok_or_else(|| {
                bad(
                    path,
                    format!("models[{index}] component {name} lacks module {m}"),
                )
            })?;
            out.push(component(path, name, c)?);
        }
    }
    Ok(SourcePreset { label, a, b })
}

impl Presets {
    /// Parse `ratios.json` text; `path` is used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Presets> {
        let v: Value = serde_json::from_str(text).map_err(|source| ModelError::NotJson {
            path: path.into(),
            source,
        })?;
        let models = v
            .get("models")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(path, "no 'models' list".into()))?;
        if models.len() < 4 {
            return Err(ModelError::TooFewPresets {
                path: path.into(),
                entries: models.len(),
            }
            .into());
        }
        Ok(Presets {
            apbgd: source(path, &models[0], 0)?,
            intbgd: source(path, &models[1], 1)?,
            fcxb: source(path, &models[2], 2)?,
            intn: source(path, &models[3], 3)?,
        })
    }

    /// Read and parse a `ratios.json` file.
    pub fn read(path: &Path) -> Result<Presets> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Unreadable {
            path: path.into(),
            source,
        })?;
        Self::parse(path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_components_in_order_with_links_and_ifactors() {
        let text = r#"{"models": [
          {"name": "2:apbgd", "components": {"cutoffpl": {"A": {"phoindex": 1.29, "highecut": 41.13}, "B": {"phoindex": 1.3, "highecut": 41.0}}}},
          {"name": "3:intbgd", "components": {
             "apec": {"A": {"kt": 1.1, "ifactors": [1, 2, 3, 4]}, "B": {"kt": 1.2, "ifactors": [5, 6, 7, 8]}},
             "lorentz": {"A": {"linee": 3.5, "width": 0.4, "ifactors": [0.1, 0.2, 0.3, 0.4]}, "B": {"linee": 3.6, "width": 0.5, "ifactors": [0, 0, 0, 1]}}}},
          {"name": "4:fcxb", "components": {"cutoffpl": {"A": {"name": "cutoffpl", "phoindex": "=apbgd:1"}, "B": {"phoindex": "=apbgd:1"}}}},
          {"name": "5:intn", "components": {"bknpower": {"A": {"breake": 124.0, "ifactors": [1e-5, 2e-5, 3e-5, 4e-5]}, "B": {"breake": 124.0, "ifactors": [1, 1, 1, 1]}}}}
        ]}"#;
        let p = Presets::parse(Path::new("r.json"), text).unwrap();
        assert_eq!(p.apbgd.module(Module::B)[0].value("PhoIndex"), Some(1.3));
        let names: Vec<&str> = p.intbgd.a.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["apec", "lorentz"]);
        assert_eq!(p.intbgd.b[0].ifactors, Some([5.0, 6.0, 7.0, 8.0]));
        assert_eq!(
            p.fcxb.a[0].params,
            vec![("phoindex".to_string(), PresetValue::Link("=apbgd:1".into()))]
        );
        assert_eq!(p.intn.a[0].ifactors.unwrap()[3], 4e-5);
    }

    #[test]
    fn malformed_files_are_named() {
        let e = Presets::parse(Path::new("bad.json"), "{")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.json: not valid JSON"), "{e}");
        let e = Presets::parse(Path::new("r.json"), r#"{"models": []}"#).unwrap_err();
        assert!(e.to_string().contains("4 expected"));
    }
}
