//! The engine's commands at file level: load a save file, fit it, describe it.

use crate::error::{Error, Result};
use crate::io::output::Output;
use crate::spectral::fit::{errors, fit, FitResult};
use crate::spectral::session::Session;
use crate::spectral::stat::Statistic;
use crate::spectral::xcm::file::XcmFile;
use std::fmt::Write;
use std::path::Path;

/// Load a save file into a session (data and responses read when `load`).
pub fn load(path: &Path, load: bool) -> Result<Session> {
    let x = XcmFile::read(path)?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Session::from_xcm(&x, path, base, load)
}

/// Parameter table: one line per parameter of every source and data group.
pub fn table(sess: &Session, errs: Option<(&FitResult, &[(f64, f64)])>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>4} {:>4} {:<22} {:>14} {:>8}  {}",
        "src", "par", "name", "value", "status", "error / link"
    );
    for (si, src) in sess.sources.iter().enumerate() {
        let label = match &src.name {
            Some(n) => format!("{}:{n}", src.number),
            None => src.number.to_string(),
        };
        let _ = writeln!(s, "source {label}: {}", src.expr.text);
        for (i, p) in sess.params[si].iter().enumerate() {
            let (status, extra) = match &p.link {
                Some(e) => ("linked", format!("= {}", e.to_text())),
                None if p.is_free() => {
                    let e = errs.and_then(|(r, e)| {
                        r.free
                            .iter()
                            .position(|a| *a == (si, i))
                            .and_then(|k| e.get(k))
                    });
                    (
                        "free",
                        e.map(|(lo, hi)| format!("{lo:+.4e} {hi:+.4e}"))
                            .unwrap_or_default(),
                    )
                }
                None => ("frozen", String::new()),
            };
            let _ = writeln!(
                s,
                "{:>4} {:>4} {:<22} {:>14.6e} {:>8}  {}",
                src.number,
                i + 1,
                p.name,
                p.value,
                status,
                extra
            );
        }
    }
    s
}

/// What `xcm-fit` did.
pub struct XcmFitReport {
    pub session: Session,
    pub fit: FitResult,
    pub errors: Option<Vec<(f64, f64)>>,
    pub dof: usize,
}

/// Load, fit (optionally with another statistic), optionally compute 90% errors, and write
/// the fitted state to `out`. A fit that does not converge is an error unless `force`.
pub fn xcm_fit(
    input: &Path,
    out: Option<&Output>,
    statistic: Option<Statistic>,
    with_errors: bool,
    force: bool,
) -> Result<XcmFitReport> {
    if let Some(o) = out {
        o.check()?;
    }
    let mut sess = load(input, true)?;
    if let Some(s) = statistic {
        sess.statistic = s;
    }
    let r = fit(&mut sess, 1000, 1e-6).map_err(|e| e.in_file(input))?;
    if !r.converged && !force {
        return Err(Error::file(
            input,
            format!(
                "fit did not converge in {} iterations (statistic {}); nothing written",
                r.iterations, r.statistic
            ),
        ));
    }
    let errs = if with_errors {
        Some(errors(&mut sess, &r, 2.706)?)
    } else {
        None
    };
    let dof = sess.n_bins().saturating_sub(r.free.len());
    if let Some(o) = out {
        let mut x = sess.to_xcm();
        if let Some(s) = statistic {
            for it in x.items.iter_mut() {
                if let crate::spectral::xcm::file::Item::Cmd { name, args, .. } = it {
                    if name == "statistic" {
                        *args = s.name().to_string();
                    }
                }
            }
        }
        o.write_text(&x.to_text())?;
    }
    Ok(XcmFitReport {
        session: sess,
        fit: r,
        errors: errs,
        dof,
    })
}
