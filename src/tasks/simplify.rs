//! `simplify`: from a save file holding background and source spectra (what `spec` writes),
//! drop the background spectra and freeze the background model at its values for the
//! source spectra, leaving source 1 for the user's own model. Parameters that were linked
//! become plain frozen values (what XSPEC ends with when the spectra they pointed at are
//! deleted).

use crate::bgmodel::bgdinfo::{check_spectrum_order, BgdInfo};
use crate::error::{Result, TaskError};
use crate::io::output::Output;
use crate::spectral::session::Session;
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use std::path::{Path, PathBuf};

/// What simplify is asked to do.
#[derive(Debug, Clone)]
pub struct SimplifyRequest {
    /// bgdinfo.json naming the background spectra (the first spectra of `xcm`, in order).
    pub bgdinfo: PathBuf,
    /// Save file with background and source spectra (what `spec` writes).
    pub xcm: PathBuf,
    /// The simplified save file.
    pub savefile: Output,
}

/// What simplify wrote.
#[derive(Debug, Clone)]
pub struct SimplifySummary {
    pub savefile: PathBuf,
    /// Background spectra dropped.
    pub dropped: usize,
}

/// Write the simplified save file of `req.xcm`; refuses before reading anything when the
/// output exists (and clobber is not set).
pub fn simplify_task(req: &SimplifyRequest) -> Result<SimplifySummary> {
    req.savefile.check()?;
    crate::io::output::check_not_inputs(
        std::slice::from_ref(&req.savefile),
        &[req.xcm.as_path(), req.bgdinfo.as_path()],
    )?;
    let bg = BgdInfo::read(&req.bgdinfo)?;
    let text = simplify(&req.xcm, &bg.bgfiles)?;
    req.savefile.write_text(&text)?;
    Ok(SimplifySummary {
        savefile: req.savefile.path.clone(),
        dropped: bg.bgfiles.len(),
    })
}

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

/// The spectra of a save file in the order of its data commands.
fn data_files(x: &XcmFile) -> Vec<String> {
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
    files
}

/// A data, response, arf, backgrnd, corfile or cornorm command for the spectra after the
/// first `n` (renumbered); None when it is about a dropped spectrum.
fn shifted_data(name: &str, args: &str, params: &[ParamLine], n: usize) -> Option<Item> {
    let mut toks = args.split_whitespace();
    let first = toks.next()?;
    let rest: Vec<&str> = toks.collect();
    let sel = if name == "response" || name == "arf" {
        // src:spectrum
        first
            .split_once(':')
            .and_then(|(src, s)| shift(s, n).map(|s| format!("{src}:{s}")))
    } else {
        shift(first, n)
    };
    Some(Item::Cmd {
        name: name.to_string(),
        args: format!("{} {}", sel?, rest.join(" ")),
        params: params.to_vec(),
    })
}

/// An ignore or notice command without the dropped spectra's ranges (None when empty).
fn shifted_selection(name: &str, args: &str, n: usize) -> Option<Item> {
    let kept: Vec<String> = args
        .split_whitespace()
        .filter_map(|w| match w.split_once(':') {
            Some(("**", _)) => Some(w.to_string()),
            Some((s, r)) => shift(s, n).map(|s| format!("{s}:{r}")),
            None => Some(w.to_string()),
        })
        .collect();
    (!kept.is_empty()).then(|| Item::Cmd {
        name: name.to_string(),
        args: kept.join(" "),
        params: vec![],
    })
}

/// The parameter lines of source `si` for the groups after the first `n`: values as
/// fitted, frozen (links resolved) except source 1's free parameters.
fn kept_params(sess: &Session, si: usize, p: usize, n: usize) -> Vec<ParamLine> {
    let src = &sess.sources[si];
    let ps = &sess.params[si];
    ps[(n * p).min(ps.len())..]
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
        .collect()
}

/// The simplified form of item `i` (None: dropped); `n` background spectra are dropped.
fn simplified_item(
    input: &Path,
    x: &XcmFile,
    sess: &Session,
    i: usize,
    n: usize,
) -> Result<Option<Item>> {
    let it = &x.items[i];
    let Item::Cmd { name, args, params } = it else {
        return Ok(Some(it.clone()));
    };
    Ok(match name.as_str() {
        "data" | "response" | "arf" | "backgrnd" | "corfile" | "cornorm" => {
            shifted_data(name, args, params, n)
        }
        "ignore" | "notice" => shifted_selection(name, args, n),
        "newpar" | "rnewpar" => None,
        "model" => {
            let si = sess
                .sources
                .iter()
                .position(|s| s.model_item() == i)
                .unwrap();
            let src = &sess.sources[si];
            let Some(p) = src.per_group else {
                return Err(TaskError::Unevaluable {
                    path: input.into(),
                    line: x.lines[i],
                    source_number: src.number,
                }
                .into());
            };
            Some(Item::Cmd {
                name: name.clone(),
                args: args.clone(),
                params: kept_params(sess, si, p, n),
            })
        }
        _ => Some(it.clone()),
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
    let files = data_files(&x);
    if files.len() <= n {
        return Err(TaskError::NoSourceSpectra {
            path: input.into(),
            spectra: files.len(),
            background: n,
        }
        .into());
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
    for i in 0..x.items.len() {
        if let Some(item) = simplified_item(input, &x, &sess, i, n)? {
            out.items.push(item);
            out.lines.push(x.lines[i]);
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
