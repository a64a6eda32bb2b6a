//! Failures of `bgmodel`: the background model (presets, bgdinfo, geometry, responses): each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A JSON file (ratios.json, bgdinfo.json) that does not parse.
    #[error("{}: not valid JSON: {source}", path.display())]
    NotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// A model file that cannot be read.
    #[error("{}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// ratios.json is not shaped as the presets expect (`what` says where).
    #[error("{}: {what}", path.display())]
    BadPresets { path: PathBuf, what: String },
    /// ratios.json's `models` list has fewer than the 4 sources.
    #[error("{}: 'models' has {entries} entries; 4 expected (apbgd, intbgd, fcxb, intn)", path.display())]
    TooFewPresets { path: PathBuf, entries: usize },
    /// bgdinfo.json lacks a key or holds a value of the wrong shape (`what` says which).
    #[error("{}: {what}", path.display())]
    BadBgdInfo { path: PathBuf, what: String },
    /// bgdinfo.json has spectra of `module` (A/B) but no projected images of it.
    #[error("{}: module {module} spectra are listed but bgdapfiles/bgddetfiles have no '{module}' entry", path.display())]
    NoModuleImages { path: PathBuf, module: String },
    /// bgdinfo.json lists a file that does not exist.
    #[error("{}: lists {} which does not exist", path.display(), listed.display())]
    ListedFileMissing { path: PathBuf, listed: PathBuf },
    /// A save file has fewer spectra than bgdinfo.json's background spectra.
    #[error("{}: has {spectra} spectra, bgdinfo.json lists {background} background spectra", path.display())]
    TooFewSpectra {
        path: PathBuf,
        spectra: usize,
        background: usize,
    },
    /// Spectrum `number` (1-based) of a save file is not bgdinfo.json's background spectrum there.
    #[error("{}: spectrum {number} is {named}, but bgdinfo.json lists {} there (spectra in a different order?)", path.display(), listed.display())]
    SpectrumOrder {
        path: PathBuf,
        number: usize,
        named: String,
        listed: PathBuf,
    },
    /// An energy band (keV) whose low edge is not below its high edge.
    #[error("energy band {elow}-{ehigh} keV: ELOW must be below EHIGH")]
    BandOrder { elow: f64, ehigh: f64 },
    /// An energy band (keV) outside every PI channel.
    #[error("energy band {elow}-{ehigh} keV selects no PI channel (NuSTAR covers 1.6-165.44 keV)")]
    BandNoChannel { elow: f64, ehigh: f64 },
    /// An event band (keV) reaching outside what PI channels 0–4095 cover.
    #[error("energy band {elow}-{ehigh} keV reaches outside NuSTAR's PI channels 0-4095 (1.6-165.44 keV); give a band inside it")]
    BandOutsidePi { elow: f64, ehigh: f64 },
    /// The RMF file given does not exist.
    #[error("{}: RMF file not found", path.display())]
    RmfNotFound { path: PathBuf },
    /// A GRPRMF extension (`ext`, 1-based) names no RMF file.
    #[error("{}: extension {ext}: RMFFILE column is empty", path.display())]
    EmptyGrpRmf { path: PathBuf, ext: usize },
    /// The RMF that GRPRMF file `grprmf` names for detector `det` (0-3) is missing.
    #[error("{}: GRPRMF file {} names this DET{det} RMF but it is missing", path.display(), grprmf.display())]
    GrpRmfTargetMissing {
        path: PathBuf,
        grprmf: PathBuf,
        det: usize,
    },
    /// A DETABS HDU (1-based, primary = 1) with no rows.
    #[error("{}: HDU {hdu}: DETABS table has no rows", path.display())]
    EmptyDetabs { path: PathBuf, hdu: usize },
    /// An image whose size (pixels) differs from the reference image's.
    #[error("{}: image is {nx}x{ny}, the reference image is {ref_nx}x{ref_ny}", path.display())]
    ImageSize {
        path: PathBuf,
        nx: usize,
        ny: usize,
        ref_nx: usize,
        ref_ny: usize,
    },
    /// A spectrum whose INSTRUME is neither FPMA nor FPMB.
    #[error("{}: INSTRUME is '{instrume}', expected FPMA or FPMB", path.display())]
    BadInstrume { path: PathBuf, instrume: String },
    /// A region that covers no detector of `module` (A/B).
    #[error("{}: region misses every detector of module {module}", path.display())]
    RegionOffDetectors { path: PathBuf, module: String },
    /// A response input (`what`) whose row count differs from the response grid's.
    #[error("{what} has {rows} rows; the response grid has {grid}")]
    GridRows {
        what: String,
        rows: usize,
        grid: usize,
    },
    /// A spectrum of a module (`instrume`) that no fitted background spectrum has.
    #[error("{}: is {instrume} but no background spectrum of that module was fitted", path.display())]
    ModuleNotFitted { path: PathBuf, instrume: String },
    /// A spectrum without RESPFILE where its RMF is needed.
    #[error("{}: RESPFILE is not set: the spectrum's RMF is needed", path.display())]
    NoRespfile { path: PathBuf },
    /// A save file's item (at 1-based `line`) that does not fit the background model's
    /// layout (one spectrum per `data` command, its files after it).
    #[error("{}:{line}: {msg}", path.display())]
    SaveFile {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// ratios.json lacks a value the model needs (`what` says which).
    #[error("ratios.json: {what}")]
    PresetMissing { what: String },
    /// A model asked of no spectra.
    #[error("no background spectra")]
    NoSpectra,
    /// Background spectrum `number` (1-based) whose region covers no detector.
    #[error("background spectrum {number} ({pha}): its region covers no detector")]
    SpectrumOffDetectors { number: usize, pha: String },
    /// The model has no source (`model N:name`) of this name.
    #[error("the model has no source named {name}")]
    NoSource { name: String },
}

impl ModelError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use ModelError::*;
        match self {
            NotJson { path, .. }
            | Unreadable { path, .. }
            | BadPresets { path, .. }
            | TooFewPresets { path, .. }
            | BadBgdInfo { path, .. }
            | NoModuleImages { path, .. }
            | ListedFileMissing { path, .. }
            | TooFewSpectra { path, .. }
            | SpectrumOrder { path, .. }
            | RmfNotFound { path }
            | EmptyGrpRmf { path, .. }
            | GrpRmfTargetMissing { path, .. }
            | EmptyDetabs { path, .. }
            | ImageSize { path, .. }
            | BadInstrume { path, .. }
            | RegionOffDetectors { path, .. }
            | ModuleNotFitted { path, .. }
            | NoRespfile { path }
            | SaveFile { path, .. } => Some(path),
            NoSource { .. }
            | PresetMissing { .. }
            | NoSpectra
            | SpectrumOffDetectors { .. }
            | BandOrder { .. }
            | BandNoChannel { .. }
            | BandOutsidePi { .. }
            | GridRows { .. } => None,
        }
    }
}
