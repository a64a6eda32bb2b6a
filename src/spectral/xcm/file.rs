//! The text structure of a save file: commands in order, each model (and gain) command
//! with its parameter lines. Command words are recognised in any case and in the
//! abbreviations XSPEC accepts; unknown lines are kept verbatim and reported.

use crate::error::{Error, Result, SpectralError};
use crate::spectral::xcm::format::{fmt_g, param_line};
use crate::spectral::xcm::link::Expr;
use std::path::Path;

/// One parameter line.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamLine {
    /// value delta min bot top max
    Full([f64; 6]),
    /// Fewer numbers (value, or value and delta, …); the rest keep their defaults.
    Partial(Vec<f64>),
    /// `= expression`: a link.
    Link(Expr),
    /// `/`: keep the default (forward links are set later with newpar).
    Default,
    /// `/*`: defaults for this and every following parameter.
    DefaultRest,
}

impl ParamLine {
    /// Parse a parameter line (numbers separated by spaces, commas or `&`).
    pub fn parse(text: &str) -> std::result::Result<ParamLine, String> {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix('=') {
            return Expr::parse(rest)
                .map(ParamLine::Link)
                .map_err(|e| e.message());
        }
        if t == "/*" {
            return Ok(ParamLine::DefaultRest);
        }
        if t == "/" {
            return Ok(ParamLine::Default);
        }
        let nums: Vec<f64> = t
            .split(|c: char| c.is_whitespace() || c == ',' || c == '&')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<f64>()
                    .map_err(|_| format!("'{s}' is not a number"))
            })
            .collect::<std::result::Result<_, _>>()?;
        match nums.len() {
            6 => Ok(ParamLine::Full([
                nums[0], nums[1], nums[2], nums[3], nums[4], nums[5],
            ])),
            1..=5 => Ok(ParamLine::Partial(nums)),
            n => Err(format!("a parameter line has 1 to 6 numbers, found {n}")),
        }
    }

    /// Text as XSPEC writes it.
    pub fn to_text(&self) -> String {
        match self {
            ParamLine::Full(v) => param_line(*v),
            ParamLine::Partial(v) => {
                let mut s = format!("{:>15}", fmt_g(v[0], 6));
                for x in &v[1..] {
                    s.push_str(&format!(" {:>10}", fmt_g(*x, 6)));
                }
                s
            }
            ParamLine::Link(e) => format!("= {}", e.to_text()),
            ParamLine::Default => "/".into(),
            ParamLine::DefaultRest => "/*".into(),
        }
    }
}

/// One item of a save file.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Blank,
    /// A `#` line (kept as written).
    Comment(String),
    /// A command: canonical name and its arguments as written (after the command word).
    Cmd {
        name: String,
        args: String,
        params: Vec<ParamLine>,
    },
    /// A line that is not a known command (kept verbatim).
    Unknown(String),
}

/// A save file as text structure.
#[derive(Debug, Clone, PartialEq)]
pub struct XcmFile {
    pub items: Vec<Item>,
    /// 1-based line of each item (for messages).
    pub lines: Vec<usize>,
    /// Whether the last line ended with a newline.
    pub final_newline: bool,
}

/// Commands and the shortest abbreviation XSPEC accepts for each.
const COMMANDS: &[(&str, usize)] = &[
    ("statistic", 4),
    ("data", 2),
    ("response", 4),
    ("arf", 3),
    ("backgrnd", 4),
    ("corfile", 4),
    ("cornorm", 4),
    ("cd", 2),
    ("ignore", 3),
    ("notice", 3),
    ("method", 4),
    ("abund", 3),
    ("xsect", 3),
    ("cosmo", 3),
    ("xset", 4),
    ("systematic", 3),
    ("model", 2),
    ("newpar", 3),
    ("rnewpar", 4),
    ("freeze", 3),
    ("thaw", 2),
    ("untie", 3),
    ("query", 2),
    ("bayes", 3),
    ("gain", 4),
    ("parallel", 3),
    ("fit", 3),
    ("setplot", 4),
    ("chatter", 4),
    ("energies", 4),
    ("mdefine", 3),
    ("addcomp", 4),
    ("editmod", 5),
    ("delcomp", 4),
    ("error", 3),
    ("plot", 2),
    ("show", 2),
    ("save", 2),
    ("exit", 3),
    ("quit", 1),
];

/// Canonical command for a word (case-insensitive, abbreviations allowed).
pub fn command_name(word: &str) -> Option<&'static str> {
    let w = word.to_ascii_lowercase();
    if w.starts_with('@') {
        return Some("@");
    }
    COMMANDS
        .iter()
        .find(|(full, min)| w.len() >= *min && full.starts_with(&w))
        .map(|(f, _)| *f)
}

/// Commands whose following parameter lines belong to them.
fn takes_params(name: &str) -> bool {
    matches!(name, "model" | "gain" | "addcomp" | "editmod")
}

fn is_param_line(t: &str) -> bool {
    let t = t.trim_start();
    t.starts_with('=')
        || t.starts_with('/')
        || t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
}

impl XcmFile {
    /// Parse save-file text; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<XcmFile> {
        let mut items = Vec::new();
        let mut lines = Vec::new();
        let all: Vec<&str> = text.split('\n').collect();
        let n = if text.ends_with('\n') {
            all.len() - 1
        } else {
            all.len()
        };
        let mut i = 0;
        while i < n {
            let raw = all[i].strip_suffix('\r').unwrap_or(all[i]);
            let t = raw.trim_start();
            let lineno = i + 1;
            i += 1;
            if t.trim().is_empty() {
                items.push(Item::Blank);
            } else if t.starts_with('#') {
                items.push(Item::Comment(raw.to_string()));
            } else if let Some(name) = t.split_whitespace().next().and_then(command_name) {
                let word_len = t.find(char::is_whitespace).unwrap_or(t.len());
                let args = t[word_len..].trim_start().to_string();
                let mut params = Vec::new();
                if takes_params(name) {
                    while i < n {
                        let l = all[i].strip_suffix('\r').unwrap_or(all[i]);
                        if l.trim().is_empty() || !is_param_line(l) {
                            break;
                        }
                        params.push(ParamLine::parse(l).map_err(|m| {
                            Error::from(SpectralError::BadLine {
                                path: path.to_path_buf(),
                                line: i + 1,
                                msg: m,
                            })
                        })?);
                        i += 1;
                    }
                }
                if name == "newpar" || name == "rnewpar" {
                    check_newpar(&args).map_err(|m| {
                        Error::from(SpectralError::BadLine {
                            path: path.to_path_buf(),
                            line: lineno,
                            msg: m,
                        })
                    })?;
                }
                items.push(Item::Cmd {
                    name: name.to_string(),
                    args,
                    params,
                });
            } else if is_param_line(t) {
                return Err(Error::from(SpectralError::BadLine {
                    path: path.to_path_buf(),
                    line: lineno,
                    msg: format!("parameter line '{}' outside a model", t.trim()),
                }));
            } else {
                items.push(Item::Unknown(raw.to_string()));
            }
            lines.push(lineno);
        }
        Ok(XcmFile {
            items,
            lines,
            final_newline: text.ends_with('\n') || text.is_empty(),
        })
    }

    /// Read and parse a file.
    pub fn read(path: &Path) -> Result<XcmFile> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::from(SpectralError::Unreadable {
                path: path.to_path_buf(),
                source: e,
            })
        })?;
        Self::parse(path, &text)
    }

    /// Unknown lines with their line numbers (to report).
    pub fn warnings(&self) -> Vec<(usize, String)> {
        self.items
            .iter()
            .zip(&self.lines)
            .filter_map(|(it, l)| match it {
                Item::Unknown(s) => Some((*l, format!("unknown command '{}'", s.trim()))),
                _ => None,
            })
            .collect()
    }

    /// The text in XSPEC's layout.
    pub fn to_text(&self) -> String {
        let mut out = Vec::new();
        for it in &self.items {
            match it {
                Item::Blank => out.push(String::new()),
                Item::Comment(s) | Item::Unknown(s) => out.push(s.clone()),
                Item::Cmd { name, args, params } => {
                    let sep = if matches!(name.as_str(), "model" | "response") {
                        "  "
                    } else {
                        " "
                    };
                    out.push(if args.is_empty() {
                        name.clone()
                    } else {
                        format!("{name}{sep}{args}")
                    });
                    out.extend(params.iter().map(ParamLine::to_text));
                }
            }
        }
        let mut s = out.join("\n");
        if self.final_newline && !s.is_empty() {
            s.push('\n');
        }
        s
    }
}

/// `newpar [model:]idx [= expr | value ...]`: check the form.
fn check_newpar(args: &str) -> std::result::Result<(), String> {
    let (target, rest) = match args.find('=') {
        Some(eq) => (args[..eq].trim(), Some(&args[eq + 1..])),
        None => {
            let mut it = args.splitn(2, char::is_whitespace);
            (it.next().unwrap_or("").trim(), it.next().map(|_| ""))
        }
    };
    let idx = target.rsplit(':').next().unwrap_or("");
    let idx = idx.trim_start_matches(['p', 'P']);
    if idx.split('-').any(|p| p.trim().parse::<usize>().is_err()) {
        return Err(format!("newpar: '{target}' is not a parameter number"));
    }
    if let Some(r) = rest {
        if args.contains('=') {
            Expr::parse(r).map_err(|e| e.message())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_links_in_a_save_file_name_the_line() {
        let minus = "-".repeat(58_000);
        let text = format!("model powerlaw\n1 0.01\n={minus}p1\nnewpar 1 = {minus}p2\n");
        let e = XcmFile::parse(Path::new("t.xcm"), &text).unwrap_err();
        assert!(e.to_string().starts_with("t.xcm:3: link of 58001"), "{e}");
        let text = format!("model powerlaw\nnewpar 1 = {}p2\n", "-".repeat(100));
        let e = XcmFile::parse(Path::new("t.xcm"), &text).unwrap_err();
        assert_eq!(e.to_string(), "t.xcm:2: link nests deeper than 64 levels");
    }

    #[test]
    fn abbreviations_and_layout() {
        let text = "stat chi\nda 1:1 a.pha\nresp 2:1 d.rmf\nign 1:1-4\nmo  2:apbgd cutoffpl\n1.29 -0.01, -3 & -2 9 10\n=1.118002e+00 * apbgd:3\n0.5\nbayes off\n";
        let f = XcmFile::parse(Path::new("t.xcm"), text).unwrap();
        let out = f.to_text();
        assert_eq!(
            out,
            "statistic chi\ndata 1:1 a.pha\nresponse  2:1 d.rmf\nignore 1:1-4\nmodel  2:apbgd cutoffpl\n           1.29      -0.01         -3         -2          9         10\n= 1.118002e00*apbgd:p3\n            0.5\nbayes off\n"
        );
        assert_eq!(
            XcmFile::parse(Path::new("t.xcm"), &out).unwrap().to_text(),
            out
        );
    }

    #[test]
    fn errors_carry_the_line() {
        let e = XcmFile::parse(Path::new("t.xcm"), "model powerlaw\n1.0 abc\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.xcm:2:") && e.contains("'abc'"), "{e}");
        let e = XcmFile::parse(Path::new("t.xcm"), "model powerlaw\n= p1 +\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.xcm:2:"), "{e}");
        let e = XcmFile::parse(Path::new("t.xcm"), "newpar x = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("t.xcm:1:"), "{e}");
        let f = XcmFile::parse(Path::new("t.xcm"), "frobnicate 3\n").unwrap();
        assert_eq!(
            f.warnings(),
            vec![(1, "unknown command 'frobnicate 3'".to_string())]
        );
    }
}
