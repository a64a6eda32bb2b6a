//! The engine's commands at file level: load a save file, fit it, describe it.

use crate::error::{Error, Result, SpectralError};
use crate::io::output::Output;
use crate::spectral::fit::{errors, fit, ErrorReport, FitOptions, FitResult};
use crate::spectral::params::Addr;
use crate::spectral::session::Session;
use crate::spectral::stat::Statistic;
use crate::spectral::xcm::file::{Item, XcmFile};
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

/// What a parameter table says of the free parameters beyond their values.
#[derive(Clone, Copy)]
pub enum TableErrors<'a> {
    /// Values only.
    None,
    /// ±1σ from the fit's covariance matrix; parameters at a limit marked.
    Sigma(&'a FitResult),
    /// Confidence intervals; parameters at a limit and bounds cut by a limit marked.
    Intervals(&'a ErrorReport),
}

/// The error column of free parameter `a`.
fn error_text(errs: TableErrors, a: Addr) -> String {
    let (fit, iv) = match errs {
        TableErrors::None => return String::new(),
        TableErrors::Sigma(f) => (f, None),
        TableErrors::Intervals(r) => (&r.best, Some(r)),
    };
    let Some(k) = fit.free.iter().position(|f| *f == a) else {
        return String::new();
    };
    if let Some(l) = fit.at_limit[k] {
        return format!("at {} limit", l.name());
    }
    match iv.map(|r| r.intervals[k]) {
        Some(i) => format!(
            "{:+.4e}{} {:+.4e}{}",
            i.lower,
            if i.lower_at_limit { " (limit)" } else { "" },
            i.upper,
            if i.upper_at_limit { " (limit)" } else { "" }
        ),
        None => {
            let var = fit.covariance[k][k];
            if var.is_finite() && var > 0.0 {
                format!("{:+.4e} {:+.4e}", -var.sqrt(), var.sqrt())
            } else {
                // no curvature of its own (a line narrower than a bin, say)
                "not determined by the data".to_string()
            }
        }
    }
}

/// Parameter table: one line per parameter of every source and data group.
pub fn table(sess: &Session, errs: TableErrors) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>4} {:>4} {:<22} {:>14} {:>8}  error / link",
        "src", "par", "name", "value", "status"
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
                None if p.is_free() => ("free", error_text(errs, Addr::new(si, i))),
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

/// The lines a fitted save file and results table carry about the fit: how it ended and
/// which parameters are held at a limit (XSPEC ignores `#` lines when loading).
pub fn fit_notes(sess: &Session, r: &FitResult, opts: &FitOptions) -> Vec<String> {
    let mut v = vec![format!(
        "# fit: {} {:.6} dof {}; {}",
        sess.statistic,
        r.statistic,
        sess.n_bins().saturating_sub(r.free.len()),
        r.summary(opts)
    )];
    for (a, l) in r.free.iter().zip(&r.at_limit) {
        if let Some(l) = l {
            let src = &sess.sources[a.source];
            v.push(format!(
                "# fit: source {} parameter {} ({}) is at its {} limit {}",
                src.number,
                a.index + 1,
                sess.params[a.source][a.index].name,
                l.name(),
                sess.params[a.source][a.index].value
            ));
        }
    }
    v
}

/// A save file of the session's state with `notes` on top and the statistic as fitted.
pub fn fitted_xcm(sess: &Session, notes: &[String]) -> XcmFile {
    let mut x = sess.to_xcm();
    for it in x.items.iter_mut() {
        if let Item::Cmd { name, args, .. } = it {
            if name == "statistic" {
                *args = sess.statistic.name().to_string();
            }
        }
    }
    let n = notes.len();
    x.items
        .splice(0..0, notes.iter().map(|c| Item::Comment(c.clone())));
    x.lines.splice(0..0, std::iter::repeat_n(0, n));
    x
}

/// What `xcm-fit` is asked to do.
pub struct XcmFitRequest<'a> {
    pub input: &'a Path,
    /// Where to write the fitted state (None: nowhere).
    pub out: Option<&'a Output>,
    /// Statistic replacing the file's.
    pub statistic: Option<Statistic>,
    /// Fit (false: only evaluate the statistic at the file's values, as XSPEC does on
    /// loading).
    pub fit: bool,
    /// 90% confidence intervals.
    pub errors: bool,
    /// Write the result even when the fit did not converge.
    pub force: bool,
    /// Iteration limit replacing the file's `method leven N`.
    pub max_iter: Option<usize>,
    /// Print each iteration on stderr.
    pub chatter: bool,
}

/// What `xcm-fit` did.
pub struct XcmFitReport {
    pub session: Session,
    /// The options the fit ran with (the file's `method`, `xset delta`).
    pub options: FitOptions,
    /// The statistic at the file's values.
    pub start_statistic: f64,
    pub fit: Option<FitResult>,
    pub errors: Option<ErrorReport>,
    pub dof: usize,
}

/// Load, fit (optionally with another statistic), optionally compute 90% errors, and write
/// the fitted state to `out`. A fit that does not converge is an error unless `force`.
pub fn xcm_fit(req: &XcmFitRequest) -> Result<XcmFitReport> {
    if let Some(o) = req.out {
        o.check()?;
    }
    let mut sess = load(req.input, true)?;
    if let Some(s) = req.statistic {
        sess.statistic = s;
    }
    let mut options = FitOptions::from_xcm(&sess.xcm);
    if let Some(n) = req.max_iter {
        options.max_iter = n;
    }
    options.chatter = req.chatter;
    let start_statistic = sess.statistic_value().map_err(|e| e.in_file(req.input))?;
    let mut report = XcmFitReport {
        dof: sess.n_bins().saturating_sub(sess.free().len()),
        session: sess,
        options,
        start_statistic,
        fit: None,
        errors: None,
    };
    if req.fit {
        fit_and_write(req, &mut report)?;
    }
    Ok(report)
}

fn fit_and_write(req: &XcmFitRequest, rep: &mut XcmFitReport) -> Result<()> {
    let sess = &mut rep.session;
    let r = fit(sess, &rep.options).map_err(|e| e.in_file(req.input))?;
    if !r.converged && !req.force {
        return Err(Error::from(SpectralError::FitRejected {
            path: std::path::PathBuf::from(req.input),
            summary: r.summary(&rep.options).to_string(),
            statistic: r.statistic.to_string(),
        }));
    }
    let r = if req.errors {
        let e = errors(sess, &r, 2.706, &rep.options)?;
        let best = e.best.clone();
        rep.errors = Some(e);
        best
    } else {
        r
    };
    if let Some(o) = req.out {
        let notes = fit_notes(sess, &r, &rep.options);
        o.write_text(&fitted_xcm(sess, &notes).to_text())?;
    }
    rep.fit = Some(r);
    Ok(())
}
