//! Writing a session back as a save file, in XSPEC's layout.

use super::Session;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};

impl Session {
    /// The save file with the current parameter values written into each model. Links to
    /// parameters XSPEC has not read yet at that point (higher index in the same model, or
    /// a later source) are written as `/` with a `newpar` after the last model, as XSPEC
    /// saves them.
    pub fn to_xcm(&self) -> XcmFile {
        let mut x = self.xcm.clone();
        let mut deferred = Vec::new();
        for (si, s) in self.sources.iter().enumerate() {
            if s.per_group.is_none() {
                continue;
            }
            let mut lines = Vec::new();
            for (i, p) in self.params[si].iter().enumerate() {
                lines.push(match &p.link {
                    Some(e) => {
                        let forward = e.refs().iter().any(|r| {
                            self.addr(Some(si), r).is_some_and(|(s2, j)| {
                                (s2 == si && j > i) || self.sources[s2].number > s.number
                            })
                        });
                        if forward {
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
                        } else {
                            ParamLine::Link(e.clone())
                        }
                    }
                    None => ParamLine::Full([p.value, p.delta, p.min, p.bot, p.top, p.max]),
                });
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
}
