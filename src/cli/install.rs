//! `nuskybgd install-scripts DIR`: the originals' script names (`phafix.py`,
//! `getspecnoarf.py`, `absrmf.py`, `imrefspec.py`, `mkimgs`, `mkimgs.py`, …) and `nuskybgd`
//! itself as links to this program in DIR, so scripts written for the Python port run
//! unchanged with DIR on the `PATH`.

use crate::cli::args::Args;
use crate::cli::{Task, SCRIPT_NAMES};
use crate::error::{CliError, IoError, Result, TaskError};
use std::path::{Path, PathBuf};

const USAGE: &str = "\
nuskybgd install-scripts DIR [clobber=yes]

Makes in DIR (created if missing) a link to this program under each of the originals'
script names, and one named nuskybgd. Called by such a name, the program runs the matching
task with the script's arguments:
  phafix.py                     phafix
  getspecnoarf.py, getspecnoarf getspecnoarf (getspec with indir=, attfile=, stemout=)
  absrmf.py                     absrmf
  imrefspec.py, imrefspec       imrefspec MODS DETS
  mkimgs, mkimgs.py             mkimgs (EVTFILE OUTNAME ELOW EHIGH, or DIR OBSID ELOW EHIGH)
A name that exists and is not already such a link is kept unless clobber=yes.

Example:
  nuskybgd install-scripts ~/bin && getspecnoarf.py nu90201039002A01_cl.evt reg=bgd1.reg
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "install-scripts",
        summary: "the originals' script names as links to this program",
        usage: USAGE,
        run,
    }
}

/// What install-scripts made.
#[derive(Debug, Clone)]
pub struct Installed {
    /// Links made (or replaced).
    pub made: Vec<PathBuf>,
    /// Names already linked to this program, left as they were.
    pub kept: Vec<PathBuf>,
}

/// Link every script name (and `nuskybgd`) in `dir` to the program `exe`.
pub fn install_scripts(dir: &Path, exe: &Path, clobber: bool) -> Result<Installed> {
    std::fs::create_dir_all(dir).map_err(|e| TaskError::CreateDir {
        path: dir.to_path_buf(),
        source: e,
    })?;
    let mut names: Vec<&str> = vec!["nuskybgd"];
    names.extend(SCRIPT_NAMES.iter().map(|(n, _)| *n));
    let mut plan = Vec::new();
    for name in names {
        let link = dir.join(name);
        match std::fs::read_link(&link) {
            // a relative link target is relative to the link's folder
            Ok(target) if same_file(&dir.join(&target), exe) => plan.push((link, false)),
            _ if link.symlink_metadata().is_ok() && !clobber => {
                return Err(CliError::ScriptExists { path: link }.into())
            }
            _ => plan.push((link, true)),
        }
    }
    let mut out = Installed {
        made: Vec::new(),
        kept: Vec::new(),
    };
    for (link, make) in plan {
        if make {
            replace_link(&link, exe)?;
            out.made.push(link);
        } else {
            out.kept.push(link);
        }
    }
    Ok(out)
}

/// True when `a` and `b` name the same file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Make `link` point at `exe`, replacing what was there (made under a temporary name and
/// renamed, so a failure leaves the old name in place).
fn replace_link(link: &Path, exe: &Path) -> Result<()> {
    let tmp = link.with_file_name(format!(
        ".{}.nuskybgd-tmp",
        link.file_name().unwrap_or_default().to_string_lossy()
    ));
    let fail = |e: std::io::Error| CliError::Link {
        path: link.to_path_buf(),
        source: e,
    };
    let _ = std::fs::remove_file(&tmp);
    make_link(exe, &tmp).map_err(fail)?;
    std::fs::rename(&tmp, link).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })?;
    Ok(())
}

#[cfg(unix)]
fn make_link(exe: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(exe, link)
}

#[cfg(not(unix))]
fn make_link(exe: &Path, link: &Path) -> std::io::Result<()> {
    // no symbolic links for unprivileged users: a copy acts on its name the same way
    std::fs::copy(exe, link).map(|_| ())
}

fn run(a: &Args) -> Result<()> {
    let dir = PathBuf::from(a.pos(0, "DIR")?);
    let clobber = a.flag("clobber", false)?;
    a.finish(1)?;
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| IoError::Std { source: e })?;
    let r = install_scripts(&dir, &exe, clobber)?;
    for p in &r.made {
        crate::outln!("install-scripts: {} -> {}", p.display(), exe.display());
    }
    for p in &r.kept {
        crate::outln!("install-scripts: {} already links to nuskybgd", p.display());
    }
    Ok(())
}
