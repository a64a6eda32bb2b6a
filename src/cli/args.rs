//! Task arguments in the Python port's `key=value` form, also accepted as `--key value`,
//! `--key=value` or a bare `--flag` (meaning `flag=yes`). Everything else is positional.

use crate::error::{CliError, Result};
use crate::spectral::stat::Statistic;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// Parsed arguments of one task.
#[derive(Debug, Default)]
pub struct Args {
    /// Arguments that are not `key=value` pairs, in order.
    pub positional: Vec<String>,
    kv: BTreeMap<String, String>,
    used: RefCell<BTreeSet<String>>,
}

fn is_key(s: &str) -> bool {
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn looks_like_pair(s: &str) -> bool {
    s.split_once('=').is_some_and(|(k, _)| is_key(k))
}

impl Args {
    /// Parse the words after the task name. A value keeps every `=` after the first.
    pub fn parse(words: &[String]) -> Result<Args> {
        let mut a = Args::default();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if let Some(rest) = w.strip_prefix("--") {
                if let Some((k, v)) = rest.split_once('=') {
                    a.insert(k, v)?;
                } else if !is_key(rest) {
                    return Err(CliError::MalformedOption {
                        word: w.to_string(),
                    }
                    .into());
                } else if i + 1 < words.len()
                    && !words[i + 1].starts_with("--")
                    && !looks_like_pair(&words[i + 1])
                {
                    a.insert(rest, &words[i + 1])?;
                    i += 1;
                } else {
                    a.insert(rest, "yes")?;
                }
            } else if let Some((k, v)) = w.split_once('=').filter(|(k, _)| is_key(k)) {
                a.insert(k, v)?;
            } else {
                a.positional.push(w.clone());
            }
            i += 1;
        }
        Ok(a)
    }

    fn insert(&mut self, k: &str, v: &str) -> Result<()> {
        let key = k.to_ascii_lowercase().replace('-', "_");
        if self.kv.insert(key.clone(), v.to_string()).is_some() {
            return Err(CliError::Repeated {
                key: key.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.used.borrow_mut().insert(key.to_string());
        self.kv.get(key).map(String::as_str)
    }

    /// The value of `key`, or an error saying it is required.
    pub fn require(&self, key: &str) -> Result<&str> {
        self.get(key).ok_or_else(|| {
            CliError::MissingRequired {
                key: key.to_string(),
            }
            .into()
        })
    }

    /// A yes/no argument (yes, no, y, n, true, false, 1, 0), `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                CliError::NotYesNo {
                    key: key.to_string(),
                    value: v.to_string(),
                }
                .into()
            }),
        }
    }

    /// The `statistic=` argument (chi or cstat), `default` when absent.
    pub fn statistic(&self, default: Statistic) -> Result<Statistic> {
        match self.get("statistic") {
            None => Ok(default),
            Some(s) => Statistic::parse(s).ok_or_else(|| {
                CliError::BadStatistic {
                    value: s.to_string(),
                }
                .into()
            }),
        }
    }

    /// A numeric argument.
    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.trim().parse::<f64>().map(Some).map_err(|_| {
                CliError::NotANumber {
                    key: key.to_string(),
                    value: v.to_string(),
                }
                .into()
            }),
        }
    }

    /// A calibration-file argument (`rmffile=`, `detabsfile=`): absent or `CALDB` means the
    /// `$CALDB` lookup, anything else names a file.
    pub fn caldb_or<T>(
        v: Option<&str>,
        caldb: fn(crate::nustar::caldb::Caldb) -> T,
        file: fn(std::path::PathBuf) -> T,
    ) -> Result<T> {
        Ok(match v {
            None => caldb(crate::nustar::caldb::caldb_from_env()?),
            Some(s) if s.eq_ignore_ascii_case("caldb") => {
                caldb(crate::nustar::caldb::caldb_from_env()?)
            }
            Some(s) => file(std::path::PathBuf::from(s)),
        })
    }

    /// Positional argument `i` (0-based) named `what` in the error when missing.
    pub fn pos(&self, i: usize, what: &str) -> Result<&str> {
        self.positional.get(i).map(String::as_str).ok_or_else(|| {
            CliError::MissingPositional {
                what: what.to_string(),
            }
            .into()
        })
    }

    /// Positional argument `i` as an energy in keV.
    pub fn pos_energy(&self, i: usize, what: &str) -> Result<f64> {
        let v = self.pos(i, what)?;
        v.trim().parse().map_err(|_| {
            CliError::NotAnEnergy {
                what: what.to_string(),
                value: v.to_string(),
            }
            .into()
        })
    }

    /// Fail on keys the task never asked about (the port silently ignored them) and on
    /// more positional arguments than `max_pos`.
    pub fn finish(&self, max_pos: usize) -> Result<()> {
        let used = self.used.borrow();
        let unknown: Vec<&str> = self
            .kv
            .keys()
            .filter(|k| !used.contains(*k))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(CliError::UnknownKeys {
                keys: unknown.join(", "),
            }
            .into());
        }
        if self.positional.len() > max_pos {
            return Err(CliError::ExtraPositional {
                args: self.positional[max_pos..].join(" "),
            }
            .into());
        }
        Ok(())
    }
}

/// Interpret yes/no words.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "1" | "on" => Some(true),
        "no" | "n" | "false" | "f" | "0" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn key_value_and_flags() {
        let a = Args::parse(&words(
            "ev.fits refimg=im.fits --out o.fits --clobber x=a=b",
        ))
        .unwrap();
        assert_eq!(a.positional, vec!["ev.fits"]);
        assert_eq!(a.get("refimg"), Some("im.fits"));
        assert_eq!(a.get("out"), Some("o.fits"));
        assert!(a.flag("clobber", false).unwrap());
        assert_eq!(a.get("x"), Some("a=b"));
        a.finish(1).unwrap();
    }

    #[test]
    fn unknown_and_duplicate_keys_are_errors() {
        let a = Args::parse(&words("foo=1")).unwrap();
        assert!(a.finish(0).is_err());
        assert!(matches!(
            a.finish(0),
            Err(crate::Error::Cli(CliError::UnknownKeys { .. }))
        ));
        assert!(Args::parse(&words("a=1 --a 2")).is_err());
        assert!(matches!(
            Args::parse(&words("a=1 --a 2")),
            Err(crate::Error::Cli(CliError::Repeated { .. }))
        ));
        let a = Args::parse(&words("p1 p2")).unwrap();
        assert!(a.finish(1).is_err());
        assert!(matches!(
            a.finish(1),
            Err(crate::Error::Cli(CliError::ExtraPositional { .. }))
        ));
    }

    #[test]
    fn paths_with_equals_are_positional_when_not_keys() {
        let a = Args::parse(&words("./a=b.fits")).unwrap();
        assert_eq!(a.positional, vec!["./a=b.fits"]);
    }
}
