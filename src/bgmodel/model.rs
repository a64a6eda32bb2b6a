//! The background model as a value: the spectra with their files, the ignored channels and
//! each source's parameters, each a typed item. It becomes a save file ([`BackgroundModel::
//! to_xcm`], which a `Session` loads) and is read back from one ([`BackgroundModel::
//! from_xcm`]), so a task adds spectra and parameters to it instead of editing save-file
//! text. Spectrum numbers are 1-based, as in XSPEC's `data n:n`; a source number is the
//! model's `N:name` (2 apbgd, 3 intbgd, 4 fcxb, 5 intn).

use crate::error::{ModelError, Result};
use crate::spectral::xcm::file::{Item, ParamLine, XcmFile};
use crate::spectral::xcm::link::{Expr, ParRef};
use std::path::Path;

/// One spectrum of the model and the files it is folded through.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpectrum {
    /// The spectrum file (`data n:n file`).
    pub pha: String,
    /// `(source number, RMF)` pairs (`response  s:n file`), in the order written.
    pub responses: Vec<(usize, String)>,
    /// `(source number, ARF)` pairs (`arf s:n file`), in the order written.
    pub arfs: Vec<(usize, String)>,
    /// `backgrnd n file` (`none` switches the spectrum's BACKFILE off).
    pub background: Option<String>,
}

impl ModelSpectrum {
    /// Point the ARF of source `source` at `path` (added when the spectrum has none).
    pub fn set_arf(&mut self, source: usize, path: &str) {
        match self.arfs.iter_mut().find(|(s, _)| *s == source) {
            Some(a) => a.1 = path.to_string(),
            None => self.arfs.push((source, path.to_string())),
        }
    }
}

/// One source of the model: `model  N:name expression`, then its parameters for every
/// spectrum in turn (spectrum 1's, then spectrum 2's, …).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSource {
    /// Source number N (1 for an unnamed source model).
    pub number: usize,
    pub name: Option<String>,
    /// The component expression (`apec + lorentz + …`).
    pub expr: String,
    pub params: Vec<ParamLine>,
}

/// The model of a set of spectra, as a save file lays it out.
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundModel {
    /// What comes before the spectra (comments, `statistic`), kept as read.
    pub head: Vec<Item>,
    /// The spectra in fit order: `spectra[k]` is spectrum k + 1.
    pub spectra: Vec<ModelSpectrum>,
    /// The `ignore` ranges, one `n:channels` token per spectrum that has any.
    pub ignore: Vec<String>,
    /// The settings between the spectra and the models (`method`, `abund`, …), kept as read.
    pub settings: Vec<Item>,
    pub sources: Vec<ModelSource>,
    /// Commands after the models (`newpar`, `bayes`, …), kept as read.
    pub tail: Vec<Item>,
}

/// A parameter `value delta min bot top max`.
pub fn full(value: f64, delta: f64, limits: [f64; 4]) -> ParamLine {
    ParamLine::Full([value, delta, limits[0], limits[1], limits[2], limits[3]])
}

/// A parameter equal to parameter `index` (1-based) of source `name`: `= name:pN`.
pub fn same_as(name: &str, index: usize) -> ParamLine {
    ParamLine::Link(par_ref(name, index))
}

/// A parameter `ratio` times parameter `index` (1-based) of source `name`, with the
/// coefficient as XSPEC saves it: `= 1.118002e00*name:pN`.
pub fn scaled(ratio: f64, name: &str, index: usize) -> ParamLine {
    let coeff = Expr::Num(ratio, link_coeff(ratio));
    ParamLine::Link(Expr::Bin(
        '*',
        Box::new(coeff),
        Box::new(par_ref(name, index)),
    ))
}

fn par_ref(name: &str, index: usize) -> Expr {
    Expr::Ref(ParRef {
        model: Some(name.to_string()),
        index,
    })
}

/// A link coefficient as XSPEC saves `=%e * name:N`: six decimals, exponent without '+'.
pub fn link_coeff(v: f64) -> String {
    let s = format!("{v:.6e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let x: i32 = e.parse().unwrap_or(0);
    if x < 0 {
        format!("{m}e-{:02}", -x)
    } else {
        format!("{m}e{x:02}")
    }
}

/// A `name args` command without parameters.
fn cmd(name: &str, args: String) -> Item {
    Item::Cmd {
        name: name.into(),
        args,
        params: vec![],
    }
}

impl BackgroundModel {
    /// The source named `name`, or an error saying the model has none.
    pub fn source_mut(&mut self, name: &str) -> Result<&mut ModelSource> {
        self.sources
            .iter_mut()
            .find(|s| s.name.as_deref() == Some(name))
            .ok_or_else(|| {
                ModelError::NoSource {
                    name: name.to_string(),
                }
                .into()
            })
    }

    /// The save file: head, the spectra's data blocks (a blank line between), the ignored
    /// channels, the settings, the models and their parameters, the tail.
    pub fn to_xcm(&self) -> XcmFile {
        let mut items = self.head.clone();
        for (k, s) in self.spectra.iter().enumerate() {
            if k > 0 {
                items.push(Item::Blank);
            }
            items.extend(data_block(k + 1, s));
        }
        if !self.ignore.is_empty() {
            items.push(cmd("ignore", self.ignore.join(" ")));
        }
        items.extend(self.settings.iter().cloned());
        for s in &self.sources {
            let label = match &s.name {
                Some(n) => format!("{}:{n} ", s.number),
                None => String::new(),
            };
            items.push(Item::Cmd {
                name: "model".into(),
                args: format!("{label}{}", s.expr),
                params: s.params.clone(),
            });
        }
        items.extend(self.tail.iter().cloned());
        XcmFile {
            lines: vec![0; items.len()],
            items,
            final_newline: true,
        }
    }

    /// The save-file text (see [`to_xcm`](Self::to_xcm)).
    pub fn to_text(&self) -> String {
        self.to_xcm().to_text()
    }

    /// Read a model from a save file laid out as [`to_xcm`](Self::to_xcm) writes it (as
    /// XSPEC's `save all` does too): one spectrum per `data` command.
    /// `path` (and each item's 1-based line) locate what cannot be read.
    pub fn from_xcm(x: &XcmFile, path: &Path) -> Result<BackgroundModel> {
        let mut m = BackgroundModel {
            head: vec![],
            spectra: vec![],
            ignore: vec![],
            settings: vec![],
            sources: vec![],
            tail: vec![],
        };
        for (it, &line) in x.items.iter().zip(&x.lines) {
            m.read_item(it).map_err(|msg| ModelError::SaveFile {
                path: path.to_path_buf(),
                line,
                msg,
            })?;
        }
        Ok(m)
    }

    /// Place one item of a save file.
    fn read_item(&mut self, it: &Item) -> std::result::Result<(), String> {
        let (name, args) = match it {
            Item::Cmd { name, args, .. } => (name.as_str(), args.as_str()),
            _ => ("", ""),
        };
        // the spectra end at the first ignore, setting or model
        let before = self.settings.is_empty() && self.sources.is_empty();
        let in_data = before && self.ignore.is_empty();
        match name {
            "data" => {
                if !in_data {
                    return Err(
                        "a data command after the ignore, the settings or the models".into(),
                    );
                }
                let (n, pha) = numbered(args)?;
                if n != self.spectra.len() + 1 {
                    return Err(format!("spectrum {n} is not the next one"));
                }
                self.spectra.push(ModelSpectrum {
                    pha,
                    responses: vec![],
                    arfs: vec![],
                    background: None,
                });
            }
            "response" | "arf" | "backgrnd" => self.read_file_cmd(name, args)?,
            "ignore" if in_data && !self.spectra.is_empty() => self
                .ignore
                .extend(args.split_whitespace().map(String::from)),
            "model" => self.sources.push(read_source(it)),
            _ if self.spectra.is_empty() => self.head.push(it.clone()),
            "" if in_data && !self.spectra.is_empty() && matches!(it, Item::Blank) => {}
            _ if self.sources.is_empty() => self.settings.push(it.clone()),
            _ => self.tail.push(it.clone()),
        }
        Ok(())
    }

    /// A `response s:n file`, `arf s:n file` or `backgrnd n file` of spectrum n.
    fn read_file_cmd(&mut self, name: &str, args: &str) -> std::result::Result<(), String> {
        let (target, file) = args
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("{name} needs a spectrum and a file"))?;
        let (source, n) = match target.split_once(':') {
            Some((s, n)) => (s.parse().ok(), n.parse::<usize>().ok()),
            None => (Some(1), target.parse().ok()),
        };
        let (Some(source), Some(n)) = (source, n) else {
            return Err(format!("{name} {target}: not a spectrum number"));
        };
        let s = self
            .spectra
            .get_mut(n.wrapping_sub(1))
            .ok_or_else(|| format!("{name} names spectrum {n}, which is not loaded"))?;
        let file = file.trim().to_string();
        match name {
            "response" => s.responses.push((source, file)),
            "arf" => s.arfs.push((source, file)),
            _ => s.background = Some(file),
        }
        Ok(())
    }
}

/// `g:n file` (or `n file`): the spectrum number n and the file.
fn numbered(args: &str) -> std::result::Result<(usize, String), String> {
    let (target, file) = args
        .trim()
        .split_once(char::is_whitespace)
        .ok_or("data needs a spectrum number and one file")?;
    let n = target.rsplit(':').next().unwrap_or(target);
    let n = n
        .parse()
        .map_err(|_| format!("data {target}: not a spectrum number"))?;
    if file.split_whitespace().count() != 1 {
        return Err("data: one spectrum per command, please".into());
    }
    Ok((n, file.trim().to_string()))
}

/// A `model  N:name expression` command and its parameters.
fn read_source(it: &Item) -> ModelSource {
    let (args, params) = match it {
        Item::Cmd { args, params, .. } => (args.trim(), params.clone()),
        _ => ("", vec![]),
    };
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let label = first
        .split_once(':')
        .and_then(|(n, name)| Some((n.parse().ok()?, name.to_string())));
    match label {
        Some((number, name)) => ModelSource {
            number,
            name: Some(name),
            expr: rest.trim().to_string(),
            params,
        },
        None => ModelSource {
            number: 1,
            name: None,
            expr: args.to_string(),
            params,
        },
    }
}

/// The commands of spectrum `n` (1-based).
fn data_block(n: usize, s: &ModelSpectrum) -> Vec<Item> {
    let mut items = vec![cmd("data", format!("{n}:{n} {}", s.pha))];
    for (src, f) in &s.responses {
        items.push(cmd("response", format!("{src}:{n} {f}")));
    }
    for (src, f) in &s.arfs {
        items.push(cmd("arf", format!("{src}:{n} {f}")));
    }
    if let Some(b) = &s.background {
        items.push(cmd("backgrnd", format!("{n} {b}")));
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_coefficients_as_xspec_saves_them() {
        assert_eq!(link_coeff(1.118002), "1.118002e00");
        assert_eq!(link_coeff(0.7164754), "7.164754e-01");
        assert_eq!(link_coeff(12.5), "1.250000e01");
        assert_eq!(
            scaled(0.7164754, "intbgd", 7).to_text(),
            "= 7.164754e-01*intbgd:p7"
        );
        assert_eq!(same_as("apbgd", 2).to_text(), "= apbgd:p2");
    }
}
