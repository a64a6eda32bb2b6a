//! Model parameters: value, fit step (delta), hard and soft limits, frozen flag, and links
//! (a parameter defined by an expression of others), resolved in dependency order.

use crate::error::{Error, Result, SpectralError};
use crate::spectral::xcm::link::{Expr, ParRef};

/// One parameter of one source and data group.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Component and parameter name (`cutoffpl.PhoIndex`).
    pub name: String,
    pub value: f64,
    /// Fit step; negative (or zero) means frozen, as in save files.
    pub delta: f64,
    pub min: f64,
    pub bot: f64,
    pub top: f64,
    pub max: f64,
    /// Link expression, when the parameter is tied to others.
    pub link: Option<Expr>,
}

impl Param {
    /// Varied by the fit: not frozen and not linked.
    pub fn is_free(&self) -> bool {
        self.delta > 0.0 && self.link.is_none()
    }
}

/// Address of a parameter in a session: `session.params[source][index]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Addr {
    /// The source, 0-based into the session's sources.
    pub source: usize,
    /// The parameter, 0-based over all data groups of the source (XSPEC's `pN` is
    /// `index + 1`).
    pub index: usize,
}

impl Addr {
    /// Parameter `index` (0-based) of source `source` (0-based).
    pub fn new(source: usize, index: usize) -> Addr {
        Addr { source, index }
    }
}

/// Evaluate every link in dependency order. `resolve` maps a reference seen in source `s`
/// to an address. Cycles and references to missing parameters are errors.
pub fn resolve_links(
    params: &mut [Vec<Param>],
    resolve: &dyn Fn(usize, &ParRef) -> Option<Addr>,
) -> Result<()> {
    // 0 = not visited, 1 = in progress, 2 = done
    let mut state: Vec<Vec<u8>> = params.iter().map(|p| vec![0; p.len()]).collect();
    fn visit(
        a: Addr,
        params: &mut [Vec<Param>],
        state: &mut [Vec<u8>],
        resolve: &dyn Fn(usize, &ParRef) -> Option<Addr>,
    ) -> Result<f64> {
        match state[a.source][a.index] {
            2 => return Ok(params[a.source][a.index].value),
            1 => {
                return Err(Error::from(SpectralError::LinkCycle {
                    index: a.index + 1,
                    name: params[a.source][a.index].name.to_string(),
                }))
            }
            _ => {}
        }
        let Some(link) = params[a.source][a.index].link.clone() else {
            state[a.source][a.index] = 2;
            return Ok(params[a.source][a.index].value);
        };
        state[a.source][a.index] = 1;
        let mut vals = Vec::new();
        for r in link.refs() {
            let t = resolve(a.source, r).ok_or_else(|| {
                Error::from(SpectralError::DanglingLink {
                    index: a.index + 1,
                    target: format!(
                        "{}p{}",
                        r.model
                            .as_ref()
                            .map(|m| format!("{m}:"))
                            .unwrap_or_default(),
                        r.index
                    ),
                })
            })?;
            vals.push((r.clone(), visit(t, params, state, resolve)?));
        }
        let v = link.eval(&|r| {
            vals.iter()
                .find(|(q, _)| q == r)
                .map(|(_, v)| *v)
                .unwrap_or(f64::NAN)
        });
        params[a.source][a.index].value = v;
        state[a.source][a.index] = 2;
        Ok(v)
    }
    for s in 0..params.len() {
        for i in 0..params[s].len() {
            visit(Addr::new(s, i), params, &mut state, resolve)?;
        }
    }
    Ok(())
}
