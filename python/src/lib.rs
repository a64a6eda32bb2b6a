//! `nuskybgd._native`: the Python binding of the nuskybgd library. The command line's tasks
//! (`run`, `main`), and a session over the spectral engine (`Session`) whose arrays are
//! numpy arrays. Errors are raised as `NuskybgdError` (a `RuntimeError`) carrying the
//! library's one-line message. The GIL is released while the library works.

use numpy::{IntoPyArray, PyArray1};
use nuskybgd::error::SpectralError;
use nuskybgd::io::output::Output;
use nuskybgd::spectral::fit::{fit, FitOptions};
use nuskybgd::spectral::params::Addr;
use nuskybgd::spectral::plotdata::SpectrumPlot;
use nuskybgd::spectral::run::{fit_notes, load, table, TableErrors};
use nuskybgd::spectral::session::Session;
use nuskybgd::spectral::stat::Statistic;
use nuskybgd::spectral::xcm::link::Expr;
use pyo3::create_exception;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

create_exception!(
    nuskybgd,
    NuskybgdError,
    PyRuntimeError,
    "An error of nuskybgd: the one-line message the command line prints."
);

/// A numpy array of f64.
type Array<'py> = Bound<'py, PyArray1<f64>>;

/// The library's error as the Python exception.
fn py_err(e: nuskybgd::Error) -> PyErr {
    NuskybgdError::new_err(e.to_string())
}

/// Run one task: `args[0]` is the task name, then its `key=value` arguments.
#[pyfunction]
fn run(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    py.allow_threads(|| nuskybgd::cli::run_args(&args))
        .map_err(py_err)
}

/// The command line on `argv` (`argv[0]` the program name); returns the exit code.
#[pyfunction]
fn main(py: Python<'_>, argv: Vec<String>) -> i32 {
    py.allow_threads(|| nuskybgd::cli::main_with(&argv))
}

/// The command line's tasks: (name, one-line summary), in the help's order.
#[pyfunction]
fn tasks() -> Vec<(String, String)> {
    nuskybgd::cli::tasks()
        .iter()
        .map(|t| (t.name.to_string(), t.summary.to_string()))
        .collect()
}

/// `install-scripts DIR [clobber=yes]` with the links pointing at `exe` (the `nuskybgd`
/// console script: under Python the running program is the interpreter). `args[0]` is the
/// task name. Returns the lines the command prints.
#[pyfunction]
fn install_scripts(args: Vec<String>, exe: PathBuf) -> PyResult<Vec<String>> {
    use nuskybgd::cli::args::Args;
    let rest = args.get(1..).unwrap_or_default();
    let a = Args::parse(rest).map_err(py_err)?;
    let dir = PathBuf::from(a.pos(0, "DIR").map_err(py_err)?);
    let clobber = a.flag("clobber", false).map_err(py_err)?;
    a.finish(1).map_err(py_err)?;
    let r = nuskybgd::cli::install::install_scripts(&dir, &exe, clobber).map_err(py_err)?;
    let mut lines: Vec<String> = r
        .made
        .iter()
        .map(|p| format!("install-scripts: {} -> {}", p.display(), exe.display()))
        .collect();
    lines.extend(
        r.kept
            .iter()
            .map(|p| format!("install-scripts: {} already links to nuskybgd", p.display())),
    );
    Ok(lines)
}

/// A save file loaded into the spectral engine: data, responses, models, parameters.
#[pyclass(name = "Session", module = "nuskybgd._native")]
struct PySession {
    sess: Session,
    path: PathBuf,
}

impl PySession {
    /// Index of data set `di` (0-based), checked.
    fn dataset(&self, di: usize) -> PyResult<usize> {
        if di < self.sess.data.len() {
            Ok(di)
        } else {
            Err(PyIndexError::new_err(format!(
                "data set index {di}: the session has {} data sets",
                self.sess.data.len()
            )))
        }
    }

    /// Index of source `si` (0-based), checked.
    fn source(&self, si: usize) -> PyResult<usize> {
        if si < self.sess.sources.len() {
            Ok(si)
        } else {
            Err(PyIndexError::new_err(format!(
                "source index {si}: the session has {} sources",
                self.sess.sources.len()
            )))
        }
    }

    /// The address of a parameter reference `pN` or `name:pN` (XSPEC's rule).
    fn addr(&self, par: &str) -> PyResult<Addr> {
        let bad = || PyValueError::new_err(format!("'{par}': not a parameter of this session"));
        match Expr::parse(par) {
            Ok(Expr::Ref(r)) => self.sess.addr(&r).ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// Indices of the bins of data set `di` that a plot shows (noticed, with energies).
    fn plotted_bins(&self, di: usize) -> Vec<usize> {
        let ds = &self.sess.data[di];
        let Some(r) = ds.resp.iter().flatten().next() else {
            return Vec::new();
        };
        (0..ds.bins.span.len())
            .filter(|&k| ds.noticed[k] && ds.bins.span[k].1 < r.rmf.e_max.len())
            .collect()
    }
}

#[pymethods]
impl PySession {
    /// Load save file `path` (data and responses read; relative names from its folder).
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let sess = py.allow_threads(|| load(&path, true)).map_err(py_err)?;
        Ok(PySession { sess, path })
    }

    /// The save file the session was loaded from.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The fit statistic's name: `chi` or `cstat`.
    #[getter]
    fn get_statistic_name(&self) -> String {
        self.sess.statistic.to_string()
    }

    /// Choose the fit statistic (`chi` or `cstat`).
    #[setter]
    fn set_statistic_name(&mut self, name: &str) -> PyResult<()> {
        self.sess.statistic = Statistic::parse(name).ok_or_else(|| {
            PyValueError::new_err(format!("statistic '{name}': use chi or cstat"))
        })?;
        Ok(())
    }

    /// The statistic at the current parameter values.
    fn statistic(&self, py: Python<'_>) -> PyResult<f64> {
        py.allow_threads(|| self.sess.statistic_value())
            .map_err(|e| py_err(e.in_file(&self.path)))
    }

    /// Number of noticed bins over all data sets.
    fn n_bins(&self) -> usize {
        self.sess.n_bins()
    }

    /// Degrees of freedom: noticed bins less free parameters.
    fn dof(&self) -> usize {
        self.sess.n_bins().saturating_sub(self.sess.free().len())
    }

    /// The data sets: number (1-based), file, instrument, exposure (s), source of each.
    fn datasets<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let mut out = Vec::new();
        for ds in &self.sess.data {
            let d = PyDict::new(py);
            d.set_item("number", ds.number)?;
            d.set_item("group", ds.group)?;
            d.set_item("file", &ds.file)?;
            d.set_item("instrume", &ds.spectrum.instrume)?;
            d.set_item("exposure", ds.spectrum.exposure)?;
            d.set_item("channels", ds.spectrum.len())?;
            d.set_item("bins", ds.noticed.iter().filter(|n| **n).count())?;
            out.push(d);
        }
        Ok(out)
    }

    /// Source names in order (`source N` for the unnamed one).
    fn sources(&self) -> Vec<String> {
        self.sess
            .sources
            .iter()
            .map(|s| {
                s.name
                    .clone()
                    .unwrap_or_else(|| format!("source {}", s.number))
            })
            .collect()
    }

    /// Source `si` (0-based): its model expression text.
    fn expression(&self, si: usize) -> PyResult<String> {
        Ok(self.sess.sources[self.source(si)?].expr.text.clone())
    }

    /// Component names of source `si` (0-based), as XSPEC numbers them.
    fn components(&self, si: usize) -> PyResult<Vec<String>> {
        let s = &self.sess.sources[self.source(si)?];
        Ok(s.expr.components.iter().map(|c| c.name.clone()).collect())
    }

    /// Every parameter: source, index (1-based, XSPEC's pN), reference, name, value,
    /// frozen, free, link (text or None), delta and limits (min, bot, top, max).
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let names = self.sources();
        let mut out = Vec::new();
        for (si, ps) in self.sess.params.iter().enumerate() {
            let prefix = match &self.sess.sources[si].name {
                Some(n) => format!("{n}:"),
                None => String::new(),
            };
            for (i, p) in ps.iter().enumerate() {
                let d = PyDict::new(py);
                d.set_item("source", &names[si])?;
                d.set_item("index", i + 1)?;
                d.set_item("ref", format!("{prefix}p{}", i + 1))?;
                d.set_item("name", &p.name)?;
                d.set_item("value", p.value)?;
                d.set_item("frozen", p.delta <= 0.0)?;
                d.set_item("free", p.is_free())?;
                d.set_item("link", p.link.as_ref().map(|l| l.to_text()))?;
                d.set_item("delta", p.delta)?;
                d.set_item("min", p.min)?;
                d.set_item("bot", p.bot)?;
                d.set_item("top", p.top)?;
                d.set_item("max", p.max)?;
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Set parameter `par` (`pN` or `name:pN`) to `value`, within its hard limits; linked
    /// parameters follow.
    fn set(&mut self, par: &str, value: f64) -> PyResult<()> {
        let a = self.addr(par)?;
        let p = &mut self.sess.params[a.source][a.index];
        if p.link.is_some() {
            return Err(PyValueError::new_err(format!("{par}: linked, not set")));
        }
        if !(value >= p.min && value <= p.max) {
            return Err(PyValueError::new_err(format!(
                "{par} = {value}: outside its hard limits {} .. {}",
                p.min, p.max
            )));
        }
        p.value = value;
        self.sess.resolve().map_err(py_err)
    }

    /// Freeze (`frozen=True`) or thaw parameter `par`.
    #[pyo3(signature = (par, frozen=true))]
    fn freeze(&mut self, par: &str, frozen: bool) -> PyResult<()> {
        let a = self.addr(par)?;
        let p = &mut self.sess.params[a.source][a.index];
        if frozen {
            p.delta = -p.delta.abs();
        } else {
            p.delta = if p.delta != 0.0 {
                p.delta.abs()
            } else {
                (0.01 * p.value.abs()).max(1e-6)
            };
        }
        Ok(())
    }

    /// Fit the free parameters with the native fitter (the save file's method and delta);
    /// a fit that does not converge raises unless `force`. Returns the report: statistic,
    /// dof, converged, iterations, summary (the CLI's `fit:` line), notes, table (the CLI's
    /// parameter table with 1-sigma errors), free (references) and sigma (1-sigma errors).
    #[pyo3(signature = (force=false, niter=None))]
    fn fit<'py>(
        &mut self,
        py: Python<'py>,
        force: bool,
        niter: Option<usize>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let mut opts = FitOptions::from_xcm(&self.sess.xcm);
        if let Some(n) = niter {
            opts.max_iter = n.max(1);
        }
        let sess = &mut self.sess;
        let r = py
            .allow_threads(|| fit(sess, &opts))
            .map_err(|e| py_err(e.in_file(&self.path)))?;
        if !r.converged && !force {
            return Err(py_err(
                SpectralError::FitRejected {
                    path: self.path.clone(),
                    summary: r.summary(&opts).to_string(),
                    statistic: r.statistic.to_string(),
                }
                .into(),
            ));
        }
        let refs = self.parameters(py)?;
        let d = PyDict::new(py);
        d.set_item("statistic", r.statistic)?;
        d.set_item("dof", self.dof())?;
        d.set_item("converged", r.converged)?;
        d.set_item("iterations", r.iterations)?;
        d.set_item("summary", r.summary(&opts).to_string())?;
        d.set_item("notes", fit_notes(&self.sess, &r, &opts))?;
        d.set_item("table", table(&self.sess, TableErrors::Sigma(&r)))?;
        let mut free = Vec::new();
        let mut sigma = Vec::new();
        for (k, a) in r.free.iter().enumerate() {
            let row = self.sess.params[..a.source]
                .iter()
                .map(Vec::len)
                .sum::<usize>()
                + a.index;
            free.push(refs[row].get_item("ref")?);
            sigma.push(r.covariance[k][k].max(0.0).sqrt());
        }
        d.set_item("free", free)?;
        d.set_item("sigma", sigma)?;
        Ok(d)
    }

    /// Channel energies of data set `di` (0-based): (e_lo, e_hi) in keV per channel.
    fn channel_energies<'py>(
        &self,
        py: Python<'py>,
        di: usize,
    ) -> PyResult<(Array<'py>, Array<'py>)> {
        let ds = &self.sess.data[self.dataset(di)?];
        let Some(r) = ds.resp.iter().flatten().next() else {
            return Err(PyValueError::new_err(format!(
                "data set {}: no response",
                ds.number
            )));
        };
        Ok((
            r.rmf.e_min.clone().into_pyarray(py),
            r.rmf.e_max.clone().into_pyarray(py),
        ))
    }

    /// Observed counts per channel of data set `di` (0-based), every channel.
    fn channel_data<'py>(&self, py: Python<'py>, di: usize) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let ds = &self.sess.data[self.dataset(di)?];
        Ok(ds.spectrum.counts.clone().into_pyarray(py))
    }

    /// Predicted counts per channel (every channel, ungrouped) of source `si` on data set
    /// `di` (both 0-based); only component `component` (0-based) when given.
    #[pyo3(signature = (di, si, component=None))]
    fn channel_counts<'py>(
        &self,
        py: Python<'py>,
        di: usize,
        si: usize,
        component: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (di, si) = (self.dataset(di)?, self.source(si)?);
        let v = py
            .allow_threads(|| self.sess.channel_counts(di, si, component))
            .map_err(py_err)?;
        Ok(v.into_pyarray(py))
    }

    /// Predicted counts of source `si` (component `component` when given) on data set `di`
    /// in the bins a plot shows (noticed bins with energies), all 0-based indices.
    #[pyo3(signature = (di, si, component=None))]
    fn bin_counts<'py>(
        &self,
        py: Python<'py>,
        di: usize,
        si: usize,
        component: Option<usize>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let (di, si) = (self.dataset(di)?, self.source(si)?);
        let v = py
            .allow_threads(|| self.sess.channel_counts(di, si, component))
            .map_err(py_err)?;
        let b = self.sess.data[di].bins.sum(&v);
        let out: Vec<f64> = self.plotted_bins(di).iter().map(|&k| b[k]).collect();
        Ok(out.into_pyarray(py))
    }

    /// What `plot` draws of data set `di` (0-based), in its noticed bins: e_lo, e_hi (keV),
    /// counts (background subtracted) and variance, model (total) and per source (dict),
    /// exposure (s); rebinned for display as XSPEC's `setplot rebin min_sig max_bins`
    /// when `min_sig` is given.
    #[pyo3(signature = (di, min_sig=None, max_bins=10))]
    fn plot_data<'py>(
        &self,
        py: Python<'py>,
        di: usize,
        min_sig: Option<f64>,
        max_bins: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let di = self.dataset(di)?;
        let mut p = py
            .allow_threads(|| SpectrumPlot::of(&self.sess, di))
            .map_err(py_err)?;
        if let Some(s) = min_sig {
            p = p.rebinned(s, max_bins);
        }
        let col = |f: &dyn Fn(&nuskybgd::spectral::plotdata::PlotBin) -> f64| -> Vec<f64> {
            p.bins.iter().map(f).collect()
        };
        let d = PyDict::new(py);
        d.set_item("number", p.number)?;
        d.set_item("file", &p.file)?;
        d.set_item("instrume", &p.instrume)?;
        d.set_item("exposure", p.exposure)?;
        d.set_item("e_lo", col(&|b| b.e_lo).into_pyarray(py))?;
        d.set_item("e_hi", col(&|b| b.e_hi).into_pyarray(py))?;
        d.set_item("counts", col(&|b| b.counts).into_pyarray(py))?;
        d.set_item("variance", col(&|b| b.variance).into_pyarray(py))?;
        d.set_item("model", col(&|b| b.model_total()).into_pyarray(py))?;
        let per = PyDict::new(py);
        for (si, name) in p.sources.iter().enumerate() {
            per.set_item(name, col(&|b| b.model[si]).into_pyarray(py))?;
        }
        d.set_item("sources", per)?;
        Ok(d)
    }

    /// Write the session's current state as an XSPEC save file `path` (`clobber` to
    /// replace an existing one).
    #[pyo3(signature = (path, clobber=false))]
    fn save(&self, path: &str, clobber: bool) -> PyResult<()> {
        let out = Output::new(path, clobber);
        out.check().map_err(py_err)?;
        out.write_text(&self.sess.to_xcm().to_text())
            .map_err(py_err)
    }
}

/// A sink writing to Python's `sys.<stream>` (taking the GIL; errors of the write, as on
/// a closed stream, are dropped).
fn python_sink(stream: &'static str) -> nuskybgd::io::console::Sink {
    Box::new(move |text: &str| {
        Python::with_gil(|py| {
            let _ = py
                .import("sys")
                .and_then(|sys| sys.getattr(stream))
                .and_then(|f| f.call_method1("write", (text,)));
        })
    })
}

/// The module: the library's text goes to `sys.stdout` and `sys.stderr` from now on.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("NuskybgdError", m.py().get_type::<NuskybgdError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(main, m)?)?;
    m.add_function(wrap_pyfunction!(tasks, m)?)?;
    m.add_function(wrap_pyfunction!(install_scripts, m)?)?;
    m.add_class::<PySession>()?;
    nuskybgd::io::console::set_sinks(Some(python_sink("stdout")), Some(python_sink("stderr")));
    Ok(())
}
