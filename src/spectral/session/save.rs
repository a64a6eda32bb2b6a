//! Writing a session back as a save file, in XSPEC's layout.

use super::load::written_param;
use super::Session;
use crate::spectral::params::Param;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};

impl Session {
    /// The save file with the current parameter values written into each model. Links to
    /// parameters XSPEC has not read yet at that point (higher index in the same model, or
    /// a later source) are written as `/` with a `newpar` after the last model, as XSPEC
    /// saves them.
    ///
    /// A source with an unknown component (such as NuSTAR's `nuabs`) keeps each parameter
    /// line as written unless that parameter was changed, so its links come back as written.
    pub fn to_xcm(&self) -> XcmFile {
        let mut x = self.xcm.clone();
        let mut deferred = Vec::new();
        for (si, s) in self.sources.iter().enumerate() {
            let Item::Cmd {
                params: written, ..
            } = &self.xcm.items[s.item]
            else {
                continue;
            };
            let mut lines = Vec::new();
            for (i, p) in self.params[si].iter().enumerate() {
                let kept = match (s.per_group, written.get(i)) {
                    (None, Some(l)) if unchanged(p, &written_param(i, l)) => Some(l.clone()),
                    _ => None,
                };
                lines.push(kept.unwrap_or_else(|| self.param_line(si, i, p, &mut deferred)));
            }
            if let Item::Cmd { params, .. } = &mut x.items[s.item] {
                *params = lines;
            }
        }
        // earlier newpar lines are part of the parameters now
        let keep: Vec<bool> = x
            .items
            .iter()
            .map(|it| !matches!(it, Item::Cmd { name, .. } if name == "newpar"))
            .collect();
        let last_model = x
            .items
            .iter()
            .rposition(|it| matches!(it, Item::Cmd { name, .. } if name == "model"));
        let mut items = Vec::new();
        let mut lines = Vec::new();
        for (k, it) in x.items.iter().enumerate() {
            if keep[k] {
                items.push(it.clone());
                lines.push(x.lines[k]);
            }
            if Some(k) == last_model {
                for d in &deferred {
                    items.push(d.clone());
                    lines.push(x.lines[k]);
                }
            }
        }
        x.items = items;
        x.lines = lines;
        x
    }

    /// The line for parameter `i` of source `si`. Links to parameters XSPEC has not read
    /// yet at that point (higher index in the same model, or a later source) become `/`
    /// with a `newpar` pushed to `deferred`.
    fn param_line(&self, si: usize, i: usize, p: &Param, deferred: &mut Vec<Item>) -> ParamLine {
        let s = &self.sources[si];
        let Some(e) = &p.link else {
            if s.per_group.is_none() && !(p.min.is_finite() && p.max.is_finite()) {
                // a parameter of an unknown component whose line gave no limits
                return ParamLine::Partial(vec![p.value, p.delta]);
            }
            return ParamLine::Full([p.value, p.delta, p.min, p.bot, p.top, p.max]);
        };
        let forward = e.refs().iter().any(|r| {
            self.addr(r).is_some_and(|a| {
                (a.source == si && a.index > i) || self.sources[a.source].number > s.number
            })
        });
        if !forward {
            return ParamLine::Link(e.clone());
        }
        let target = match &s.name {
            Some(n) => format!("{n}:{}", i + 1),
            None => format!("{}", i + 1),
        };
        deferred.push(Item::Cmd {
            name: "newpar".into(),
            args: format!("{target} = {}", e.to_text()),
            params: Vec::new(),
        });
        ParamLine::Default
    }
}

/// Whether `p` is still what its written line `w` gave (links compared as expressions,
/// since a link's value is computed).
fn unchanged(p: &Param, w: &Param) -> bool {
    let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
    match (&p.link, &w.link) {
        (Some(a), Some(b)) => a == b,
        (None, None) => [
            (p.value, w.value),
            (p.delta, w.delta),
            (p.min, w.min),
            (p.bot, w.bot),
            (p.top, w.top),
            (p.max, w.max),
        ]
        .iter()
        .all(|&(a, b)| same(a, b)),
        _ => false,
    }
}
