//! XSPEC model components: parameter descriptions (as XSPEC's model.dat gives them) and
//! functions returning the photon flux integrated over each energy bin (photons cm⁻² s⁻¹
//! per bin) for additive components, or the dimensionless factor per bin for
//! multiplicative ones. Energies in keV; a grid of N+1 ascending edges gives N bins.

pub mod apec;
pub mod continuum;
pub mod lines;

use crate::error::{Error, Result, SpectralError};

/// One parameter as XSPEC declares it: default value, fit step (`delta`; negative means
/// frozen by default) and the hard/soft limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamSpec {
    pub name: &'static str,
    pub unit: &'static str,
    pub value: f64,
    pub delta: f64,
    pub min: f64,
    pub bot: f64,
    pub top: f64,
    pub max: f64,
}

const fn p(
    name: &'static str,
    unit: &'static str,
    value: f64,
    delta: f64,
    lim: [f64; 4],
) -> ParamSpec {
    ParamSpec {
        name,
        unit,
        value,
        delta,
        min: lim[0],
        bot: lim[1],
        top: lim[2],
        max: lim[3],
    }
}

/// The normalisation XSPEC appends to every additive component.
pub const NORM: ParamSpec = p("norm", "", 1.0, 0.01, [0.0, 0.0, 1e20, 1e24]);

/// Additive (a flux) or multiplicative (a factor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Additive,
    Multiplicative,
}

/// Evaluates a component for its parameters (additive: without the norm) on bin edges,
/// writing one value per bin.
pub type EvalFn = fn(&[f64], &[f64], &mut [f64]) -> Result<()>;

/// A model component XSPEC knows.
#[derive(Debug)]
pub struct ComponentSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// Parameters before the norm (the norm is added for additive components).
    pub params: &'static [ParamSpec],
    pub eval: EvalFn,
}

impl ComponentSpec {
    /// All parameters including the norm of additive components.
    pub fn all_params(&self) -> Vec<ParamSpec> {
        let mut v = self.params.to_vec();
        if self.kind == Kind::Additive {
            v.push(NORM);
        }
        v
    }
}

const ENERGY_LIMITS: [f64; 4] = [0.0, 0.0, 1e6, 1e6];

static COMPONENTS: &[ComponentSpec] = &[
    ComponentSpec {
        name: "powerlaw",
        kind: Kind::Additive,
        params: &[p("PhoIndex", "", 1.0, 0.01, [-3.0, -2.0, 9.0, 10.0])],
        eval: continuum::powerlaw,
    },
    ComponentSpec {
        name: "cutoffpl",
        kind: Kind::Additive,
        params: &[
            p("PhoIndex", "", 1.0, 0.01, [-3.0, -2.0, 9.0, 10.0]),
            p("HighECut", "keV", 15.0, 0.01, [0.01, 1.0, 500.0, 500.0]),
        ],
        eval: continuum::cutoffpl,
    },
    ComponentSpec {
        name: "bknpower",
        kind: Kind::Additive,
        params: &[
            p("PhoIndx1", "", 1.0, 0.01, [-3.0, -2.0, 9.0, 10.0]),
            p("BreakE", "keV", 5.0, 0.01, [0.0, 0.01, 1e6, 1e6]),
            p("PhoIndx2", "", 2.0, 0.01, [-3.0, -2.0, 9.0, 10.0]),
        ],
        eval: continuum::bknpower,
    },
    ComponentSpec {
        name: "lorentz",
        kind: Kind::Additive,
        params: &[
            p("LineE", "keV", 6.5, 0.05, ENERGY_LIMITS),
            p("Width", "keV", 0.1, 0.05, [0.0, 0.0, 10.0, 20.0]),
        ],
        eval: lines::lorentz,
    },
    ComponentSpec {
        name: "gaussian",
        kind: Kind::Additive,
        params: &[
            p("LineE", "keV", 6.5, 0.05, ENERGY_LIMITS),
            p("Sigma", "keV", 0.1, 0.05, [0.0, 0.0, 10.0, 20.0]),
        ],
        eval: lines::gaussian,
    },
    ComponentSpec {
        name: "zgauss",
        kind: Kind::Additive,
        params: &[
            p("LineE", "keV", 6.5, 0.05, ENERGY_LIMITS),
            p("Sigma", "keV", 0.1, 0.05, [0.0, 0.0, 10.0, 20.0]),
            p("Redshift", "", 0.0, -0.01, [-0.999, -0.999, 10.0, 10.0]),
        ],
        eval: lines::zgauss,
    },
    ComponentSpec {
        name: "constant",
        kind: Kind::Multiplicative,
        params: &[p("factor", "", 1.0, 0.01, [0.0, 0.0, 1e10, 1e10])],
        eval: continuum::constant,
    },
    ComponentSpec {
        name: "apec",
        kind: Kind::Additive,
        params: &[
            p("kT", "keV", 1.0, 0.01, [0.008, 0.008, 64.0, 64.0]),
            p("Abundanc", "", 1.0, -0.001, [0.0, 0.0, 5.0, 5.0]),
            p("Redshift", "", 0.0, -0.01, [-0.999, -0.999, 10.0, 10.0]),
        ],
        eval: apec::apec,
    },
];

/// Component by XSPEC name; XSPEC accepts any unambiguous abbreviation of a name.
pub fn lookup(name: &str) -> Option<&'static ComponentSpec> {
    let n = name.to_ascii_lowercase();
    if let Some(c) = COMPONENTS.iter().find(|c| c.name == n) {
        return Some(c);
    }
    let mut hits = COMPONENTS.iter().filter(|c| c.name.starts_with(&n));
    match (hits.next(), hits.next()) {
        (Some(c), None) if n.len() >= 2 => Some(c),
        _ => None,
    }
}

/// Check a grid: at least two edges, ascending.
pub fn check_grid(edges: &[f64]) -> Result<()> {
    if edges.len() < 2 {
        return Err(Error::from(SpectralError::BadGrid {
            msg: ("an energy grid needs at least two edges").into(),
        }));
    }
    if edges.windows(2).any(|w| !(w[1] >= w[0])) || edges.iter().any(|e| !e.is_finite()) {
        return Err(Error::from(SpectralError::BadGrid {
            msg: ("energy grid edges must be finite and ascending").into(),
        }));
    }
    Ok(())
}
