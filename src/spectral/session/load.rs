//! Building a session from a save file: data, responses, ignore ranges, models,
//! parameter lines, newpar/freeze/thaw.

use super::{Background, DataSet, Resp, Session, Source};
use crate::error::{Error, Result};
use crate::spectral::expr::Expression;
use crate::spectral::grouping::{apply, parse_selection, Bins, Selection};
use crate::spectral::params::{Addr, Param};
use crate::spectral::pha::Spectrum;
use crate::spectral::response::{Arf, Rmf};
use crate::spectral::stat::Statistic;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use crate::spectral::xcm::link::{Expr, ParRef};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Default)]
struct DataSpec {
    group: usize,
    file: String,
    dir: PathBuf,
    resp: BTreeMap<usize, String>,
    arf: BTreeMap<usize, String>,
    /// Background set by `backgrnd` (the file resolved; "none" switches it off).
    back: Option<String>,
}

fn gs(token: &str) -> Option<(usize, usize)> {
    let (a, b) = token.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

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

/// A companion file named in a spectrum: tried in the current directory, then beside the
/// spectrum.
fn find(cwd: &Path, spec_dir: &Path, name: &str) -> String {
    let a = cwd.join(name);
    if a.exists() {
        return a.to_string_lossy().into_owned();
    }
    spec_dir.join(name).to_string_lossy().into_owned()
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

impl Session {
    /// Build a session from a save file. `base` is the directory relative paths start
    /// from (the save file's). With `load` false no data or response file is read.
    pub fn from_xcm(xcm: &XcmFile, path: &Path, base: &Path, load: bool) -> Result<Session> {
        let mut cwd = base.to_path_buf();
        let mut statistic = Statistic::Chi;
        let mut specs: BTreeMap<usize, DataSpec> = BTreeMap::new();
        let mut selections: Vec<(bool, Selection)> = Vec::new();
        let mut sources: Vec<Source> = Vec::new();
        let mut newpars: Vec<(usize, String)> = Vec::new();
        let mut freezes: Vec<(bool, String)> = Vec::new();
        for (i, it) in xcm.items.iter().enumerate() {
            let Item::Cmd { name, args, .. } = it else {
                continue;
            };
            let line = xcm.lines[i];
            let err = |m: String| Error::at_line(path, line, m);
            match name.as_str() {
                "cd" => cwd = cwd.join(args.trim()),
                "statistic" => {
                    let w: Vec<&str> = args.split_whitespace().collect();
                    if let Some(s) = w.first() {
                        if w.len() == 1 || w[1].parse::<usize>().is_err() {
                            statistic = Statistic::parse(s).ok_or_else(|| {
                                err(format!("statistic {s} is not available (chi, cstat)"))
                            })?;
                        }
                    }
                }
                "data" => {
                    let mut next = specs.keys().max().copied().unwrap_or(0) + 1;
                    let mut at: Option<(usize, usize)> = None;
                    for tok in args.split_whitespace() {
                        if let Some(p) = gs(tok) {
                            at = Some(p);
                            continue;
                        }
                        if tok.eq_ignore_ascii_case("none") {
                            continue;
                        }
                        let (g, s) = at.take().unwrap_or((1, next));
                        next = s + 1;
                        specs.insert(
                            s,
                            DataSpec {
                                group: g,
                                file: tok.to_string(),
                                dir: cwd.clone(),
                                ..Default::default()
                            },
                        );
                    }
                }
                "response" | "arf" => {
                    let w: Vec<&str> = args.split_whitespace().collect();
                    let (src, sp, file) = match w.as_slice() {
                        [t, f, ..] if gs(t).is_some() => (gs(t).unwrap().0, gs(t).unwrap().1, *f),
                        [f] => (1, 1, *f),
                        _ => return Err(err(format!("cannot read '{name} {args}'"))),
                    };
                    let full = cwd.join(file).to_string_lossy().into_owned();
                    let d = specs.entry(sp).or_default();
                    if name == "response" {
                        d.resp.insert(src, full);
                    } else {
                        d.arf.insert(src, full);
                    }
                }
                "backgrnd" => {
                    let w: Vec<&str> = args.split_whitespace().collect();
                    let (sp, file) = match w.as_slice() {
                        [n, f] => (
                            n.rsplit(':')
                                .next()
                                .and_then(|x| x.parse().ok())
                                .ok_or_else(|| err(format!("cannot read '{name} {args}'")))?,
                            *f,
                        ),
                        [f] => (1, *f),
                        _ => return Err(err(format!("cannot read '{name} {args}'"))),
                    };
                    let full = if file.eq_ignore_ascii_case("none") {
                        "none".to_string()
                    } else {
                        cwd.join(file).to_string_lossy().into_owned()
                    };
                    specs.entry(sp).or_default().back = Some(full);
                }
                "ignore" | "notice" => selections.push((
                    name == "notice",
                    parse_selection(args).map_err(|e| err(e.msg))?,
                )),
                "model" => {
                    let a = args.trim();
                    let (number, mname, text) = match a.split_once(char::is_whitespace) {
                        Some((h, rest))
                            if h.split_once(':')
                                .is_some_and(|(n, _)| n.parse::<usize>().is_ok()) =>
                        {
                            let (n, nm) = h.split_once(':').unwrap();
                            (
                                n.parse().unwrap(),
                                (!nm.is_empty()).then(|| nm.to_string()),
                                rest,
                            )
                        }
                        _ => (1, None, a),
                    };
                    let expr = Expression::parse(text).map_err(|e| err(e.msg))?;
                    let per_group = expr.params().ok().map(|p| p.len());
                    sources.retain(|s| s.number != number);
                    sources.push(Source {
                        number,
                        name: mname,
                        expr,
                        per_group,
                        item: i,
                    });
                }
                "newpar" | "rnewpar" if name == "newpar" => newpars.push((line, args.clone())),
                "freeze" | "thaw" => freezes.push((name == "freeze", args.clone())),
                _ => {}
            }
        }
        sources.sort_by_key(|s| s.number);
        let ngroups = specs.values().map(|d| d.group).max().unwrap_or(0);

        // parameters
        let mut params: Vec<Vec<Param>> = Vec::new();
        let mut ngroups_eff = ngroups.max(1);
        for s in &sources {
            let Item::Cmd { params: lines, .. } = &xcm.items[s.item] else {
                unreachable!()
            };
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
            let specs_p = s.expr.params()?;
            let comps: Vec<String> = s
                .expr
                .components
                .iter()
                .flat_map(|c| {
                    std::iter::repeat(c.name.clone()).take(c.params().map_or(0, |v| v.len()))
                })
                .collect();
            let g = if ngroups == 0 && p > 0 {
                (lines.len() / p).max(1)
            } else {
                ngroups_eff
            };
            ngroups_eff = ngroups_eff.max(g);
            if p > 0 && lines.len() > p * g {
                return Err(Error::at_line(
                    path,
                    xcm.lines[s.item],
                    format!(
                        "model has {} parameter lines, expected {} ({} per data group x {g})",
                        lines.len(),
                        p * g,
                        p
                    ),
                ));
            }
            let mut v = Vec::with_capacity(p * g);
            let mut rest_default = false;
            for k in 0..p * g {
                let spec = &specs_p[k % p];
                let mut prm = default_param(spec, &comps[k % p]);
                if k >= p {
                    // a bare pN would name the unnamed model's parameter (XSPEC's rule)
                    prm.link = Some(Expr::Ref(ParRef {
                        model: s.name.clone(),
                        index: k % p + 1,
                    }));
                }
                let line = if rest_default { None } else { lines.get(k) };
                match line {
                    Some(ParamLine::Full(x)) => {
                        prm = Param {
                            value: x[0],
                            delta: x[1],
                            min: x[2],
                            bot: x[3],
                            top: x[4],
                            max: x[5],
                            link: None,
                            ..prm
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
                    Some(ParamLine::DefaultRest) => rest_default = true,
                    Some(ParamLine::Default) | None => {}
                }
                if prm.link.is_none() && (prm.value < prm.min || prm.value > prm.max) {
                    return Err(Error::at_line(
                        path,
                        xcm.lines[s.item],
                        format!(
                            "parameter {} ({}) = {} is outside its limits {} .. {}",
                            k + 1,
                            prm.name,
                            prm.value,
                            prm.min,
                            prm.max
                        ),
                    ));
                }
                v.push(prm);
            }
            params.push(v);
        }

        let mut sess = Session {
            statistic,
            sources,
            params,
            data: Vec::new(),
            ngroups: ngroups_eff,
            missing: Vec::new(),
            xcm: xcm.clone(),
            cache: Default::default(),
        };
        sess.check_links(path)?;
        let opaque = sess.sources.iter().any(|s| s.per_group.is_none());
        for (line, args) in newpars {
            if let Err(e) = sess.apply_newpar(&args) {
                // with unknown components the parameter count is unknown: report, go on
                if !opaque {
                    return Err(Error::at_line(path, line, e.msg));
                }
                sess.missing.push((
                    format!("line {line}: newpar {args}"),
                    format!("skipped: {}", e.msg),
                ));
                continue;
            }
        }
        for (freeze, args) in freezes {
            for tok in args.split(|c: char| c.is_whitespace() || c == ',') {
                if let Some(a) = sess.parse_addr(tok) {
                    let d = &mut sess.params[a.0][a.1].delta;
                    *d = if freeze { -d.abs() } else { d.abs().max(1e-12) };
                }
            }
        }
        sess.resolve().map_err(|e| e.in_file(path))?;
        if !load {
            for d in specs.values() {
                if !d.dir.join(&d.file).exists() {
                    sess.missing
                        .push((d.file.clone(), "data file not found".into()));
                }
                for f in d
                    .resp
                    .values()
                    .chain(d.arf.values())
                    .chain(d.back.iter().filter(|b| *b != "none"))
                {
                    if !Path::new(f).exists() {
                        sess.missing
                            .push((f.clone(), "response file not found".into()));
                    }
                }
            }
            return Ok(sess);
        }
        let mut cache: BTreeMap<String, Arc<Rmf>> = BTreeMap::new();
        let mut arfs: BTreeMap<String, Arc<Arf>> = BTreeMap::new();
        for (&number, d) in &specs {
            let fpath = d.dir.join(&d.file);
            let sp = Spectrum::read(fpath.to_str().unwrap_or(&d.file))?;
            let bins = Bins::of(&sp);
            let mut resp = vec![None; sess.sources.len()];
            for (si, s) in sess.sources.iter().enumerate() {
                let sdir = sp.path.parent().map(Path::to_path_buf).unwrap_or_default();
                let (rmf, arf) = match (d.resp.get(&s.number), s.number) {
                    (Some(r), _) => (Some(r.clone()), d.arf.get(&s.number).cloned()),
                    (None, 1) => (
                        sp.respfile.as_ref().map(|r| find(&d.dir, &sdir, r)),
                        d.arf
                            .get(&1)
                            .cloned()
                            .or_else(|| sp.ancrfile.as_ref().map(|a| find(&d.dir, &sdir, a))),
                    ),
                    _ => (None, None),
                };
                let Some(rmf) = rmf else { continue };
                let r = match cache.get(&rmf) {
                    Some(r) => r.clone(),
                    None => {
                        let r = Arc::new(Rmf::read(Path::new(&rmf))?);
                        cache.insert(rmf.clone(), r.clone());
                        r
                    }
                };
                if r.nchan != sp.len() {
                    return Err(Error::file(
                        &r.path,
                        format!(
                            "RMF has {} channels but spectrum {} has {}",
                            r.nchan,
                            sp.path.display(),
                            sp.len()
                        ),
                    ));
                }
                let a = match arf {
                    None => None,
                    Some(a) => Some(match arfs.get(&a) {
                        Some(x) => x.clone(),
                        None => {
                            let x = Arc::new(Arf::read(Path::new(&a))?);
                            x.check_against(&r)?;
                            arfs.insert(a.clone(), x.clone());
                            x
                        }
                    }),
                };
                resp[si] = Some(Resp { rmf: r, arf: a });
            }
            let sdir = sp.path.parent().map(Path::to_path_buf).unwrap_or_default();
            let back = match &d.back {
                Some(b) if b == "none" => None,
                Some(b) => Some(b.clone()),
                None => sp.backfile.as_ref().map(|b| find(&d.dir, &sdir, b)),
            };
            let background = match back {
                None => None,
                Some(b) => {
                    let bs = Spectrum::read(&b).map_err(|e| {
                        Error::file(
                            &fpath,
                            format!("background spectrum {b} cannot be read: {}", e.msg),
                        )
                    })?;
                    if bs.len() != sp.len() {
                        return Err(Error::file(
                            &bs.path,
                            format!(
                                "background has {} channels but spectrum {} has {}",
                                bs.len(),
                                sp.path.display(),
                                sp.len()
                            ),
                        ));
                    }
                    let scale = (sp.exposure * sp.areascal * sp.backscal)
                        / (bs.exposure * bs.areascal * bs.backscal);
                    if !(scale.is_finite() && scale > 0.0) {
                        return Err(Error::file(
                            &bs.path,
                            format!("background scale {scale}: check EXPOSURE, AREASCAL, BACKSCAL"),
                        ));
                    }
                    // pgstat's σ²: STAT_ERR² when the file has errors, else Poisson
                    let variance = match &bs.stat_err {
                        Some(e) => e.iter().map(|x| x * x).collect(),
                        None => bs.counts.iter().map(|c| c.max(0.0)).collect(),
                    };
                    Some(Background {
                        file: b,
                        counts: bs.counts,
                        variance,
                        scale,
                    })
                }
            };
            let noticed = bins.initially_noticed();
            sess.data.push(DataSet {
                background,
                group: d.group,
                number,
                file: d.file.clone(),
                spectrum: sp,
                bins,
                noticed,
                resp,
            });
        }
        for (value, sel) in &selections {
            for (range, ranges) in sel {
                for ds in sess.data.iter_mut() {
                    if range.is_some_and(|(a, b)| ds.number < a || ds.number > b) {
                        continue;
                    }
                    let r = ds.resp.iter().flatten().next().map(|r| r.rmf.clone());
                    let (lo, hi) = r
                        .map(|r| (r.e_min.clone(), r.e_max.clone()))
                        .unwrap_or_default();
                    for rg in ranges {
                        apply(rg, &ds.bins, &lo, &hi, &mut ds.noticed, *value);
                    }
                }
            }
        }
        Ok(sess)
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
                    self.check_refs(e)
                        .map_err(|m| Error::at_line(path, line, m))?;
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
            .ok_or_else(|| Error::msg(format!("newpar: no parameter '{target}'")))?;
        match rest {
            Some(e) => {
                let e = Expr::parse(&e)?;
                self.check_refs(&e).map_err(Error::msg)?;
                self.params[a.0][a.1].link = Some(e);
            }
            None => {
                let vals = args
                    .trim()
                    .splitn(2, char::is_whitespace)
                    .nth(1)
                    .unwrap_or("");
                let v: Vec<f64> = match ParamLine::parse(vals) {
                    Ok(ParamLine::Full(x)) => x.to_vec(),
                    Ok(ParamLine::Partial(x)) => x,
                    Ok(_) => Vec::new(),
                    Err(m) => return Err(Error::msg(format!("newpar: {m}"))),
                };
                if let Some(first) = v.first() {
                    let p = &mut self.params[a.0][a.1];
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
