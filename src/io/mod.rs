//! Formats at the bottom of the house: FITS over cfitsio, images, output-file handling.
pub mod console;
pub mod figure;
pub mod fits;
pub mod image;
pub mod output;
pub mod region;
pub mod stamp;
pub mod wcs;
