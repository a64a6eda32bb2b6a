//! `init`: find an observation in the archive layout and write the run's configuration
//! (`event_cl/bgd/nuskybgd.toml`) saying what was found and every default.

use super::config::{config_text, FcxbLinks, ModuleRegions, RunConfig, CONFIG_NAME};
use crate::error::{PipelineError, Result};
use crate::io::output::Output;
use crate::nustar::module::Module;
use crate::nustar::naming;
use crate::spectral::stat::Statistic;
use crate::tasks::getspec::Grouping;
use std::path::{Path, PathBuf};

/// What `init` is asked to do.
#[derive(Debug, Clone)]
pub struct InitRequest {
    /// The observation folder (holding `event_cl/`) or the `event_cl` folder itself.
    pub obsdir: PathBuf,
    /// Background region files; empty: the `bgd*.reg` found in `event_cl/bgd` or `event_cl`.
    pub bgdreg: Vec<PathBuf>,
    /// Source region files; empty: the `src*.reg` found there.
    pub srcreg: Vec<PathBuf>,
    /// The fit statistic the configuration names.
    pub statistic: Statistic,
    /// How the configuration ties the fcxb norms.
    pub fcxb_links: FcxbLinks,
    pub clobber: bool,
}

/// What `init` found and wrote.
#[derive(Debug, Clone)]
pub struct InitSummary {
    /// The configuration written.
    pub config: PathBuf,
    pub obsid: String,
    pub modules: Vec<Module>,
    /// One line per file found.
    pub found: Vec<String>,
}

/// Find the observation, choose the regions and write the configuration.
pub fn init(req: &InitRequest) -> Result<InitSummary> {
    let event_cl = event_cl_dir(&req.obsdir);
    let (obsid, modules) = find_observation(&event_cl)?;
    let mut found = Vec::new();
    for &m in &modules {
        for line in module_files(&event_cl, &obsid, m)? {
            found.push(line);
        }
    }
    let workdir = event_cl.join("bgd");
    let regions = choose_regions(req, &event_cl, &workdir, &modules)?;
    if modules.len() == 1 {
        found.push(format!(
            "only module {} has event files: a single-module configuration",
            modules[0].letter()
        ));
    }
    let cfg = RunConfig {
        path: workdir.join(CONFIG_NAME),
        workdir: workdir.clone(),
        obsid: obsid.clone(),
        event_cl: event_cl.clone(),
        regions,
        band: (3.0, 20.0),
        statistic: req.statistic,
        solar: false,
        fix_line_ratios: true,
        fcxb_links: req.fcxb_links,
        grouping: Grouping::Min(30),
        figures: crate::io::figure::Format::Png,
    };
    std::fs::create_dir_all(&workdir).map_err(|e| PipelineError::CreateDir {
        path: workdir.clone(),
        source: e,
    })?;
    let out = Output::new(&cfg.path.to_string_lossy(), req.clobber);
    out.write_text(&config_text(&cfg, &workdir, &found))?;
    Ok(InitSummary {
        config: cfg.path,
        obsid,
        modules,
        found,
    })
}

/// `dir/event_cl` when it exists, else `dir` (the user gave the `event_cl` folder).
pub fn event_cl_dir(dir: &Path) -> PathBuf {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let sub = dir.join("event_cl");
    if sub.is_dir() {
        sub
    } else {
        dir
    }
}

/// The obsid and modules of the cleaned event files `nu<obsid><M>01_cl.evt[.gz]` in `dir`.
pub fn find_observation(dir: &Path) -> Result<(String, Vec<Module>)> {
    let mut seen: Vec<(String, Module)> = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|_| PipelineError::NoObservation { path: dir.into() })?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(x) = parse_event_name(&name) {
            if !seen.contains(&x) {
                seen.push(x);
            }
        }
    }
    let mut obsids: Vec<&String> = seen.iter().map(|(o, _)| o).collect();
    obsids.sort();
    obsids.dedup();
    match obsids.as_slice() {
        [] => Err(PipelineError::NoObservation { path: dir.into() }.into()),
        [one] => {
            let modules = Module::ALL
                .into_iter()
                .filter(|m| seen.iter().any(|(o, x)| o == *one && x == m))
                .collect();
            Ok(((*one).clone(), modules))
        }
        many => Err(PipelineError::SeveralObservations {
            path: dir.into(),
            obsids: many
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
    }
}

/// (obsid, module) of a cleaned event file name `nu<obsid><M>01_cl.evt[.gz]`.
fn parse_event_name(name: &str) -> Option<(String, Module)> {
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let core = stem.strip_prefix("nu")?.strip_suffix("01_cl.evt")?;
    let (obsid, letter) = core.split_at(core.len().checked_sub(1)?);
    let m = Module::from_letter(letter.chars().next()?)?;
    (!obsid.is_empty() && obsid.chars().all(|c| c.is_ascii_digit())).then(|| (obsid.into(), m))
}

/// The file `name` or `name.gz` in `dir`.
pub fn with_gz(dir: &Path, name: &str) -> Option<PathBuf> {
    [dir.join(name), dir.join(format!("{name}.gz"))]
        .into_iter()
        .find(|p| p.is_file())
}

/// The event, DET1 and GTI files of module `m` (all required), as lines for the config.
pub fn module_files(dir: &Path, obsid: &str, m: Module) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    for (what, name) in [
        ("cleaned events", naming::events_file(obsid, m)),
        ("DET1 reference-point file", naming::det1_file(obsid, m)),
        ("GTI file", naming::gti_file(obsid, m)),
    ] {
        let p = with_gz(dir, &name).ok_or_else(|| PipelineError::ObservationFileMissing {
            path: dir.into(),
            what: what.into(),
            module: m.letter().into(),
            name: name.clone(),
        })?;
        lines.push(format!("{} {what}: {}", m.instrume(), p.display()));
    }
    Ok(lines)
}

/// The regions of each module: as given, or the `bgd*.reg`/`src*.reg` files found.
fn choose_regions(
    req: &InitRequest,
    event_cl: &Path,
    workdir: &Path,
    modules: &[Module],
) -> Result<Vec<ModuleRegions>> {
    let abs = |v: &[PathBuf]| -> Vec<PathBuf> {
        v.iter()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))
            .collect()
    };
    let given_bgd = abs(&req.bgdreg);
    let given_src = abs(&req.srcreg);
    for f in given_bgd.iter().chain(&given_src) {
        if !f.is_file() {
            return Err(crate::error::IoError::NoSuchFile { path: f.clone() }.into());
        }
    }
    let mut out = Vec::new();
    for &m in modules {
        let background = if given_bgd.is_empty() {
            found_regions(&[workdir, event_cl], "bgd", m)
        } else {
            given_bgd.clone()
        };
        if background.is_empty() {
            return Err(PipelineError::NoBackgroundRegions {
                path: event_cl.into(),
            }
            .into());
        }
        let source = if given_src.is_empty() {
            found_regions(&[workdir, event_cl], "src", m)
        } else {
            given_src.clone()
        };
        out.push(ModuleRegions {
            module: m,
            background,
            source,
        });
    }
    Ok(out)
}

/// Region files `<kind>*.reg` in the first of `dirs` that has any, for module `m`: files
/// named for the other module (`bgd1B.reg` when `m` is A) are left out.
pub fn found_regions(dirs: &[&Path], kind: &str, m: Module) -> Vec<PathBuf> {
    let other = Module::ALL
        .into_iter()
        .find(|x| *x != m)
        .map(|x| x.letter());
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        let mut v: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                name.is_some_and(|n| {
                    n.starts_with(kind)
                        && n.ends_with(".reg")
                        && !other.is_some_and(|o| n.ends_with(&format!("{o}.reg")))
                })
            })
            .collect();
        v.sort();
        if !v.is_empty() {
            return v;
        }
    }
    Vec::new()
}
