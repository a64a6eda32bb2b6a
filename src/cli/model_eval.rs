//! `nuskybgd model-eval MODEL "p1,p2,..." grid=EDGES.txt`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::spectral::expr::Expression;
use std::path::Path;

const USAGE: &str = "\
nuskybgd model-eval MODEL \"p1,p2,...\" grid=EDGES.txt

Evaluates an XSPEC model expression (powerlaw, cutoffpl, bknpower, lorentz, gaussian,
zgauss, constant, apec; joined by + and * with parentheses) for the parameters in XSPEC's
order (norms included) on the energy grid in EDGES.txt (one bin edge in keV per line), and
prints `elo ehi flux` per bin: the photon flux integrated over the bin (photons/cm2/s).

Example:
  nuskybgd model-eval cutoffpl \"1.29,41.13,0.002353\" grid=edges.txt
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "model-eval",
        summary: "evaluate an XSPEC model expression on an energy grid",
        usage: USAGE,
        run,
    }
}

/// Read bin edges (keV), one per line; blank lines and `#` comments skipped.
pub fn read_grid(path: &Path) -> Result<Vec<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
        path: path.into(),
        source: e,
    })?;
    let mut v = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.split('#').next().unwrap_or("").trim();
        if t.is_empty() {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        v.push(
            first
                .parse::<f64>()
                .map_err(|_| CliError::NotAnEnergyLine {
                    path: path.into(),
                    line: i + 1,
                    value: first.to_string(),
                })?,
        );
    }
    crate::spectral::models::check_grid(&v).map_err(|e| e.in_file(path))?;
    Ok(v)
}

fn run(a: &Args) -> Result<()> {
    let model = a.pos(0, "MODEL")?.to_string();
    let plist = a.pos(1, "parameter list")?.to_string();
    let grid = a.require("grid")?.to_string();
    a.finish(2)?;
    let e = Expression::parse(&model)?;
    let params: Vec<f64> = plist
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            s.trim().parse::<f64>().map_err(|_| {
                CliError::BadParameter {
                    value: s.to_string(),
                }
                .into()
            })
        })
        .collect::<Result<_>>()?;
    let edges = read_grid(Path::new(&grid))?;
    let flux = e.eval(&params, &edges)?;
    let mut out = String::with_capacity(flux.len() * 64);
    for (i, f) in flux.iter().enumerate() {
        out.push_str(&format!("{:?} {:?} {:?}\n", edges[i], edges[i + 1], f));
    }
    crate::out!("{out}");
    Ok(())
}
