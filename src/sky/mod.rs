//! Images on the sky and on the detector: counts images, region masks, aspect histograms, instrument maps, projections.
pub mod aspecthist;
