//! Energy bands of the background model, and the two rules that turn a band in keV into
//! channels. They differ on purpose, and by one channel at each end:
//!
//! * [`pi_channels`] — **the original's PI channel rule**, for selecting *events*: the IDL
//!   original's arithmetic on the NuSTAR PI grid (channel c covers [1.6 + 0.04c,
//!   1.64 + 0.04c) keV). 3–20 keV → PI 36–459. Used by `mkimgs`, as the xselect script of
//!   the original filtered the event list.
//! * [`noticed_channels`] — **XSPEC's energy-bin rule**, for a *spectrum with its RMF*: the
//!   channels `ignore **-emin emax-**` leaves noticed on the ungrouped spectrum, judged on
//!   the RMF's EBOUNDS. 3–20 keV → channels 35–458 (0-based indices into the spectrum).
//!   Used by `image` and `bgdspec` to count model predictions in a band, so both agree
//!   with XSPEC.
//!
//! The fitted band ([`FIT_BAND`], 3–150 keV) follows XSPEC's rule on the *grouped* bins:
//! [`band_counts`] and [`ignored_ranges`].

use crate::error::{ModelError, Result};
use crate::spectral::grouping::{apply, Bins, Range};
use crate::spectral::ogip::pha::Spectrum;
use crate::spectral::ogip::rmf::Rmf;

/// The band the background model is fitted in (keV): `ignore **-3. 150.-**`.
pub const FIT_BAND: (f64, f64) = (3.0, 150.0);

/// Energies (keV) PI channels 0–4095 cover.
pub const PI_BAND: (f64, f64) = (1.6, 165.44);

/// First and last PI channel of a band, with the original's arithmetic
/// (`trunc((elow−1.6)/0.04 + 1)`, `trunc((ehigh−1.6)/0.04)`, in f64: 3 keV → 36, 20 keV →
/// 459). PI channel c covers [1.6 + 0.04c, 1.64 + 0.04c) keV. A band reaching below
/// 1.6 keV or above 165.44 keV (the top of PI 4095) is refused, not clamped.
pub fn pi_channels(elow: f64, ehigh: f64) -> Result<(i64, i64)> {
    if !(elow.is_finite() && ehigh.is_finite()) || elow >= ehigh {
        return Err(ModelError::BandOrder { elow, ehigh }.into());
    }
    if elow < PI_BAND.0 - 1e-9 || ehigh > PI_BAND.1 + 1e-9 {
        return Err(ModelError::BandOutsidePi { elow, ehigh }.into());
    }
    let clow = ((elow - 1.6) / 0.04 + 1.0).trunc() as i64;
    let chigh = ((ehigh - 1.6) / 0.04).trunc() as i64;
    let (clow, chigh) = (clow.max(0), chigh.min(4095));
    if clow > chigh {
        return Err(ModelError::BandNoChannel { elow, ehigh }.into());
    }
    Ok((clow, chigh))
}

/// Channels in the band `emin`–`emax` keV as XSPEC's `ignore **-emin emax-**` leaves them
/// noticed on the ungrouped spectrum (the `image` task's rule; for NuSTAR 3–20 keV this is
/// channels 35–458).
pub fn noticed_channels(
    sp: &Spectrum,
    e_min: &[f64],
    e_max: &[f64],
    emin: f64,
    emax: f64,
) -> Vec<bool> {
    let mut ungrouped = sp.clone();
    ungrouped.grouping.iter_mut().for_each(|g| *g = 1);
    ungrouped.quality.iter_mut().for_each(|q| *q = 0);
    let bins = Bins::of(&ungrouped);
    let mut noticed = bins.initially_noticed();
    for rg in [
        Range::Energies(f64::NEG_INFINITY, emin),
        Range::Energies(emax, f64::INFINITY),
    ] {
        apply(&rg, &bins, e_min, e_max, &mut noticed, false);
    }
    noticed
}

/// Which grouped bins `ignore **-3. 150.-**` leaves noticed.
fn fit_band(sp: &Spectrum, rmf: &Rmf) -> (Bins, Vec<bool>) {
    let bins = Bins::of(sp);
    let mut noticed = vec![true; bins.len()];
    for r in [
        Range::Energies(f64::NEG_INFINITY, FIT_BAND.0),
        Range::Energies(FIT_BAND.1, f64::INFINITY),
    ] {
        apply(&r, &bins, &rmf.e_min, &rmf.e_max, &mut noticed, false);
    }
    (bins, noticed)
}

/// Counts of a spectrum in the fitted band (3–150 keV, XSPEC's rule on grouped bins).
pub fn band_counts(sp: &Spectrum, rmf: &Rmf) -> f64 {
    let (bins, noticed) = fit_band(sp, rmf);
    bins.sum(&sp.counts)
        .iter()
        .zip(&noticed)
        .filter(|(_, n)| **n)
        .map(|(c, _)| c)
        .sum()
}

/// Channel ranges (1-based grouped bins) that `ignore **-3. 150.-**` removes.
pub fn ignored_ranges(sp: &Spectrum, rmf: &Rmf) -> String {
    let (_, noticed) = fit_band(sp, rmf);
    let mut out = Vec::new();
    let mut b = 0;
    while b < noticed.len() {
        if !noticed[b] {
            let start = b;
            while b + 1 < noticed.len() && !noticed[b + 1] {
                b += 1;
            }
            out.push(if start == b {
                format!("{}", start + 1)
            } else {
                format!("{}-{}", start + 1, b + 1)
            });
        }
        b += 1;
    }
    out.join(",")
}

/// Counts of the spectrum `pha` in `emin`–`emax` keV by XSPEC's rule on its ungrouped
/// channels ([`noticed_channels`]), with the channel energies of `rmf`.
pub fn file_band_counts(
    pha: &std::path::Path,
    rmf: &std::path::Path,
    emin: f64,
    emax: f64,
) -> Result<f64> {
    let sp = Spectrum::read_at(pha, None)?;
    let r = crate::spectral::ogip::store::read_rmf(rmf)?;
    let band = noticed_channels(&sp, &r.e_min, &r.e_max, emin, emax);
    Ok(sp
        .counts
        .iter()
        .zip(&band)
        .filter(|(_, b)| **b)
        .map(|(c, _)| c)
        .sum())
}
