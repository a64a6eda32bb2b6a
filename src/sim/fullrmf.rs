//! Full-size synthetic detector responses (`responses=full`): redistribution matrices with
//! the structure and size of NuSTAR's CALDB RMFs — 4096 energies × 4096 PI channels of
//! 0.04 keV from 1.6 keV, every energy row running from channel 0 up to a few resolution
//! widths above its line, about 7 M non-zero values — built from a physical description
//! of a CZT pixel detector, not from calibration data:
//!
//! * a Gaussian core at the photon energy (times the detector's gain), FWHM
//!   `sqrt(0.405² + (0.0024·E)²)` keV times the detector's resolution factor;
//! * a low-energy tail (an exponential of scale `0.35 + 0.015·E` keV folded with the core:
//!   incomplete charge collection), growing from 13% of the row at low energy to ~55% at
//!   150 keV as photons interact deeper;
//! * a flat shelf from 0 keV up to the line (charge shared with neighbours, escape from
//!   the pixel), 1% rising to ~20%;
//! * Cd and Te K-escape peaks 23.17 keV and 27.47 keV below the line above the Cd (26.71
//!   keV) and Te (31.81 keV) K edges;
//! * an efficiency: transmission of the Pt contact (an optical depth `0.42·(E/3)^-2`
//!   above the Pt M edge at 2.12 keV, 2.3 times less below it), the depth cut's loss above
//!   50 keV (`exp(-((E-50)/112)²)`), and nothing above 150 keV; whatever falls below
//!   1.6 keV (channel 0) is lost, as the detector threshold loses it.
//!
//! Rows are therefore normalised as the real ones are: their sums are the detection
//! efficiency (about 0.3 at 1.6 keV, ~1 from 20 to 60 keV, ~0.5 at 140 keV, 0 above
//! 150 keV), not 1. Each detector has its own gain (±0.3%) and resolution (±3%).

use super::instrument::{energy_edges, NBINS};
use crate::nustar::module::Module;
use crate::spectral::ogip::rmf::Rmf;
use rayon::prelude::*;
use std::path::PathBuf;

/// Channel width (keV) and the energy of channel 0's lower edge.
const DE: f64 = 0.04;
const E0: f64 = 1.6;
/// Stored values below this are dropped (the real files store down to ~1e-11).
const FLOOR: f64 = 1e-11;
/// No response above this energy (keV), as in the real files.
pub const E_MAX_RESPONSE: f64 = 150.0;
/// Cd and Te K edges and Kα escape energies (keV).
const CD_EDGE: f64 = 26.711;
const CD_KA: f64 = 23.174;
const TE_EDGE: f64 = 31.814;
const TE_KA: f64 = 27.472;

/// How one detector differs from the nominal: gain (line position factor) and
/// resolution (FWHM factor).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectorShape {
    pub gain: f64,
    pub resolution: f64,
}

/// The shape of detector `det` (0..3) of module `m`: deterministic, within ±0.3% in gain
/// and ±3% in resolution.
pub fn detector_shape(m: Module, det: usize) -> DetectorShape {
    let k = (det + 4 * usize::from(m == Module::B)) as f64;
    DetectorShape {
        gain: 1.0 + 0.003 * (1.3 + 2.1 * k).sin(),
        resolution: 1.0 + 0.03 * (0.4 + 1.7 * k).cos(),
    }
}

/// Nominal FWHM (keV) of the line core at energy `e` (keV).
pub fn full_fwhm(e: f64) -> f64 {
    (0.405f64.powi(2) + (0.0024 * e).powi(2)).sqrt()
}

/// Detection efficiency at `e` (keV) before the threshold: contact transmission × depth
/// cut, 0 at and above [`E_MAX_RESPONSE`].
pub fn efficiency(e: f64) -> f64 {
    if e >= E_MAX_RESPONSE {
        return 0.0;
    }
    let tau = 0.42 * (e / 3.0).powi(-2) / if e < 2.12 { 2.3 } else { 1.0 };
    let depth = if e > 50.0 {
        (-((e - 50.0) / 112.0).powi(2)).exp()
    } else {
        1.0
    };
    (-tau).exp() * depth
}

fn sigmoid(e: f64) -> f64 {
    1.0 / (1.0 + (-(e - 95.0) / 15.0).exp())
}

/// The parts of one energy's response, as fractions of the detected photons.
struct Profile {
    mu: f64,
    sigma: f64,
    core: f64,
    tail: f64,
    lambda: f64,
    shelf: f64,
    /// (energy, fraction) of the escape peaks.
    escape: Vec<(f64, f64)>,
}

impl Profile {
    fn new(e: f64, s: DetectorShape) -> Profile {
        let mu = e * s.gain;
        let sigma = full_fwhm(e) * s.resolution / (8.0 * 2f64.ln()).sqrt();
        let sg = sigmoid(e);
        let (tail, shelf) = (0.13 + 0.42 * sg, 0.01 + 0.2 * sg);
        let mut escape = Vec::new();
        if e > CD_EDGE {
            escape.push((mu - CD_KA * s.gain, 0.10 * (CD_EDGE / e).powf(1.5)));
        }
        if e > TE_EDGE {
            escape.push((mu - TE_KA * s.gain, 0.06 * (TE_EDGE / e).powf(1.5)));
        }
        let esc: f64 = escape.iter().map(|x| x.1).sum();
        Profile {
            mu,
            sigma,
            core: 1.0 - tail - shelf - esc,
            tail,
            lambda: 0.35 + 0.015 * e,
            shelf,
            escape,
        }
    }

    /// Gaussian of centre `c` integrated over [a, b] (keV), times `w`; 0 beyond 9σ.
    fn gauss(&self, c: f64, w: f64, a: f64, b: f64) -> f64 {
        if a > c + 9.0 * self.sigma || b < c - 9.0 * self.sigma {
            return 0.0;
        }
        let z = |x: f64| (x - c) / (self.sigma * std::f64::consts::SQRT_2);
        w * 0.5 * (libm::erf(z(b)) - libm::erf(z(a)))
    }

    /// Density (per keV) of the exponential tail folded with the core at `x`.
    fn tail_density(&self, x: f64) -> f64 {
        let (s, l) = (self.sigma, self.lambda);
        let y = self.mu - x;
        if y < -10.0 * s {
            return 0.0;
        }
        let arg = (s / l - y / s) / std::f64::consts::SQRT_2;
        // erfc is 2 to double precision below -6 (far under the line)
        let c = if arg < -6.0 { 2.0 } else { libm::erfc(arg) };
        self.tail / (2.0 * l) * (s * s / (2.0 * l * l) - y / l).exp() * c
    }

    /// Density (per keV) of the shelf at `x`: flat from 0 to the line, falling with the
    /// core's width there.
    fn shelf_density(&self, x: f64) -> f64 {
        let z = (x - self.mu) / (self.sigma * std::f64::consts::SQRT_2);
        let c = if z < -6.0 { 2.0 } else { libm::erfc(z) };
        self.shelf / self.mu * 0.5 * c
    }

    /// The response in channel `k` (fraction of the detected photons).
    fn channel(&self, k: usize) -> f64 {
        let a = E0 + DE * k as f64;
        let (b, x) = (a + DE, a + 0.5 * DE);
        let mut v = self.gauss(self.mu, self.core, a, b)
            + DE * (self.tail_density(x) + self.shelf_density(x));
        for &(c, w) in &self.escape {
            v += self.gauss(c, w, a, b);
        }
        v
    }
}

/// The stored run of the energy bin centred at `e` (keV) for a detector of shape `s`:
/// channels 0 up to where the values fall under 1e-11, scaled by the efficiency.
pub fn response_row(e: f64, s: DetectorShape) -> Vec<(usize, Vec<f32>)> {
    let eff = efficiency(e);
    if eff <= 0.0 {
        return Vec::new();
    }
    let p = Profile::new(e, s);
    let top = p.mu + 9.0 * p.sigma;
    let last = (((top - E0) / DE).ceil().max(0.0) as usize).min(NBINS - 1);
    let mut v: Vec<f64> = (0..=last).map(|k| eff * p.channel(k)).collect();
    while v.last().is_some_and(|x| *x < FLOOR) {
        v.pop();
    }
    // the shelf keeps every channel below the line above the floor
    v.iter_mut().for_each(|x| {
        if *x < FLOOR {
            *x = 0.0
        }
    });
    if v.is_empty() {
        Vec::new()
    } else {
        // single precision, as RMFs hold and store their values
        vec![(0, v.into_iter().map(|x| x as f32).collect())]
    }
}

/// The full-size response of detector `det` of module `m` on the synthetic grid.
pub fn full_rmf(m: Module, det: usize) -> Rmf {
    let e = energy_edges();
    let s = detector_shape(m, det);
    let rows: Vec<Vec<(usize, Vec<f32>)>> = (0..NBINS)
        .into_par_iter()
        .map(|i| response_row(0.5 * (e[i] + e[i + 1]), s))
        .collect();
    Rmf {
        path: PathBuf::new(),
        energy_lo: e[..NBINS].to_vec(),
        energy_hi: e[1..].to_vec(),
        rows,
        nchan: NBINS,
        first_channel: 0,
        e_min: e[..NBINS].to_vec(),
        e_max: e[1..].to_vec(),
    }
}
