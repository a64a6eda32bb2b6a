//! `bgdinfo.json`: the user's description of one analysis (background spectra and their
//! regions, the reference sky image, and the projected aperture/detector images per module).
//! Relative paths are taken from the JSON file's folder (the Python port took them from the
//! current directory; its users run from that folder, so nothing changes for them).
//! Read with [`BgdInfo::read`], written with [`BgdInfo::write`] (the demo writes its own
//! this way), so the file has one reader and one writer.

use crate::error::{Error, ModelError, Result};
use crate::io::output::Output;
use crate::nustar::module::Module;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// The template `fit --help` prints.
pub const BGDINFO_TEMPLATE: &str = r#"{
    "bgfiles": ["bgd1A_sr_g30.pha", "bgd2A_sr_g30.pha", "bgd1B_sr_g30.pha"],
    "regfiles": ["bgd1A.reg", "bgd2A.reg", "bgd1B.reg"],
    "refimgf": "imA3to20keV.fits",
    "bgdapfiles": {"A": "bgdapA.fits", "B": "bgdapB.fits"},
    "bgddetfiles": {
        "A": ["det0Aim.fits", "det1Aim.fits", "det2Aim.fits", "det3Aim.fits"],
        "B": ["det0Bim.fits", "det1Bim.fits", "det2Bim.fits", "det3Bim.fits"]
    },
    "fcxb_config": {"links": [[1, 3]]},
    "intbgd_fix_line_ratios": false
}"#;

/// Projected images of one module: the aperture image and the four detector images.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleImages {
    /// `bgdap{M}.fits` from projbgd.
    pub bgdap: PathBuf,
    /// `det{0..3}{M}im.fits` from projbgd, DET0..DET3 in order.
    pub det: [PathBuf; 4],
}

/// A parsed and checked bgdinfo.json.
#[derive(Debug, Clone, PartialEq)]
pub struct BgdInfo {
    /// Background spectra (PHA), in fit order; spectrum k is data group k (1-based).
    pub bgfiles: Vec<PathBuf>,
    /// Region file of each background spectrum, same order.
    pub regfiles: Vec<PathBuf>,
    /// Reference sky image whose WCS all regions are rendered on.
    pub refimg: PathBuf,
    /// Projected images for module A, if given.
    pub a: Option<ModuleImages>,
    /// Projected images for module B, if given.
    pub b: Option<ModuleImages>,
    /// fcxb norm links `[i, j]`: spectrum j's fcxb norm equals spectrum i's (1-based).
    pub fcxb_links: Vec<(usize, usize)>,
    /// Tie intbgd lines 5..29 to line 4 with preset ratios.
    pub fix_line_ratios: bool,
}

impl BgdInfo {
    /// Projected images of module `m`, or an error saying the file lacks them.
    pub fn images(&self, path: &Path, m: Module) -> Result<&ModuleImages> {
        match m {
            Module::A => self.a.as_ref(),
            Module::B => self.b.as_ref(),
        }
        .ok_or_else(|| {
            ModelError::NoModuleImages {
                path: path.into(),
                module: m.letter().into(),
            }
            .into()
        })
    }

    /// Read, parse and check a bgdinfo.json: required keys present, lists of equal length,
    /// every listed file exists. Relative paths are resolved from the file's folder.
    pub fn read(path: &Path) -> Result<BgdInfo> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Unreadable {
            path: path.into(),
            source,
        })?;
        let mut info = Self::parse(path, &text)?;
        if let Some(base) = path.parent().filter(|b| !b.as_os_str().is_empty()) {
            info.map_paths(|p| {
                if p.is_relative() {
                    base.join(p)
                } else {
                    p.clone()
                }
            });
        }
        info.check_files(path)?;
        Ok(info)
    }

    /// Parse without touching the file system (used by `read` and by tests).
    pub fn parse(path: &Path, text: &str) -> Result<BgdInfo> {
        let v: Value = serde_json::from_str(text).map_err(|source| ModelError::NotJson {
            path: path.into(),
            source,
        })?;
        let err = |what: String| {
            Error::from(ModelError::BadBgdInfo {
                path: path.into(),
                what,
            })
        };
        unknown_keys(&v, &err)?;
        let (bgfiles, regfiles) = spectra_and_regions(&v, &err)?;
        let refimg = v
            .get("refimgf")
            .and_then(Value::as_str)
            .map(PathBuf::from)
            .ok_or_else(|| err("missing key 'refimgf' (the reference sky image)".into()))?;
        let (a, b) = module_images(&v, &err)?;
        let fcxb_links = fcxb_links(&v, bgfiles.len(), &err)?;
        let fix_line_ratios = match v.get("intbgd_fix_line_ratios") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err("intbgd_fix_line_ratios must be true or false".into())),
        };
        Ok(BgdInfo {
            bgfiles,
            regfiles,
            refimg,
            a,
            b,
            fcxb_links,
            fix_line_ratios,
        })
    }

    /// The JSON text `parse` reads back to `self`: keys in the template's order, paths as
    /// written, `fcxb_config` only when there are links; pretty-printed, newline-terminated.
    pub fn to_json(&self) -> String {
        let s = |p: &PathBuf| Value::from(p.display().to_string());
        let mut ap = Map::new();
        let mut det = Map::new();
        for (m, imgs) in Module::ALL.into_iter().zip([&self.a, &self.b]) {
            if let Some(i) = imgs {
                ap.insert(m.letter().into(), s(&i.bgdap));
                det.insert(m.letter().into(), i.det.iter().map(s).collect());
            }
        }
        let mut v = json!({
            "bgfiles": self.bgfiles.iter().map(s).collect::<Vec<_>>(),
            "regfiles": self.regfiles.iter().map(s).collect::<Vec<_>>(),
            "refimgf": s(&self.refimg),
            "bgdapfiles": ap,
            "bgddetfiles": det,
        });
        if !self.fcxb_links.is_empty() {
            let links: Vec<[usize; 2]> = self.fcxb_links.iter().map(|&(i, j)| [i, j]).collect();
            v["fcxb_config"] = json!({ "links": links });
        }
        v["intbgd_fix_line_ratios"] = Value::Bool(self.fix_line_ratios);
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }

    /// Write the description to `out` (atomically; refuses an existing file unless clobber).
    /// Paths under the output's folder are written relative to it, other relative paths
    /// made absolute, so that `read` (which resolves from the file's folder) finds them.
    pub fn write(&self, out: &Output) -> Result<()> {
        let mut info = self.clone();
        if let Some(base) = out.path.parent().filter(|b| !b.as_os_str().is_empty()) {
            let cwd = std::env::current_dir().unwrap_or_default();
            info.map_paths(|p| match p.strip_prefix(base) {
                Ok(rel) => rel.to_path_buf(),
                Err(_) if p.is_relative() => cwd.join(p),
                Err(_) => p.clone(),
            });
        }
        out.write_text(&info.to_json())
    }

    /// Apply `f` to every path listed.
    fn map_paths(&mut self, f: impl Fn(&PathBuf) -> PathBuf) {
        for p in self.bgfiles.iter_mut().chain(self.regfiles.iter_mut()) {
            *p = f(p);
        }
        self.refimg = f(&self.refimg);
        for m in [&mut self.a, &mut self.b].into_iter().flatten() {
            m.bgdap = f(&m.bgdap);
            m.det.iter_mut().for_each(|p| *p = f(p));
        }
    }

    fn check_files(&self, path: &Path) -> Result<()> {
        let mut all: Vec<&PathBuf> = self.bgfiles.iter().chain(&self.regfiles).collect();
        all.push(&self.refimg);
        for m in [&self.a, &self.b].into_iter().flatten() {
            all.push(&m.bgdap);
            all.extend(m.det.iter());
        }
        for f in all {
            if !f.is_file() {
                return Err(ModelError::ListedFileMissing {
                    path: path.into(),
                    listed: f.clone(),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// An error about the bgdinfo.json being parsed.
type ErrFn<'a> = &'a dyn Fn(String) -> Error;

/// The list of file names under `key`.
fn file_list(v: &Value, key: &str, err: ErrFn) -> Result<Vec<PathBuf>> {
    let a = v
        .get(key)
        .ok_or_else(|| err(format!("missing key '{key}'")))?
        .as_array()
        .ok_or_else(|| err(format!("'{key}' must be a list of file names")))?;
    a.iter()
        .map(|x| {
            x.as_str()
                .map(PathBuf::from)
                .ok_or_else(|| err(format!("'{key}' must hold only strings")))
        })
        .collect()
}

/// `bgfiles` and `regfiles`: non-empty and of equal length.
fn spectra_and_regions(v: &Value, err: ErrFn) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let bgfiles = file_list(v, "bgfiles", err)?;
    let regfiles = file_list(v, "regfiles", err)?;
    if bgfiles.is_empty() {
        return Err(err("'bgfiles' is empty".into()));
    }
    if bgfiles.len() != regfiles.len() {
        return Err(err(format!(
            "'bgfiles' has {} entries but 'regfiles' has {}",
            bgfiles.len(),
            regfiles.len()
        )));
    }
    Ok((bgfiles, regfiles))
}

/// The projected images of modules A and B (`bgdapfiles`, `bgddetfiles`); at least one.
fn module_images(v: &Value, err: ErrFn) -> Result<(Option<ModuleImages>, Option<ModuleImages>)> {
    let ap = v
        .get("bgdapfiles")
        .ok_or_else(|| err("missing key 'bgdapfiles'".into()))?;
    let det = v
        .get("bgddetfiles")
        .ok_or_else(|| err("missing key 'bgddetfiles'".into()))?;
    let a = module_entry(ap, det, "A", err)?;
    let b = module_entry(ap, det, "B", err)?;
    if a.is_none() && b.is_none() {
        return Err(err(
            "bgdapfiles/bgddetfiles name neither module A nor B".into()
        ));
    }
    Ok((a, b))
}

/// Module `m`'s entry of `bgdapfiles` (`ap`) and `bgddetfiles` (`det`): both or neither.
fn module_entry(ap: &Value, det: &Value, m: &str, err: ErrFn) -> Result<Option<ModuleImages>> {
    match (ap.get(m), det.get(m)) {
        (None, None) => Ok(None),
        (Some(a), Some(d)) => {
            let bgdap = a
                .as_str()
                .map(PathBuf::from)
                .ok_or_else(|| err(format!("bgdapfiles.{m} must be a file name")))?;
            let list: Vec<PathBuf> = d
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(Value::as_str)
                        .map(PathBuf::from)
                        .collect()
                })
                .unwrap_or_default();
            let det: [PathBuf; 4] = list
                .try_into()
                .map_err(|_| err(format!("bgddetfiles.{m} must list 4 files (DET0..DET3)")))?;
            Ok(Some(ModuleImages { bgdap, det }))
        }
        _ => Err(err(format!(
            "module {m} appears in only one of bgdapfiles and bgddetfiles"
        ))),
    }
}

/// `fcxb_config.links`: pairs [i, j] of distinct spectrum numbers in 1..n.
fn fcxb_links(v: &Value, n: usize, err: ErrFn) -> Result<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let Some(links) = v.get("fcxb_config").and_then(|c| c.get("links")) else {
        return Ok(out);
    };
    let bad = || err("fcxb_config.links must be a list of [i, j] spectrum-number pairs".into());
    for pair in links.as_array().ok_or_else(bad)? {
        let p = pair.as_array().ok_or_else(bad)?;
        let nums: Vec<u64> = p.iter().filter_map(Value::as_u64).collect();
        if p.len() != 2 || nums.len() != 2 {
            return Err(bad());
        }
        let (i, j) = (nums[0] as usize, nums[1] as usize);
        if i < 1 || j < 1 || i > n || j > n || i == j {
            return Err(err(format!(
                "fcxb_config.links [{i}, {j}]: spectrum numbers must differ and lie in 1..{n}"
            )));
        }
        out.push((i, j));
    }
    Ok(out)
}

/// Check that the first spectra of a save file (as named in its `data` commands, relative to
/// `base`) are bgdinfo's background spectra in order; paths are compared after
/// canonicalisation, so different spellings of one file agree.
pub fn check_spectrum_order(
    xcm: &Path,
    files: &[String],
    bgfiles: &[PathBuf],
    base: &Path,
) -> Result<()> {
    if files.len() < bgfiles.len() {
        return Err(ModelError::TooFewSpectra {
            path: xcm.into(),
            spectra: files.len(),
            background: bgfiles.len(),
        }
        .into());
    }
    for (k, bg) in bgfiles.iter().enumerate() {
        let named = base.join(&files[k]);
        let same = match (named.canonicalize(), bg.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => Path::new(&files[k]) == bg.as_path(),
        };
        if !same {
            return Err(ModelError::SpectrumOrder {
                path: xcm.into(),
                number: k + 1,
                named: files[k].clone(),
                listed: bg.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// The keys a bgdinfo.json may hold (top level), and those of `fcxb_config`.
const KEYS: &[&str] = &[
    "bgfiles",
    "regfiles",
    "refimgf",
    "bgdapfiles",
    "bgddetfiles",
    "fcxb_config",
    "intbgd_fix_line_ratios",
];
const FCXB_KEYS: &[&str] = &["links"];

/// Refuse a key bgdinfo.json does not know (a misspelt `intbgd_fix_line_ratios` would
/// otherwise quietly mean false), naming it.
fn unknown_keys(v: &Value, err: ErrFn) -> Result<()> {
    let Some(top) = v.as_object() else {
        return Err(err("must be a JSON object".into()));
    };
    let known = |keys: &[&str]| keys.join(", ");
    if let Some(k) = top.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(err(format!("unknown key '{k}' (known: {})", known(KEYS))));
    }
    if let Some(fc) = top.get("fcxb_config").and_then(Value::as_object) {
        if let Some(k) = fc.keys().find(|k| !FCXB_KEYS.contains(&k.as_str())) {
            return Err(err(format!(
                "unknown key '{k}' in fcxb_config (known: {})",
                known(FCXB_KEYS)
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let b = BgdInfo::parse(Path::new("t.json"), BGDINFO_TEMPLATE).unwrap();
        assert_eq!(b.bgfiles.len(), 3);
        assert_eq!(b.fcxb_links, vec![(1, 3)]);
        assert_eq!(b.b.unwrap().det[3], PathBuf::from("det3Bim.fits"));
    }

    #[test]
    fn written_text_reads_back() {
        let b = BgdInfo::parse(Path::new("t.json"), BGDINFO_TEMPLATE).unwrap();
        let text = b.to_json();
        assert!(text.ends_with("}\n"));
        assert_eq!(BgdInfo::parse(Path::new("t.json"), &text).unwrap(), b);
        let one = BgdInfo {
            b: None,
            fcxb_links: Vec::new(),
            ..b
        };
        let text = one.to_json();
        assert!(!text.contains("fcxb_config") && !text.contains("\"B\""));
        assert_eq!(BgdInfo::parse(Path::new("t.json"), &text).unwrap(), one);
    }

    #[test]
    fn single_module_is_enough() {
        let t = r#"{"bgfiles": ["a.pha"], "regfiles": ["a.reg"], "refimgf": "im.fits",
            "bgdapfiles": {"A": "ap.fits"}, "bgddetfiles": {"A": ["0", "1", "2", "3"]}}"#;
        let b = BgdInfo::parse(Path::new("t.json"), t).unwrap();
        assert!(b.b.is_none());
        let e = b.images(Path::new("t.json"), Module::B).unwrap_err();
        assert!(e.to_string().contains("module B"));
    }

    #[test]
    fn bad_files_get_one_clear_line() {
        let cases = [
            (r#"{"regfiles": []}"#, "missing key 'bgfiles'"),
            (
                r#"{"bgfiles": ["a"], "regfiles": []}"#,
                "'bgfiles' has 1 entries but 'regfiles' has 0",
            ),
            (r#"{"bgfiles": ["a"], "regfiles": ["r"]}"#, "refimgf"),
            (
                r#"{"bgfiles": ["a"], "regfiles": ["r"], "refimgf": "i", "bgdapfiles": {"A": "x"}, "bgddetfiles": {"A": ["1"]}}"#,
                "must list 4 files",
            ),
            (
                r#"{"bgfiles": ["a"], "regfiles": ["r"], "refimgf": "i", "bgdapfiles": {"A": "x"}, "bgddetfiles": {"A": ["0","1","2","3"]}, "fcxb_config": {"links": [[1, 2]]}}"#,
                "links [1, 2]",
            ),
            ("{,}", "not valid JSON"),
        ];
        for (text, want) in cases {
            let e = BgdInfo::parse(Path::new("info.json"), text)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("info.json: ") && e.contains(want),
                "{e} / {want}"
            );
        }
    }
}
