//! `simplify`: from a save file holding background and source spectra (what `spec` writes),
//! drop the background spectra and freeze the background model at its values for the
//! source spectra, leaving source 1 for the user's own model. Parameters that were linked
//! become plain frozen values (what XSPEC ends with when the spectra they pointed at are
//! deleted).

use crate::bgmodel::bgdinfo::check_spectrum_order;
use crate::error::{Error, Result};
use crate::spectral::session::Session;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use std::path::{Path, PathBuf};

/// True when `file` exists relative to `base`.
fn base_has(file: &str, base: &Path) -> bool {
    base.join(file).exists()
}

/// Renumber `g:s` (or `s`) selectors: spectra ≤ `n` are dropped (None), the rest shift by n.
fn shift(tok: &str, n: usize) -> Option<String> {
    let (g, s) = match tok.split_once(':') {
        Some((g, s)) => (Some(g), s),
        None => (None, tok),
    };
    let sv: usize = s.parse().ok()?;
    if sv <= n {
        return None;
    }
    Some(match g.and_then(|g| g.parse::<usize>().ok()) {
        Some(gv) => format!("{}:{}", gv.saturating_sub(n).max(1), sv - n),
        None => format!("{}", sv - n),
    })
}

/// The simplified save file's text. `bgfiles` are the background spectra (from
/// bgdinfo.json) that must be the first spectra of the file, in order.
pub fn simplify(input: &Path, bgfiles: &[PathBuf]) -> Result<String> {
    let x = XcmFile::read(input)?;
    let base = input
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let sess = Session::from_xcm(&x, input, base, false)?;
    let n = bgfiles.len();
    // spectra in order of their data commands
    let mut files = Vec::new();
    for it in &x.items {
        if let Item::Cmd { name, args, .. } = it {
            if name == "data" {
                files.extend(
                    args.split_whitespace()
                        .filter(|t| !t.contains(':') || t.contains('/'))
                        .map(String::from),
                );
            }
        }
    }
    if files.len() <= n {
        return Err(Error::file(
            input,
            format!(
                "has {} spectra; expected the {n} background spectra followed by source spectra",
                files.len()
            ),
        ));
    }
    let here = if base_has(&files[0], base) {
        base
    } else {
        Path::new(".")
    };
    check_spectrum_order(input, &files, bgfiles, here)?;
    let mut out = XcmFile {
        items: Vec::new(),
        lines: Vec::new(),
        final_newline: true,
    };
    let model_items: Vec<usize> = sess.sources.iter().map(|s| s.model_item()).collect();
    for (i, it) in x.items.iter().enumerate() {
        let line = x.lines[i];
        let item = match it {
            Item::Cmd { name, args, params } => match name.as_str() {
                "data" | "response" | "arf" | "backgrnd" | "corfile" | "cornorm" => {
                    let mut toks = args.split_whitespace();
                    let Some(first) = toks.next() else { continue };
                    let rest: Vec<&str> = toks.collect();
                    let sel = if name == "response" || name == "arf" {
                        // src:spectrum
                        first
                            .split_once(':')
                            .and_then(|(src, s)| shift(s, n).map(|s| format!("{src}:{s}")))
                    } else {
                        shift(first, n)
                    };
                    let Some(sel) = sel else { continue };
                    Some(Item::Cmd {
                        name: name.clone(),
                        args: format!("{sel} {}", rest.join(" ")),
                        params: params.clone(),
                    })
                }
                "ignore" | "notice" => {
                    let kept: Vec<String> = args
                        .split_whitespace()
                        .filter_map(|w| match w.split_once(':') {
                            Some(("**", _)) => Some(w.to_string()),
                            Some((s, r)) => shift(s, n).map(|s| format!("{s}:{r}")),
                            None => Some(w.to_string()),
                        })
                        .collect();
                    (!kept.is_empty()).then(|| Item::Cmd {
                        name: name.clone(),
                        args: kept.join(" "),
                        params: vec![],
                    })
                }
                "newpar" | "rnewpar" => None,
                "model" => {
                    let si = model_items.iter().position(|m| *m == i).unwrap();
                    let src = &sess.sources[si];
                    let Some(p) = src.per_group else {
                        return Err(Error::at_line(
                            input,
                            line,
                            format!(
                                "source {} has a component this tool cannot evaluate",
                                src.number
                            ),
                        ));
                    };
                    let ps = &sess.params[si];
                    let lines: Vec<ParamLine> = ps[(n * p).min(ps.len())..]
                        .iter()
                        .map(|q| {
                            let delta = if src.number == 1 && q.link.is_none() {
                                q.delta
                            } else {
                                -q.delta.abs().max(0.01)
                            };
                            ParamLine::Full([
                                q.value,
                                delta,
                                q.min.min(q.value),
                                q.bot,
                                q.top,
                                q.max.max(q.value),
                            ])
                        })
                        .collect();
                    Some(Item::Cmd {
                        name: name.clone(),
                        args: args.clone(),
                        params: lines,
                    })
                }
                _ => Some(it.clone()),
            },
            other => Some(other.clone()),
        };
        if let Some(item) = item {
            out.items.push(item);
            out.lines.push(line);
        }
    }
    Ok(out.to_text())
}

/// Default output name: `bgd_` in the file name becomes `bgd_only_`, else `bgd_only_` is
/// prepended (the port replaced every `bgd_` anywhere in the path).
pub fn simplified_name(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let new = if name.contains("bgd_") {
        name.replacen("bgd_", "bgd_only_", 1)
    } else {
        format!("bgd_only_{name}")
    };
    PathBuf::from(new)
}
