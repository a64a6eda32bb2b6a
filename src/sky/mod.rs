//! Images on the sky and on the detector: counts images, region masks, aspect histograms, instrument maps, projections.
pub mod aperture;
pub mod aspecthist;
pub mod instrmap;
pub mod projbgd;
pub mod projbgd_task;
pub mod refimg;
pub mod regmask;
