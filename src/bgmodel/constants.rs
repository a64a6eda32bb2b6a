//! The background model's constants: how the presets' numbers become normalisations.
//! The model builder (`model_build`) starts its fit from them and `sim` draws its truth
//! with them, so the two agree by construction.

/// CXB cutoff power law normalisation (ph/cm²/s/keV at 1 keV per deg², Boldt 1987).
pub const CXB_NORM: f64 = 0.002353;
/// apbgd norm per unit of aperture-image sum (10–15 keV CXB rate through the aperture).
pub const APBGD_PER_APW: f64 = CXB_NORM / 32.0;
/// fcxb norm per exposure-weighted detector pixel: CXB × 1.5 × pixel solid angle (deg²).
pub const FCXB_PER_PIXEL: f64 =
    CXB_NORM * 1.5 * (2.45810736 / 3600.0 * 1000.0) * (2.45810736 / 3600.0 * 1000.0) / 1e6;
/// nuskybgd-py's intn scale: Σ area·ifactor / 599.75 ("pixels per arcmin²").
pub const INTN_PIXELS: f64 = 599.75;
/// ratios.json holds the IDL original's whole-detector intn norms divided by this.
pub const INTN_IFACTOR_SCALE: f64 = 25.0;

/// Sub-pixels per detector: the ifactors of the line presets are norms for a whole
/// detector (180 × 180 DET1 pixels).
pub const PIXELS_PER_DETECTOR: f64 = 32400.0;
