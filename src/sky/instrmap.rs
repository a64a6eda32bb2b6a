//! Instrument map of one observation, from already-read inputs: the CALDB map of active
//! DET1 sub-pixels, with every pixel the bad-pixel lists mark bad removed, labelled by
//! detector.
//!
//! Output: 360×360 DET1 image, 0 = inactive or bad, 1..4 = DET0..DET3.
//!
//! Registration: the CALDB map is shifted by (−1, −1) like the pixel-ownership maps, as
//! the IDL original does (the Python port shifts only the ownership maps, leaving its
//! bad-pixel holes one DET1 pixel off).

use crate::io::image::Image;
use crate::nustar::badpix::BadPixels;
use crate::nustar::pixpos::{PixelMap, N};
use std::collections::HashMap;

/// An instrument map and what each bad-pixel list did to it.
#[derive(Debug, Clone)]
pub struct InstrumentMap {
    /// 360×360 DET1 image: 0 = inactive or bad, 1..4 = DET0..DET3.
    pub image: Image,
    /// DET1 sub-pixels each bad-pixel list removed (active until then), in list order.
    pub removed: Vec<usize>,
    /// Active DET1 sub-pixels per detector (DET0..DET3) in the result.
    pub active: [usize; 4],
}

/// Build the instrument map from the CALDB map `caldb_map` (as stored, > 0 active), the
/// RAW→DET1 ownership map `pm` and the bad-pixel lists `lists`.
pub fn instrument_map(caldb_map: &Image, pm: &PixelMap, lists: &[BadPixels]) -> InstrumentMap {
    let owned = owned_subpixels(pm);
    let mut image = shifted_caldb_map(caldb_map);
    let removed = lists
        .iter()
        .map(|b| remove_bad(&mut image, &owned, b))
        .collect();
    let active = label_detectors(&mut image, pm);
    InstrumentMap {
        image,
        removed,
        active,
    }
}

/// DET1 sub-pixels (0-based index y·360 + x) of each (detector, RAWX + 32·RAWY).
fn owned_subpixels(pm: &PixelMap) -> HashMap<(i32, i32), Vec<usize>> {
    let mut owned: HashMap<(i32, i32), Vec<usize>> = HashMap::new();
    for k in 0..N * N {
        if pm.pixmap[k] >= 0 && pm.detnum[k] >= 0 {
            owned
                .entry((pm.detnum[k], pm.pixmap[k]))
                .or_default()
                .push(k);
        }
    }
    owned
}

/// The (−1, −1) shift of the CALDB map: new[y][x] = old[y+1][x+1].
fn shifted_caldb_map(caldb_map: &Image) -> Image {
    let mut out = Image::zeros(N, N);
    for y in 0..N - 1 {
        for x in 0..N - 1 {
            out.data[y * N + x] = caldb_map.data[(y + 1) * N + x + 1];
        }
    }
    out
}

/// Zero the sub-pixels of every pixel of `b`; returns how many were active.
fn remove_bad(map: &mut Image, owned: &HashMap<(i32, i32), Vec<usize>>, b: &BadPixels) -> usize {
    let mut removed = 0;
    for p in &b.pixels {
        if let Some(ks) = owned.get(&(p.det as i32, p.rawx as i32 + 32 * p.rawy as i32)) {
            for &k in ks {
                if map.data[k] > 0.0 {
                    removed += 1;
                }
                map.data[k] = 0.0;
            }
        }
    }
    removed
}

/// Label active sub-pixels by detector (1..4), zero the rest; returns the active counts.
fn label_detectors(map: &mut Image, pm: &PixelMap) -> [usize; 4] {
    let mut active = [0usize; 4];
    for k in 0..N * N {
        if map.data[k] > 0.0 && (0..4).contains(&pm.detnum[k]) {
            map.data[k] = (pm.detnum[k] + 1) as f64;
            active[pm.detnum[k] as usize] += 1;
        } else {
            map.data[k] = 0.0;
        }
    }
    active
}
