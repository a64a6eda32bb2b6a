//! The plan of a save file: what its commands ask for (data, responses, backgrounds,
//! ignore/notice, models, newpar/freeze/thaw, statistic), read before anything is built.

use super::Source;
use crate::error::{Error, Result, SpectralError};
use crate::spectral::expr::Expression;
use crate::spectral::grouping::{parse_selection, Selection};
use crate::spectral::stat::Statistic;
use crate::spectral::xcm::file::{Item, XcmFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One spectrum a save file names, with the files given for it.
#[derive(Default)]
pub(super) struct DataSpec {
    /// Data group (1-based).
    pub group: usize,
    /// The file as named in the save file.
    pub file: String,
    /// The directory it is relative to (after `cd`).
    pub dir: PathBuf,
    /// Response file per source number (resolved).
    pub resp: BTreeMap<usize, String>,
    /// ARF per source number (resolved).
    pub arf: BTreeMap<usize, String>,
    /// Background set by `backgrnd` (the file resolved; "none" switches it off).
    pub back: Option<String>,
}

/// What a save file asks for, in the order XSPEC would apply it.
pub(super) struct LoadPlan {
    /// The fit statistic (`statistic`; chi when absent).
    pub statistic: Statistic,
    /// Spectra by spectrum number (1-based).
    pub specs: BTreeMap<usize, DataSpec>,
    /// `ignore` (false) and `notice` (true) commands in file order.
    pub selections: Vec<(bool, Selection)>,
    /// The sources, sorted by source number; a later `model` replaces an earlier one.
    pub sources: Vec<Source>,
    /// `newpar` commands: save-file line (1-based) and arguments.
    pub newpars: Vec<(usize, String)>,
    /// `freeze` (true) and `thaw` (false) commands with their arguments.
    pub freezes: Vec<(bool, String)>,
}

/// The largest spectrum number a save file may use (the numbers index the spectra).
pub const MAX_SPECTRA: usize = 10_000;

/// `g:s` → (group or source, spectrum).
fn gs(token: &str) -> Option<(usize, usize)> {
    let (a, b) = token.split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

impl LoadPlan {
    /// Read the plan from the save file's commands; `base` is where relative paths start.
    pub fn read(xcm: &XcmFile, path: &Path, base: &Path) -> Result<LoadPlan> {
        let mut plan = LoadPlan {
            statistic: Statistic::Chi,
            specs: BTreeMap::new(),
            selections: Vec::new(),
            sources: Vec::new(),
            newpars: Vec::new(),
            freezes: Vec::new(),
        };
        let mut cwd = base.to_path_buf();
        // the highest data group named, and the line naming it
        let mut top_group = (0, 0);
        for (i, it) in xcm.items.iter().enumerate() {
            let Item::Cmd { name, args, .. } = it else {
                continue;
            };
            let line = xcm.lines[i];
            let err = |m: String| {
                Error::from(SpectralError::BadLine {
                    path: path.to_path_buf(),
                    line,
                    msg: m,
                })
            };
            match name.as_str() {
                "cd" => cwd = cwd.join(args.trim()),
                "statistic" => plan.set_statistic(args, &err)?,
                "data" => {
                    if let Some(g) = plan.add_data(args, &cwd, &err)? {
                        top_group = top_group.max((g, line));
                    }
                }
                "response" | "arf" => plan.add_response(name, args, &cwd, &err)?,
                "backgrnd" => plan.set_background(name, args, &cwd, &err)?,
                "ignore" | "notice" => plan.selections.push((
                    name == "notice",
                    parse_selection(args).map_err(|e| err(e.message()))?,
                )),
                "model" => plan.add_model(args, i, &err)?,
                "newpar" => plan.newpars.push((line, args.clone())),
                "freeze" | "thaw" => plan.freezes.push((name == "freeze", args.clone())),
                _ => {}
            }
        }
        plan.sources.sort_by_key(|s| s.number);
        // groups are numbered 1.. and each holds a spectrum: this bounds the parameters
        // (per group) that a short file can ask for
        let spectra = plan.specs.values().filter(|d| !d.file.is_empty()).count();
        if top_group.0 > spectra {
            return Err(Error::from(SpectralError::BadLine {
                path: path.to_path_buf(),
                line: top_group.1,
                msg: format!(
                    "data group {} but {spectra} spectra: groups are numbered from 1 and each needs a spectrum",
                    top_group.0
                ),
            }));
        }
        Ok(plan)
    }

    /// The number of data groups the spectra name (0 without data).
    pub fn ngroups(&self) -> usize {
        self.specs.values().map(|d| d.group).max().unwrap_or(0)
    }

    /// `statistic NAME` (a `statistic NAME n` for one spectrum is left alone).
    fn set_statistic(&mut self, args: &str, err: &dyn Fn(String) -> Error) -> Result<()> {
        let w: Vec<&str> = args.split_whitespace().collect();
        if let Some(s) = w.first() {
            if w.len() == 1 || w[1].parse::<usize>().is_err() {
                self.statistic = Statistic::parse(s)
                    .ok_or_else(|| err(format!("statistic {s} is not available (chi, cstat)")))?;
            }
        }
        Ok(())
    }

    /// `data [g:s] file ...`: spectra numbered on from the last unless `g:s` is given.
    /// Returns the highest group named.
    fn add_data(
        &mut self,
        args: &str,
        cwd: &Path,
        err: &dyn Fn(String) -> Error,
    ) -> Result<Option<usize>> {
        let mut top = None;
        let mut next = self.specs.keys().max().copied().unwrap_or(0) + 1;
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
            if !(1..=MAX_SPECTRA).contains(&s) || g == 0 {
                return Err(err(format!(
                    "data {g}:{s}: groups and spectra are numbered from 1, spectra up to {MAX_SPECTRA}"
                )));
            }
            top = top.max(Some(g));
            next = s + 1;
            self.specs.insert(
                s,
                DataSpec {
                    group: g,
                    file: tok.to_string(),
                    dir: cwd.to_path_buf(),
                    ..Default::default()
                },
            );
        }
        Ok(top)
    }

    /// `response [src:spec] file` or `arf [src:spec] file`.
    fn add_response(
        &mut self,
        name: &str,
        args: &str,
        cwd: &Path,
        err: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let w: Vec<&str> = args.split_whitespace().collect();
        let (src, sp, file) = match w.as_slice() {
            [t, f, ..] if gs(t).is_some() => (gs(t).unwrap().0, gs(t).unwrap().1, *f),
            [f] => (1, 1, *f),
            _ => return Err(err(format!("cannot read '{name} {args}'"))),
        };
        let full = cwd.join(file).to_string_lossy().into_owned();
        let d = self.specs.entry(sp).or_default();
        if name == "response" {
            d.resp.insert(src, full);
        } else {
            d.arf.insert(src, full);
        }
        Ok(())
    }

    /// `backgrnd [[g:]spec] file|none`.
    fn set_background(
        &mut self,
        name: &str,
        args: &str,
        cwd: &Path,
        err: &dyn Fn(String) -> Error,
    ) -> Result<()> {
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
        self.specs.entry(sp).or_default().back = Some(full);
        Ok(())
    }

    /// `model [n:name] expression`, the save file's item `item`.
    fn add_model(&mut self, args: &str, item: usize, err: &dyn Fn(String) -> Error) -> Result<()> {
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
        let expr = Expression::parse(text).map_err(|e| err(e.message()))?;
        let per_group = expr.params().ok().map(|p| p.len());
        self.sources.retain(|s| s.number != number);
        self.sources.push(Source {
            number,
            name: mname,
            expr,
            per_group,
            item,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<LoadPlan> {
        let path = Path::new("s.xcm");
        LoadPlan::read(&XcmFile::parse(path, text)?, path, Path::new("."))
    }

    #[test]
    fn group_and_spectrum_numbers_are_bounded() {
        // a group of 4e9 once asked for 896 GB of parameters; 2^64-1 overflowed the capacity
        for g in ["4000000000", "18446744073709551615", "3"] {
            let text = format!("data 1:1 a.pha {g}:2 b.pha\nmodel powerlaw\n1\n1\n");
            let e = read(&text).err().unwrap().to_string();
            assert_eq!(
                e,
                format!("s.xcm:1: data group {g} but 2 spectra: groups are numbered from 1 and each needs a spectrum"),
            );
        }
        let e = read("data 1:18446744073709551615 a.pha b.pha\n")
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "s.xcm:1: data 1:18446744073709551615: groups and spectra are numbered from 1, spectra up to 10000"
        );
        assert!(read("data 0:1 a.pha\n").is_err());
        let p = read("data 1:1 a.pha 2:2 b.pha\n").ok().unwrap();
        assert_eq!(p.ngroups(), 2);
    }
}
