//! Failures of `tasks`: the commands' requests and their files: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// An event file whose X/Y columns declare an unusable sky grid (pixels).
    #[error("{}: X/Y columns declare a {nx}x{ny} sky grid (TLMIN/TLMAX)", path.display())]
    SkyGrid { path: PathBuf, nx: i128, ny: i128 },
    /// An event file without DATE-OBS where the instrument map needs it.
    #[error("{}: keyword DATE-OBS missing in EVENTS", path.display())]
    DateObsMissing { path: PathBuf },
    /// An event file's EVENTS lacks keyword `key`; `why` (empty or " (…)") says what needs it.
    #[error("{}: EVENTS has no {key} keyword{why}", path.display())]
    NoEventKeyword {
        path: PathBuf,
        key: String,
        why: String,
    },
    /// An event file whose EXPOSURE (s) is not positive.
    #[error("{}: EXPOSURE = {exposure}: must be positive", path.display())]
    BadExposure { path: PathBuf, exposure: f64 },
    /// $CALDB is needed (for the instrument map) but not set.
    #[error("$CALDB is not set: the instrument map comes from the CALDB (INSTRMAP)")]
    NoCaldb,
    /// A fitted model without the source named `name`.
    #[error("{}: has no source named {name}", path.display())]
    NoSource { path: PathBuf, name: String },
    /// A fitted model whose spectra are not bgdinfo.json's `background` background spectra.
    #[error("{}: has {spectra} spectra; bgdinfo.json lists {background} background spectra (give the fitted background model)", path.display())]
    NotBackgroundFit {
        path: PathBuf,
        spectra: usize,
        background: usize,
    },
    /// Source regions and source spectra that do not come in pairs.
    #[error("{regions} source regions but {spectra} source spectra: give them in pairs")]
    Unpaired { regions: usize, spectra: usize },
    /// A fitted source whose component count differs from its presets in ratios.json.
    #[error("{}: source {name} has {components} components, ratios.json {presets}", path.display())]
    ComponentCount {
        path: PathBuf,
        name: String,
        components: usize,
        presets: usize,
    },
    /// A ratios.json component without the detector weights an image needs.
    #[error("ratios.json: {name} component {component} has no ifactors")]
    NoIfactors { name: String, component: String },
    /// An image band (keV) whose low edge is not below its high edge.
    #[error("band {emin}-{emax} keV: EMIN must be below EMAX")]
    BandOrder { emin: f64, emax: f64 },
    /// An image band (keV) in which no spectrum of the fit has a channel with response.
    #[error("{}: band {emin}-{emax} keV holds no channel of any spectrum's response; every image would be all zeros", path.display())]
    BandWithoutResponse { path: PathBuf, emin: f64, emax: f64 },
    /// A group= value that is neither a count nor 'optimal'.
    #[error("group={value}: expected a minimum number of counts (integer >= 1) or 'optimal'")]
    BadGrouping { value: String },
    /// A region file name no output prefix can be derived from.
    #[error("{}: cannot derive an output prefix from this name", path.display())]
    NoOutputPrefix { path: PathBuf },
    /// An RMF whose channel count differs from NuSTAR spectra's.
    #[error("{}: RMF has {nchan} channels; NuSTAR spectra have {expected}", path.display())]
    RmfChannels {
        path: PathBuf,
        nchan: usize,
        expected: usize,
    },
    /// An RMF whose channel count differs from its spectrum's (`pha`, `channels`).
    #[error("{}: RMF has {nchan} channels, {} has {channels}", path.display(), pha.display())]
    RmfSpectrumChannels {
        path: PathBuf,
        nchan: usize,
        pha: PathBuf,
        channels: usize,
    },
    /// A region in which no event of `evt` falls.
    #[error("{}: no events of {} fall in this region: the RMF weights (events per detector) are undefined", path.display(), evt.display())]
    NoRegionEvents { path: PathBuf, evt: PathBuf },
    /// A save file whose spectra have no noticed bin.
    #[error("{}: no noticed bins in any spectrum: nothing to plot", path.display())]
    NothingToPlot { path: PathBuf },
    /// A detector number (0-based) outside 0-3.
    #[error("detector {det}: NuSTAR detectors are 0-3")]
    BadDetector { det: usize },
    /// A directory without the detector RMFs refspec needs.
    #[error("{}: no det<d><M>.rmf for the requested modules and detectors here (make them with absrmf)", path.display())]
    NoDetectorRmfs { path: PathBuf },
    /// A det= list empty or with a detector outside 1-4.
    #[error("det= must list detectors among 1, 2, 3, 4")]
    BadDetectorList,
    /// Detector weights not all finite and non-negative.
    #[error("detector weights {weights:?} must be finite and non-negative")]
    BadWeights { weights: [f64; 4] },
    /// Detector weights that sum to zero.
    #[error("detector weights are all zero")]
    ZeroWeights,
    /// Detector `det` (0-3) weighed without an RMF or DETABS.
    #[error("DET{det} has weight {weight} but no RMF or DETABS")]
    WeightWithoutResponse { det: usize, weight: f64 },
    /// An empty OUTPREFIX.
    #[error("empty OUTPREFIX")]
    EmptyOutprefix,
    /// An output directory that cannot be created.
    #[error("{}: cannot create output directory: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A background spectrum with no counts in the fitted band (3-150 keV).
    #[error("{}: no counts in 3-150 keV, the band the background is fitted in (is the region on the detectors, the spectrum from the right event file?)", path.display())]
    NoFitCounts { path: PathBuf },
    /// The native fit did not converge (`summary` is its one-line state).
    #[error("{}: the native fit did not converge ({summary}); the model save file is written, the fitted files are not (rerun with force=yes to write them anyway, or fit it with xcm-fit)", path.display())]
    NotConverged { path: PathBuf, summary: String },
    /// A save file's source (`source_number`) at 1-based `line` that cannot be evaluated.
    #[error("{}:{line}: source {source_number} has a component this tool cannot evaluate", path.display())]
    Unevaluable {
        path: PathBuf,
        line: usize,
        source_number: usize,
    },
    /// A save file with no source spectra after its `background` background spectra.
    #[error("{}: has {spectra} spectra; expected the {background} background spectra followed by source spectra", path.display())]
    NoSourceSpectra {
        path: PathBuf,
        spectra: usize,
        background: usize,
    },
    /// A path (`what`: "directory" or "path") that cannot be resolved.
    #[error("{}: cannot resolve {what}: {source}", path.display())]
    Resolve {
        path: PathBuf,
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A path that does not end in a file name.
    #[error("{}: not a file name", path.display())]
    NotAFileName { path: PathBuf },
    /// A temporary directory that cannot be created (in `path`).
    #[error("{}: cannot create temporary directory: {source}", path.display())]
    TempDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An expfactor that is not a positive number.
    #[error("expfactor={value}: must be a positive number")]
    BadExpfactor { value: f64 },
    /// An input file (`what` it is) that does not exist.
    #[error("{}: {what} not found", path.display())]
    InputMissing { path: PathBuf, what: String },
    /// An input file that cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A gzip-compressed source spectrum (its BACKFILE is rewritten in place).
    #[error("{}: is gzip-compressed; decompress it first (its BACKFILE keyword is rewritten in place)", path.display())]
    Gzipped { path: PathBuf },
    /// A source spectrum that has a BACKFILE already, without clobber.
    #[error("{}: already has BACKFILE = '{old}'; not replaced (use clobber=yes)", path.display())]
    HasBackfile { path: PathBuf, old: String },
    /// An output that is the source spectrum itself.
    #[error("{}: is the source spectrum itself; give another out=", path.display())]
    OutputIsSource { path: PathBuf },
    /// A model source without a response on the source spectrum.
    #[error("{}: source {name} has no response on the source spectrum", path.display())]
    NoResponse { path: PathBuf, name: String },
    /// A model source predicting negative or non-finite counts in (0-based) `channel`.
    #[error("{}: source {name} predicts {counts} counts in channel {channel}", path.display())]
    BadPrediction {
        path: PathBuf,
        name: String,
        counts: f64,
        channel: usize,
    },
    /// A Poisson mean (counts) no draw can be made of (`reason` from the sampler).
    #[error("Poisson mean {mean}: {reason}")]
    Poisson { mean: f64, reason: String },
    /// A source spectrum that cannot be replaced by its BACKFILE edit (`written` was written).
    #[error("{}: cannot replace it to set BACKFILE ({source}); {} was written", path.display(), written.display())]
    ReplaceFailed {
        path: PathBuf,
        written: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The source spectrum is not spectrum `number` (1-based) of the in-memory model.
    #[error("the source spectrum is not spectrum {number} of the model")]
    NotInModel { number: usize },
}

impl TaskError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use TaskError::*;
        match self {
            SkyGrid { path, .. }
            | BandWithoutResponse { path, .. }
            | DateObsMissing { path }
            | NoEventKeyword { path, .. }
            | BadExposure { path, .. }
            | NoSource { path, .. }
            | NotBackgroundFit { path, .. }
            | ComponentCount { path, .. }
            | NoOutputPrefix { path }
            | RmfChannels { path, .. }
            | RmfSpectrumChannels { path, .. }
            | NoRegionEvents { path, .. }
            | NoDetectorRmfs { path }
            | CreateDir { path, .. }
            | NothingToPlot { path }
            | NoFitCounts { path }
            | NotConverged { path, .. }
            | Unevaluable { path, .. }
            | NoSourceSpectra { path, .. }
            | Resolve { path, .. }
            | NotAFileName { path }
            | TempDir { path, .. }
            | InputMissing { path, .. }
            | Unreadable { path, .. }
            | Gzipped { path }
            | HasBackfile { path, .. }
            | OutputIsSource { path }
            | NoResponse { path, .. }
            | BadPrediction { path, .. }
            | ReplaceFailed { path, .. } => Some(path),
            NoCaldb
            | NoIfactors { .. }
            | BandOrder { .. }
            | BadGrouping { .. }
            | BadDetector { .. }
            | BadDetectorList
            | BadWeights { .. }
            | ZeroWeights
            | WeightWithoutResponse { .. }
            | EmptyOutprefix
            | BadExpfactor { .. }
            | Poisson { .. }
            | NotInModel { .. }
            | Unpaired { .. } => None,
        }
    }
}
