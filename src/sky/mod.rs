//! Images on the sky and on the detector: region masks, aspect histograms, instrument maps,
//! projections, and the readers and writers of those images' files. (Counts images from an
//! event list are the `mkimgs` task; the mkinstrmap and projbgd tasks are in `tasks`.)
pub mod aperture;
pub mod aspecthist;
pub mod instrmap;
pub mod projbgd;
pub mod projected;
pub mod refimg;
pub mod regmask;
