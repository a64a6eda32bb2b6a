//! Building a session from a save file in steps, as data, model and statistic are kept
//! apart: read the plan ([`LoadPlan`]), build the parameters of its sources, apply the
//! edits (links, newpar, freeze/thaw), then attach the data and the ignore/notice ranges.

use super::plan::LoadPlan;
use super::{Session, Source};
use crate::error::{Error, Result, SpectralError};
use crate::spectral::params::{Addr, Param};
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use crate::spectral::xcm::link::{Expr, ParRef};
use std::path::Path;

fn default_param(p: &crate::spectral::models::ParamSpec, comp: &str) -> Param {
    Param {
        name: format!("{comp}.{}", p.name),
        value: p.value,
        delta: p.delta,
        min: p.min,
        bot: p.bot,
        top: p.top,
        max: p.max,
        link: None,
    }
}

/// A parameter of an unknown component, from its line alone.
pub(super) fn written_param(k: usize, line: &ParamLine) -> Param {
    let mut p = Param {
        name: format!("par{}", k + 1),
        value: f64::NAN,
        delta: -1.0,
        min: f64::NEG_INFINITY,
        bot: f64::NEG_INFINITY,
        top: f64::INFINITY,
        max: f64::INFINITY,
        link: None,
    };
    match line {
        ParamLine::Full(x) => {
            (p.value, p.delta, p.min, p.bot, p.top, p.max) = (x[0], x[1], x[2], x[3], x[4], x[5]);
        }
        ParamLine::Partial(x) => {
            p.value = x[0];
            p.delta = x.get(1).copied().unwrap_or(-1.0);
        }
        ParamLine::Link(e) => p.link = Some(e.clone()),
        ParamLine::Default | ParamLine::DefaultRest => {}
    }
    p
}

/// Overwrite `prm` with what a parameter line gives (a link, values, or nothing).
fn apply_line(prm: &mut Param, line: Option<&ParamLine>, rest_default: &mut bool) {
    match line {
        Some(ParamLine::Full(x)) => {
            *prm = Param {
                value: x[0],
                delta: x[1],
                min: x[2],
                bot: x[3],
                top: x[4],
                max: x[5],
                link: None,
                ..prm.clone()
            };
        }
        Some(ParamLine::Partial(x)) => {
            prm.link = None;
            let fields = [
                &mut prm.value,
                &mut prm.delta,
                &mut prm.min,
                &mut prm.bot,
                &mut prm.top,
            ];
            for (f, val) in fields.into_iter().zip(x) {
                *f = *val;
            }
        }
        Some(ParamLine::Link(e)) => prm.link = Some(e.clone()),
        Some(ParamLine::DefaultRest) => *rest_default = true,
        Some(ParamLine::Default) | None => {}
    }
}

/// The parameter lines written under a source's `model` command.
fn model_lines<'a>(xcm: &'a XcmFile, s: &Source) -> &'a [ParamLine] {
    let Item::Cmd { params: lines, .. } = &xcm.items[s.item] else {
        unreachable!()
    };
    lines
}

/// The parameters of every source (one list each, P per data group) and the number of
/// data groups they span (at least 1; without data, as many as the lines of a source give).
fn build_params(
    xcm: &XcmFile,
    path: &Path,
    sources: &[Source],
    ngroups: usize,
) -> Result<(Vec<Vec<Param>>, usize)> {
    let mut params: Vec<Vec<Param>> = Vec::new();
    let mut ngroups_eff = ngroups.max(1);
    for s in sources {
        let lines = model_lines(xcm, s);
        let Some(p) = s.per_group else {
            // unknown components: keep the parameters as written, so links, newpar and
            // the description still work; evaluating the source is an error
            params.push(
                lines
                    .iter()
                    .enumerate()
                    .map(|(k, l)| written_param(k, l))
                    .collect(),
            );
            continue;
        };
        let g = if ngroups == 0 && p > 0 {
            (lines.len() / p).max(1)
        } else {
            ngroups_eff
        };
        ngroups_eff = ngroups_eff.max(g);
        params.push(source_params(xcm, path, s, p, g)?);
    }
    Ok((params, ngroups_eff))
}

/// The `p * g` parameters of source `s` (P = `p` per group, `g` groups): defaults of its
/// components, groups past the first linked to the first, overwritten by its lines.
fn source_params(xcm: &XcmFile, path: &Path, s: &Source, p: usize, g: usize) -> Result<Vec<Param>> {
    let lines = model_lines(xcm, s);
    let at = |m: String| {
        Error::from(SpectralError::BadLine {
            path: path.to_path_buf(),
            line: xcm.lines[s.item],
            msg: m,
        })
    };
    if p > 0 && lines.len() > p * g {
        return Err(at(format!(
            "model has {} parameter lines, expected {} ({} per data group x {g})",
            lines.len(),
            p * g,
            p
        )));
    }
    let defaults_rest = lines.iter().any(|l| matches!(l, ParamLine::DefaultRest));
    // whole data groups may be left out (they follow the first group), a partial one not
    if p > 0 && !lines.len().is_multiple_of(p) && !defaults_rest {
        return Err(at(format!(
            "model has {} parameter lines, expected {} per data group ({} for {g} groups); end the list with '/*' to take defaults for the rest",
            lines.len(),
            p,
            p * g
        )));
    }
    let specs_p = s.expr.params()?;
    let comps: Vec<String> = s
        .expr
        .components
        .iter()
        .flat_map(|c| std::iter::repeat_n(c.name.clone(), c.params().map_or(0, |v| v.len())))
        .collect();
    let mut v = Vec::with_capacity(p * g);
    let mut rest_default = false;
    for k in 0..p * g {
        let mut prm = default_param(&specs_p[k % p], &comps[k % p]);
        if k >= p {
            // a bare pN would name the unnamed model's parameter (XSPEC's rule)
            prm.link = Some(Expr::Ref(ParRef {
                model: s.name.clone(),
                index: k % p + 1,
            }));
        }
        let line = if rest_default { None } else { lines.get(k) };
        apply_line(&mut prm, line, &mut rest_default);
        if prm.link.is_none() && (prm.value < prm.min || prm.value > prm.max) {
            return Err(at(format!(
                "parameter {} ({}) = {} is outside its limits {} .. {}",
                k + 1,
                prm.name,
                prm.value,
                prm.min,
                prm.max
            )));
        }
        v.push(prm);
    }
    Ok(v)
}

impl Session {
    /// Build a session from a save file. `base` is the directory relative paths start
    /// from (the save file's). With `load` false no data or response file is read.
    pub fn from_xcm(xcm: &XcmFile, path: &Path, base: &Path, load: bool) -> Result<Session> {
        let plan = LoadPlan::read(xcm, path, base)?;
        let mut sess = Session::build_model(xcm, path, &plan)?;
        sess.apply_edits(path, &plan)?;
        if load {
            sess.attach_data(&plan.specs)?;
            sess.apply_selections(&plan.selections);
        } else {
            sess.note_missing(&plan.specs);
        }
        Ok(sess)
    }

    /// The session's sources and parameters as the plan's models and lines give them,
    /// with no data yet.
    fn build_model(xcm: &XcmFile, path: &Path, plan: &LoadPlan) -> Result<Session> {
        let (params, ngroups) = build_params(xcm, path, &plan.sources, plan.ngroups())?;
        Ok(Session {
            statistic: plan.statistic,
            sources: plan.sources.clone(),
            params,
            data: Vec::new(),
            ngroups,
            missing: Vec::new(),
            xcm: xcm.clone(),
            cache: Default::default(),
        })
    }

    /// Check the links, apply newpar then freeze/thaw, and resolve the links.
    fn apply_edits(&mut self, path: &Path, plan: &LoadPlan) -> Result<()> {
        self.check_links(path)?;
        self.apply_newpars(path, &plan.newpars)?;
        self.apply_freezes(&plan.freezes);
        self.resolve().map_err(|e| e.in_file(path))
    }

    /// The `newpar` commands (line, arguments) in order; with unknown components a failing
    /// one is noted in `missing` and skipped, since the parameter count is unknown.
    fn apply_newpars(&mut self, path: &Path, newpars: &[(usize, String)]) -> Result<()> {
        let opaque = self.sources.iter().any(|s| s.per_group.is_none());
        for (line, args) in newpars {
            if let Err(e) = self.apply_newpar(args) {
                if !opaque {
                    return Err(Error::from(SpectralError::LineFailed {
                        path: path.to_path_buf(),
                        line: *line,
                        inner: Box::new(e),
                    }));
                }
                self.missing.push((
                    format!("line {line}: newpar {args}"),
                    format!("skipped: {}", e.message()),
                ));
            }
        }
        Ok(())
    }

    /// `freeze` (true) / `thaw` (false) of each `[model:]idx` named: the sign of delta.
    fn apply_freezes(&mut self, freezes: &[(bool, String)]) {
        for (freeze, args) in freezes {
            for tok in args.split(|c: char| c.is_whitespace() || c == ',') {
                if let Some(a) = self.parse_addr(tok) {
                    let d = &mut self.params[a.source][a.index].delta;
                    *d = if *freeze {
                        -d.abs()
                    } else {
                        d.abs().max(1e-12)
                    };
                }
            }
        }
    }

    /// Every link in a model's parameter lines names a parameter that exists; otherwise an
    /// error at that line, since XSPEC refuses such a link as it reads it.
    fn check_links(&self, path: &Path) -> Result<()> {
        for s in &self.sources {
            let Item::Cmd { params: lines, .. } = &self.xcm.items[s.item] else {
                continue;
            };
            for (k, l) in lines.iter().enumerate() {
                if let ParamLine::Link(e) = l {
                    // parameter lines follow their model line one per line
                    let line = self.xcm.lines[s.item] + 1 + k;
                    self.check_refs(e).map_err(|m| {
                        Error::from(SpectralError::BadLine {
                            path: path.to_path_buf(),
                            line,
                            msg: m,
                        })
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Each reference of `e` names an existing parameter (XSPEC's rule, see `Names`).
    fn check_refs(&self, e: &Expr) -> std::result::Result<(), String> {
        let Some(r) = e.refs().into_iter().find(|r| self.addr(r).is_none()) else {
            return Ok(());
        };
        let text = e.to_text();
        let unnamed = self.sources.iter().any(|s| s.name.is_none());
        let n = r.index;
        Err(match &r.model {
            None if !unnamed => format!(
                "link '= {text}': p{n} does not exist: a bare p{n} is parameter {n} of the \
                 unnamed model (source 1), and this file has none; write name:p{n} for a named \
                 source's parameter (XSPEC refuses it too: no matching parameter for parameter \
                 reference p{n})"
            ),
            None => {
                let have = self.sources.iter().position(|s| s.name.is_none());
                let len = have.map_or(0, |i| self.params[i].len());
                format!("link '= {text}': p{n} does not exist (source 1 has {len} parameters)")
            }
            Some(m) => format!("link '= {text}': {m}:p{n} does not exist"),
        })
    }

    /// `[model:]idx` → address.
    fn parse_addr(&self, tok: &str) -> Option<Addr> {
        let tok = tok.trim();
        if tok.is_empty() {
            return None;
        }
        let (m, i) = match tok.rsplit_once(':') {
            Some((m, i)) => (Some(m.to_string()), i),
            None => (None, tok),
        };
        let idx: usize = i.trim_start_matches(['p', 'P']).parse().ok()?;
        self.addr(&ParRef {
            model: m,
            index: idx,
        })
    }

    /// Apply `newpar [model:]idx = expr` or `newpar [model:]idx value [delta …]`.
    fn apply_newpar(&mut self, args: &str) -> Result<()> {
        let (target, rest) = match args.find('=') {
            Some(eq) => (args[..eq].trim(), Some(args[eq + 1..].to_string())),
            None => {
                let mut it = args.trim().splitn(2, char::is_whitespace);
                (it.next().unwrap_or(""), None)
            }
        };
        let a = self
            .parse_addr(target.split_whitespace().next().unwrap_or(""))
            .ok_or_else(|| {
                Error::from(SpectralError::BadNewpar {
                    msg: format!("no parameter '{target}'"),
                })
            })?;
        match rest {
            Some(e) => {
                let e = Expr::parse(&e)?;
                self.check_refs(&e)
                    .map_err(|m| SpectralError::BadLink { msg: m })?;
                self.params[a.source][a.index].link = Some(e);
            }
            None => {
                let vals = args
                    .trim()
                    .split_once(char::is_whitespace)
                    .map(|x| x.1)
                    .unwrap_or("");
                let v: Vec<f64> = match ParamLine::parse(vals) {
                    Ok(ParamLine::Full(x)) => x.to_vec(),
                    Ok(ParamLine::Partial(x)) => x,
                    Ok(_) => Vec::new(),
                    Err(m) => return Err(Error::from(SpectralError::BadNewpar { msg: m })),
                };
                if let Some(first) = v.first() {
                    let p = &mut self.params[a.source][a.index];
                    p.link = None;
                    p.value = *first;
                    if let Some(d) = v.get(1) {
                        p.delta = *d;
                    }
                }
            }
        }
        Ok(())
    }
}
