//! What a run remembers between invocations (`run.json` in the work folder): per step, the
//! values it depended on, the size and modification time of each input as they were when
//! it finished, its outputs, its time and status; and the provenance of the whole run.

use crate::error::{PipelineError, Result};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

pub use crate::io::stamp::stamp;

/// One step as the last run left it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    /// The configuration values and file lists the step depends on, as text.
    pub fingerprint: String,
    /// Each input's stamp when the step finished.
    pub inputs: Vec<(PathBuf, Option<(u64, u128)>)>,
    pub outputs: Vec<PathBuf>,
    pub seconds: f64,
    /// "ran", or "failed: …" (a skipped step keeps the record of its last run).
    pub status: String,
    pub detail: String,
    /// What the report shows of the step (fit statistic, predicted counts, …).
    pub facts: Value,
}

impl StepState {
    /// True when nothing the step depends on changed and its outputs are all there.
    pub fn up_to_date(&self, fingerprint: &str, inputs: &[PathBuf]) -> bool {
        self.status == "ran"
            && self.fingerprint == fingerprint
            && self.inputs.len() == inputs.len()
            && self
                .inputs
                .iter()
                .zip(inputs)
                .all(|((p, s), q)| p == q && *s == stamp(q) && s.is_some())
            && !self.outputs.is_empty()
            && self.outputs.iter().all(|o| o.exists())
    }

    fn to_json(&self) -> Value {
        let inputs: Vec<Value> = self
            .inputs
            .iter()
            .map(|(p, s)| match s {
                Some((len, t)) => json!([p.display().to_string(), len, t.to_string()]),
                None => json!([p.display().to_string(), null, null]),
            })
            .collect();
        json!({
            "fingerprint": self.fingerprint,
            "status": self.status,
            "seconds": self.seconds,
            "detail": self.detail,
            "facts": self.facts,
            "inputs": inputs,
            "outputs": self.outputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        })
    }

    fn from_json(v: &Value) -> Option<StepState> {
        let inputs = v["inputs"]
            .as_array()?
            .iter()
            .map(|i| {
                let p = PathBuf::from(i.get(0)?.as_str()?);
                let s = match (i.get(1)?.as_u64(), i.get(2)?.as_str()) {
                    (Some(len), Some(t)) => Some((len, t.parse().ok()?)),
                    _ => None,
                };
                Some((p, s))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(StepState {
            fingerprint: v["fingerprint"].as_str()?.to_string(),
            inputs,
            outputs: v["outputs"]
                .as_array()?
                .iter()
                .filter_map(|o| o.as_str().map(PathBuf::from))
                .collect(),
            seconds: v["seconds"].as_f64().unwrap_or(0.0),
            status: v["status"].as_str()?.to_string(),
            detail: v["detail"].as_str().unwrap_or("").to_string(),
            facts: v["facts"].clone(),
        })
    }
}

/// The state file: every step's state by name, and the run's provenance.
#[derive(Debug, Clone, Default)]
pub struct RunState {
    pub steps: Vec<(String, StepState)>,
    pub provenance: Map<String, Value>,
}

impl RunState {
    /// The state in `path`; empty when the file is absent or unreadable (every step runs).
    pub fn load(path: &Path) -> RunState {
        let Some(v) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        else {
            return RunState::default();
        };
        let steps = v["steps"]
            .as_object()
            .map(|o| {
                o.iter()
                    .filter_map(|(k, s)| StepState::from_json(s).map(|s| (k.clone(), s)))
                    .collect()
            })
            .unwrap_or_default();
        RunState {
            steps,
            provenance: Map::new(),
        }
    }

    /// The state of step `name`, if a run recorded it.
    pub fn get(&self, name: &str) -> Option<&StepState> {
        self.steps.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// Record step `name`'s state, replacing an older record.
    pub fn set(&mut self, name: &str, s: StepState) {
        match self.steps.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = s,
            None => self.steps.push((name.to_string(), s)),
        }
    }

    /// Write the state to `path` (temporary file, then rename), so an interrupted run leaves
    /// the last complete state.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut steps = Map::new();
        for (n, s) in &self.steps {
            steps.insert(n.clone(), s.to_json());
        }
        let mut v = Map::new();
        v.insert("nuskybgd".into(), json!(env!("CARGO_PKG_VERSION")));
        for (k, x) in &self.provenance {
            v.insert(k.clone(), x.clone());
        }
        v.insert("steps".into(), Value::Object(steps));
        let text = serde_json::to_string_pretty(&Value::Object(v)).unwrap_or_default() + "\n";
        let tmp = path.with_extension("json.tmp");
        let fail = |e| PipelineError::StateWrite {
            path: path.into(),
            source: e,
        };
        std::fs::write(&tmp, text).map_err(fail)?;
        std::fs::rename(&tmp, path).map_err(fail)?;
        Ok(())
    }
}
