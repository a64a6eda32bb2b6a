//! Images on the sky and on the detector: region masks, aspect histograms, instrument maps,
//! projections. (Counts images from an event list are the `mkimgs` task, in `tasks`.)
pub mod aperture;
pub mod aspecthist;
pub mod instrmap;
pub mod projbgd;
pub mod projbgd_task;
pub mod refimg;
pub mod regmask;
