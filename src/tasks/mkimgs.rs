//! Counts images from an event list, as the original's xselect script made them: a sky
//! image on the 1000×1000 X/Y grid with the event file's sky WCS, and a 360×360 DET1 image.

use crate::bgmodel::bands::pi_channels;
use crate::error::{Result, TaskError};
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::nustar::events::{ColumnWcs, EventFile};
use std::path::{Path, PathBuf};

/// Largest sky image side accepted from TLMIN/TLMAX (NuSTAR files use 1000; solar-
/// coordinate files 3000).
const MAX_SKY: i128 = 10000;
/// Side of the DET1 grid.
const DET1: usize = 360;

/// What mkimgs is asked to make.
#[derive(Debug, Clone)]
pub struct MkimgsRequest {
    /// Cleaned event file.
    pub evt: PathBuf,
    /// Output name without `.fits`: the sky image is `<outname>.fits`, the DET1 image
    /// `<outname>det.fits`.
    pub outname: String,
    /// Band (keV), converted to PI channels as the original does.
    pub elow: f64,
    pub ehigh: f64,
    pub clobber: bool,
}

/// What mkimgs made.
#[derive(Debug, Clone)]
pub struct MkimgsSummary {
    pub sky_path: PathBuf,
    pub det1_path: PathBuf,
    pub channels: (i64, i64),
    /// Events in the band.
    pub in_band: usize,
    /// Events in the band binned into the sky image.
    pub sky_counts: usize,
    /// Events in the band with X/Y off the sky grid (or null).
    pub sky_dropped: usize,
    /// Events in the sky band binned into the DET1 image (RAWX, RAWY in 1..30).
    pub det1_counts: usize,
}

/// Observation keywords copied from the EVENTS header into both images.
const COPIED: &[&str] = &[
    "TELESCOP", "INSTRUME", "OBS_ID", "TARG_ID", "OBJECT", "RA_OBJ", "DEC_OBJ", "RA_NOM",
    "DEC_NOM", "RA_PNT", "DEC_PNT", "PA_PNT", "EQUINOX", "RADECSYS", "RADESYS", "TIMESYS",
    "MJDREFI", "MJDREFF", "TIMEREF", "TIMEUNIT", "TSTART", "TSTOP", "TELAPSE", "DATE-OBS",
    "DATE-END", "ONTIME", "EXPOSURE", "LIVETIME", "DEADC", "MJD-OBS", "DEPTHCUT", "OBSMODE",
];

fn copied_cards(cards: &[String]) -> Vec<String> {
    COPIED
        .iter()
        .filter_map(|k| {
            cards
                .iter()
                .find(|c| c.get(..8).map(str::trim) == Some(*k))
                .cloned()
        })
        .collect()
}

/// Make `<outname>.fits` (sky) and `<outname>det.fits` (DET1) from the events with
/// clow ≤ PI ≤ chigh. Sky pixel index = X − TLMIN (X is integer in NuSTAR files); the DET1 image also requires
/// RAWX and RAWY in 1..30 (the original drops the detector-edge pixels there).
pub fn mkimgs(req: &MkimgsRequest) -> Result<MkimgsSummary> {
    let (evt, outname, clobber) = (req.evt.as_path(), &req.outname, req.clobber);
    let (elow, ehigh) = (req.elow, req.ehigh);
    let channels = pi_channels(elow, ehigh)?;
    let sky_out = Output::new(&format!("{outname}.fits"), clobber);
    let det_out = sky_out.sibling(format!(
        "{}det.fits",
        sky_out.path.to_string_lossy().trim_end_matches(".fits")
    ));
    crate::io::output::check_all(&[sky_out.clone(), det_out.clone()])?;
    crate::io::output::check_not_inputs(&[sky_out.clone(), det_out.clone()], &[evt])?;

    let mut ev = EventFile::open(evt)?;
    let wcs = ev.sky_wcs()?;
    let grid = sky_grid(&wcs, evt)?;
    let cols = EventColumns::read(&mut ev)?;
    let mut s = MkimgsSummary {
        sky_path: sky_out.path.clone(),
        det1_path: det_out.path.clone(),
        channels,
        in_band: 0,
        sky_counts: 0,
        sky_dropped: 0,
        det1_counts: 0,
    };
    let (sky, det) = bin_events(&cols, &wcs, grid, &mut s);
    let band = BandKeys {
        copied: copied_cards(&ev.cards),
        history: format!(
            "nuskybgd mkimgs: {} PI {}-{} ({elow}-{ehigh} keV)",
            evt.display(),
            channels.0,
            channels.1
        ),
        channels,
    };
    sky_out.write_fits(|f| {
        f.write_image(&sky, 32)?;
        write_sky_wcs(f, &wcs)?;
        band.write(f, s.sky_counts)
    })?;
    det_out.write_fits(|f| {
        f.write_image(&det, 32)?;
        write_det1_physical(f)?;
        band.write(f, s.det1_counts)
    })?;
    if s.in_band == 0 {
        crate::errln!(
            "mkimgs: warning: no events in PI {}-{}",
            channels.0,
            channels.1
        );
    }
    Ok(s)
}

/// The sky image's size (nx, ny) from the X and Y columns' TLMIN/TLMAX.
fn sky_grid(wcs: &ColumnWcs, evt: &Path) -> Result<(usize, usize)> {
    let (nx, ny) = (wcs.pixels(0), wcs.pixels(1));
    if !(1..=MAX_SKY).contains(&nx) || !(1..=MAX_SKY).contains(&ny) {
        return Err(TaskError::SkyGrid {
            path: evt.into(),
            nx,
            ny,
        }
        .into());
    }
    Ok((nx as usize, ny as usize))
}

/// The event columns the images are binned from.
struct EventColumns {
    pi: Vec<i64>,
    x: Vec<i64>,
    y: Vec<i64>,
    det1x: Vec<i64>,
    det1y: Vec<i64>,
    rawx: Vec<i64>,
    rawy: Vec<i64>,
}

impl EventColumns {
    fn read(ev: &mut EventFile) -> Result<Self> {
        Ok(EventColumns {
            pi: ev.column_i64("PI")?,
            x: ev.column_i64("X")?,
            y: ev.column_i64("Y")?,
            det1x: ev.column_i64("DET1X")?,
            det1y: ev.column_i64("DET1Y")?,
            rawx: ev.column_i64("RAWX")?,
            rawy: ev.column_i64("RAWY")?,
        })
    }
}

/// Bin the in-band events into the sky and DET1 images, counting into `s`.
fn bin_events(
    c: &EventColumns,
    wcs: &ColumnWcs,
    (nx, ny): (usize, usize),
    s: &mut MkimgsSummary,
) -> (Image, Image) {
    let mut sky = Image::zeros(nx, ny);
    let mut det = Image::zeros(DET1, DET1);
    let on = |v: i128, n: usize| v >= 1 && v <= n as i128;
    let channels = s.channels;
    for i in 0..c.pi.len() {
        if c.pi[i] < channels.0 || c.pi[i] > channels.1 {
            continue;
        }
        s.in_band += 1;
        let (ix, iy) = (wcs.index(0, c.x[i]) + 1, wcs.index(1, c.y[i]) + 1);
        if on(ix, nx) && on(iy, ny) {
            *sky.at_mut(ix as usize - 1, iy as usize - 1) += 1.0;
            s.sky_counts += 1;
        } else {
            s.sky_dropped += 1;
        }
        if on(c.det1x[i].into(), DET1)
            && on(c.det1y[i].into(), DET1)
            && (1..=30).contains(&c.rawx[i])
            && (1..=30).contains(&c.rawy[i])
        {
            *det.at_mut(c.det1x[i] as usize - 1, c.det1y[i] as usize - 1) += 1.0;
            s.det1_counts += 1;
        }
    }
    (sky, det)
}

/// The keywords both images carry: the band, the observation's, and the history line.
struct BandKeys {
    copied: Vec<String>,
    history: String,
    channels: (i64, i64),
}

impl BandKeys {
    fn write(&self, f: &mut Fits, total: usize) -> Result<()> {
        f.set_key_str("HDUCLASS", "OGIP", "format conforms to OGIP conventions")?;
        f.set_key_str("HDUCLAS1", "IMAGE", "extension contains an image")?;
        f.copy_cards(&self.copied, &[])?;
        f.set_key_i64("TOTCTS", total as i64, "Total pixel count")?;
        f.set_key_i64("CHANMIN", self.channels.0, "Low PI channel")?;
        f.set_key_i64("CHANMAX", self.channels.1, "High PI channel")?;
        f.set_key_str("CHANTYPE", "PI", "Energy channel name")?;
        f.history(&self.history)
    }
}

/// The sky image's WCS: the columns' WCS shifted so that pixel 1 is X = TLMIN.
fn write_sky_wcs(f: &mut Fits, wcs: &ColumnWcs) -> Result<()> {
    for (i, ax) in [1, 2].into_iter().enumerate() {
        f.set_key_str(&format!("CTYPE{ax}"), &wcs.ctype[i], "")?;
        let crpix = wcs.crpix[i] - (wcs.tlmin[i] as f64 - 1.0);
        f.set_key_f64(&format!("CRPIX{ax}"), crpix, "reference pixel")?;
        f.set_key_f64(
            &format!("CRVAL{ax}"),
            wcs.crval[i],
            "coordinate at reference pixel (deg)",
        )?;
        f.set_key_f64(&format!("CDELT{ax}"), wcs.cdelt[i], "pixel size (deg)")?;
        f.set_key_str(&format!("CUNIT{ax}"), "deg", "")?;
    }
    Ok(())
}

/// The DET1 image's physical coordinates, which equal its pixels (LTV = 0, LTM = 1).
fn write_det1_physical(f: &mut Fits) -> Result<()> {
    for ax in [1, 2] {
        let name = if ax == 1 { "DET1X" } else { "DET1Y" };
        f.set_key_str(&format!("CTYPE{ax}P"), name, "")?;
        f.set_key_f64(&format!("CRPIX{ax}P"), 1.0, "")?;
        f.set_key_f64(&format!("CRVAL{ax}P"), 1.0, "")?;
        f.set_key_f64(&format!("CDELT{ax}P"), 1.0, "")?;
        f.set_key_str(&format!("WCSTY{ax}P"), "PHYSICAL", "")?;
        f.set_key_f64(
            &format!("LTV{ax}"),
            0.0,
            "offset for logical to physical pixel",
        )?;
        f.set_key_f64(
            &format!("LTM{ax}_{ax}"),
            1.0,
            "slope for logical to physical pixel",
        )?;
    }
    f.set_key_str("WCSNAMEP", "PHYSICAL", "")
}
