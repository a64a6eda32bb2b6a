//! Failures of `io`: FITS, WCS, regions, outputs: each variant names what went wrong and
//! the file (and 1-based line) it concerns.

use std::path::{Path, PathBuf};

/// A failure of this layer.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// An operating-system I/O failure with no file known (text: the std error's).
    #[error("{source}")]
    Std {
        #[source]
        source: std::io::Error,
    },
    /// A figure could not be drawn or encoded.
    #[error("cannot draw the figure: {msg}")]
    Figure { msg: String },
    /// An output was given an empty file name.
    #[error("empty output file name")]
    EmptyOutputName,
    /// The output file exists and clobber was not asked for.
    #[error("{}: exists; not overwritten (use clobber=yes or a leading '!' to replace it)", path.display())]
    OutputExists { path: PathBuf },
    /// An output would replace one of the task's inputs (`input`, as the user named it).
    #[error("{}: is the input {}; an output never replaces an input, even with clobber=yes", path.display(), input.display())]
    OutputIsInput { path: PathBuf, input: PathBuf },
    /// The output path names a directory.
    #[error("{}: is a directory, not an output file", path.display())]
    OutputIsDirectory { path: PathBuf },
    /// The directory the output goes in does not exist.
    #[error("{}: output directory does not exist", path.display())]
    OutputDirMissing { path: PathBuf },
    /// Writing a (temporary) file failed.
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Renaming the finished temporary file onto the output failed.
    #[error("{}: cannot move finished file into place: {source}", path.display())]
    MoveIntoPlace {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reading a file failed.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Reading a region file failed.
    #[error("{}: cannot read region file: {source}", path.display())]
    ReadRegion {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A syntax error in a region file at a 1-based line.
    #[error("{}:{line}: {msg}", path.display())]
    RegionSyntax {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// A region file with no shapes in it.
    #[error("{}: region file has no shapes", path.display())]
    RegionEmpty { path: PathBuf },
    /// A region file whose shapes are all exclusions (nothing before them to remove from).
    #[error("{}: region file has only exclusions ('-' shapes), which select nothing; add the shape they cut from before them", path.display())]
    RegionOnlyExclusions { path: PathBuf },
    /// A file name that cannot be passed to C (it holds a NUL byte).
    #[error("{}: file name contains a NUL byte", path.display())]
    NulInName { path: PathBuf },
    /// cfitsio refused a region file (`status` is its status code).
    #[error("{}: cannot read the region file: {}", path.display(), region_problem(*status, detail))]
    RegionParse {
        path: PathBuf,
        status: i32,
        detail: String,
    },
    /// A NaN or infinite value was to be written to a header keyword.
    #[error("{}: cannot write non-finite value {value} to keyword {key}", path.display())]
    NonFiniteKeyword {
        path: PathBuf,
        key: String,
        value: String,
    },
    /// A cfitsio call failed: `what` was being done, `status` is cfitsio's text.
    #[error("{}: {what}: {status}", path.display())]
    Cfitsio {
        path: PathBuf,
        what: String,
        status: String,
    },
    /// The input file does not exist.
    #[error("{}: no such file", path.display())]
    NoSuchFile { path: PathBuf },
    /// cfitsio cannot open the file as FITS (`status` is cfitsio's text).
    #[error("{}: {status}", path.display())]
    NotFits { path: PathBuf, status: String },
    /// cfitsio cannot create the file (`status` is cfitsio's text).
    #[error("{}: cannot create: {status}", path.display())]
    CannotCreate { path: PathBuf, status: String },
    /// The file has no HDU of that 1-based number.
    #[error("{}: has no HDU number {n}", path.display())]
    NoHdu { path: PathBuf, n: usize },
    /// The file has no extension of that name.
    #[error("{}: has no extension named {name}", path.display())]
    NoExtension { path: PathBuf, name: String },
    /// A required header keyword is absent from the HDU `here`.
    #[error("{}: keyword {key} missing in {here}", path.display())]
    MissingKeyword {
        path: PathBuf,
        key: String,
        here: String,
    },
    /// A required table column is absent from the HDU `here`.
    #[error("{}: column {name} missing in {here}", path.display())]
    MissingColumn {
        path: PathBuf,
        name: String,
        here: String,
    },
    /// The HDU `here` is not a 2-D image.
    #[error("{}: {here} is not a 2-D image (NAXIS = {naxis})", path.display())]
    Not2dImage {
        path: PathBuf,
        here: String,
        naxis: i64,
    },
    /// A column read one value per row whose rows hold `repeat` values.
    #[error("{}: {here}: column {name} has {repeat} values per row, expected {expected}", path.display())]
    ColumnShape {
        path: PathBuf,
        here: String,
        name: String,
        repeat: usize,
        expected: usize,
    },
    /// A header asks to read more than the file holds (`size` bytes).
    #[error("{}: {here}: {what} is more than the file's {size} bytes hold", path.display())]
    BeyondFile {
        path: PathBuf,
        here: String,
        what: String,
        size: u64,
    },
    /// A header card cfitsio cannot parse safely (HDU and card numbers are 1-based).
    #[error("{}: HDU {hdu}, header card {card}: {problem}; not a valid FITS header", path.display())]
    BadHeaderCard {
        path: PathBuf,
        hdu: usize,
        card: usize,
        problem: String,
    },
    /// The gzip-compressed file cannot be decompressed.
    #[error("{}: corrupt gzip data: {source}", path.display())]
    CorruptGzip {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A celestial WCS keyword is missing from the image header.
    #[error("{}: no celestial WCS in the image header ({key} missing)", path.display())]
    WcsKeywordMissing { path: PathBuf, key: String },
    /// The image header has no celestial WCS at all.
    #[error("{}: no celestial WCS (CTYPE/CRVAL/CRPIX/CDELT keywords) in the image header", path.display())]
    NoWcs { path: PathBuf },
    /// A pixel (1-based image coordinates) has no world coordinates.
    #[error("pixel ({x}, {y}) has no world coordinates")]
    PixelOffSky { x: f64, y: f64 },
    /// A sky position (degrees) cannot be projected onto the image.
    #[error("({ra}, {dec}) cannot be projected onto the image")]
    NotProjectable { ra: f64, dec: f64 },
}

/// What a cfitsio region-parser failure means, in the user's terms.
fn region_problem(status: i32, detail: &str) -> String {
    match status {
        501..=503 => {
            "a shape lies too far from the image for its sky coordinates to be projected onto it"
                .into()
        }
        _ if !detail.is_empty() => detail.trim_end_matches(['.', ':']).to_string(),
        _ => format!("the region parser failed (code {status})"),
    }
}

impl IoError {
    /// The file the failure concerns, if any.
    pub fn path(&self) -> Option<&Path> {
        use IoError::*;
        match self {
            Std { .. }
            | EmptyOutputName
            | Figure { .. }
            | PixelOffSky { .. }
            | NotProjectable { .. } => None,
            OutputExists { path }
            | OutputIsDirectory { path }
            | OutputIsInput { path, .. }
            | OutputDirMissing { path }
            | Write { path, .. }
            | MoveIntoPlace { path, .. }
            | Read { path, .. }
            | ReadRegion { path, .. }
            | RegionSyntax { path, .. }
            | RegionEmpty { path }
            | RegionOnlyExclusions { path }
            | NulInName { path }
            | RegionParse { path, .. }
            | NonFiniteKeyword { path, .. }
            | Cfitsio { path, .. }
            | NoSuchFile { path }
            | NotFits { path, .. }
            | CannotCreate { path, .. }
            | NoHdu { path, .. }
            | NoExtension { path, .. }
            | MissingKeyword { path, .. }
            | MissingColumn { path, .. }
            | Not2dImage { path, .. }
            | BeyondFile { path, .. }
            | BadHeaderCard { path, .. }
            | ColumnShape { path, .. }
            | CorruptGzip { path, .. }
            | WcsKeywordMissing { path, .. }
            | NoWcs { path } => Some(path),
        }
    }
}
