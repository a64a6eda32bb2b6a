//! The nuskybgd background model itself: the presets (`ratios.json`), the user's
//! description of an analysis (`bgdinfo.json`, read and written here), region weights on
//! the projected images, the apbgd ARF, the detector RMFs and absorption curves, and the
//! model as a value (`model`) that becomes an XSPEC save file or a session. Uses `io`, `nustar`, `sky` and `spectral`; the tasks
//! (`tasks`), `sim` and `pipeline` build on it.
pub mod arf;
pub mod bands;
pub mod bgdinfo;
pub mod constants;
pub mod detrmf;
pub mod geometry;
pub mod model;
pub mod model_build;
pub mod presets;
pub mod setup;
