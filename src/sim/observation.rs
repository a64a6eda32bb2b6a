//! The synthetic observation's files: pointing and roll, good time intervals (orbits), the
//! DET1 reference-point track, the event lists, a reference sky image and ds9 regions.

use crate::error::Result;
use crate::io::fits::Fits;
use crate::io::image::Image;
use crate::io::output::Output;
use crate::io::wcs::Wcs;
use crate::nustar::module::Module;
use crate::sim::instrument::{badpix_extensions, OBSERVATION_BAD_PIXELS, SYNTHETIC_LABEL};
use crate::sky::refimg::SKY_PIXEL_DEG;
use rand::Rng;
use rand_distr::{Distribution, Normal};
use rand_pcg::Pcg64;
use std::path::Path;

/// NuSTAR orbit (s) and the visible part of it.
const ORBIT: f64 = 5800.0;
const VISIBLE: f64 = 3300.0;
/// Mission time of the first sample (2022-09-04).
const TSTART: f64 = 4.0e8;
/// Sky grid reference pixel (1-based, both axes).
pub const CRPIX: f64 = 500.5;
/// DET1 position (0-based) the aspect peak is projected onto, and projbgd's nudge.
const DET1_ORIGIN: f64 = 350.0;
const NUDGE: (f64, f64) = (2.7, 0.8);

/// Where and when the synthetic observation looks.
#[derive(Debug, Clone)]
pub struct Pointing {
    pub obsid: String,
    pub ra: f64,
    pub dec: f64,
    /// Roll keyword PA_PNT (degrees).
    pub pa_pnt: f64,
    pub tstart: f64,
    pub tstop: f64,
    /// Good time intervals [start, stop), sorted; they sum to the exposure.
    pub gti: Vec<(f64, f64)>,
    pub exposure: f64,
}

/// ISO date (UTC, leap seconds ignored) of a NuSTAR mission time (s since 2010-01-01).
pub fn met_to_iso(met: f64) -> String {
    let secs = met.floor() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // civil date from days since 1970-01-01 (Howard Hinnant's algorithm)
    let z = days + 14610 + 719468; // 2010-01-01 is day 14610 of the Unix epoch
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + (m <= 2) as i64;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

impl Pointing {
    /// Pointing at (150.0, 2.2), roll 55–65° depending on the seed, orbits of ~3300 s good
    /// time (whole seconds from TSTART) until `exposure` is reached.
    pub fn new(rng: &mut Pcg64, exposure: f64) -> Pointing {
        let pa_pnt = 55.0 + 10.0 * rng.gen::<f64>();
        let mut gti = Vec::new();
        let mut total = 0.0;
        let mut t = TSTART + 300.0;
        while total < exposure {
            let s = t + rng.gen_range(0..60) as f64;
            let len = (VISIBLE + rng.gen_range(-200..=200) as f64).min(exposure - total);
            gti.push((s, s + len));
            total += len;
            t += ORBIT;
        }
        let tstop = gti.last().map(|g| g.1).unwrap_or(TSTART) + 100.0;
        Pointing {
            obsid: "60001001002".into(),
            ra: 150.0,
            dec: 2.2,
            pa_pnt,
            tstart: TSTART,
            tstop,
            gti,
            exposure,
        }
    }

    /// The sky WCS of the 1000×1000 grid.
    pub fn wcs(&self) -> Wcs {
        Wcs {
            crval: [self.ra, self.dec],
            crpix: [CRPIX, CRPIX],
            cdelt: [-SKY_PIXEL_DEG, SKY_PIXEL_DEG],
            rot: 0.0,
            proj: "-TAN".into(),
        }
    }

    pub fn date_obs(&self) -> String {
        met_to_iso(self.tstart)
    }

    pub fn date_end(&self) -> String {
        met_to_iso(self.tstop)
    }

    /// Rotation of projbgd: (cos a, sin a) with a = −(PA_PNT + 1)°.
    pub fn rot(&self) -> (f64, f64) {
        let a = -(self.pa_pnt + 1.0).to_radians();
        (a.cos(), a.sin())
    }

    /// projbgd's nudge, rotated by the roll.
    pub fn nudge(&self) -> (f64, f64) {
        let a = -(self.pa_pnt + 1.0).to_radians();
        (
            NUDGE.0 * (-a).cos() - NUDGE.1 * (-a).sin(),
            NUDGE.0 * (-a).sin() + NUDGE.1 * (-a).cos(),
        )
    }

    /// 0-based DET1 position seen at 0-based sky pixel (x, y) when the reference point's
    /// histogram cell is `cell` (projbgd's projection, inverted).
    pub fn sky_to_det1(&self, x: f64, y: f64, cell: (f64, f64)) -> (f64, f64) {
        let (c, s) = self.rot();
        let n = self.nudge();
        let (dx, dy) = (x - cell.0 + n.0, y - cell.1 + n.1);
        (
            DET1_ORIGIN + (-c * dx + s * dy),
            DET1_ORIGIN + (s * dx + c * dy),
        )
    }

    /// 0-based sky position of 0-based DET1 position (u, v) for reference cell `cell`.
    pub fn det1_to_sky(&self, u: f64, v: f64, cell: (f64, f64)) -> (f64, f64) {
        let (c, s) = self.rot();
        let n = self.nudge();
        let (du, dv) = (u - DET1_ORIGIN, v - DET1_ORIGIN);
        // the rotation matrix [[-c, s], [s, c]] is its own inverse
        (
            cell.0 - n.0 + (-c * du + s * dv),
            cell.1 - n.1 + (s * du + c * dv),
        )
    }

    /// Mean 1-based reference-point position that puts DET1 (180, 180) at sky pixel
    /// `aim` (0-based).
    pub fn mean_refpoint(&self, aim: (f64, f64)) -> (f64, f64) {
        let (x, y) = self.det1_to_sky(180.0, 180.0, (0.0, 0.0));
        (aim.0 - x + 0.5, aim.1 - y + 0.5)
    }
}

/// DET1 reference-point track at 1 s cadence from TSTART to TSTOP: a slow orbital wander
/// (10–40 px peak to peak) with a drift and a little correlated jitter.
pub struct Track {
    pub time: Vec<f64>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// Shape of the wander shared by both modules (the mast moves both alike).
pub struct Wander {
    amp: (f64, f64),
    phase: [f64; 4],
    drift: f64,
    jitter: Vec<(f64, f64)>,
}

impl Wander {
    pub fn new(rng: &mut Pcg64, n: usize) -> Wander {
        let amp = (rng.gen_range(5.0..9.0), rng.gen_range(4.0..8.0));
        let phase = std::array::from_fn(|_| rng.gen_range(0.0..std::f64::consts::TAU));
        let drift = rng.gen_range(-8.0..8.0);
        let (phi, sig) = (0.99f64, 0.08f64);
        let eps = Normal::new(0.0, sig * (1.0 - phi * phi).sqrt()).expect("finite sigma");
        let mut j = (0.0, 0.0);
        let jitter = (0..n)
            .map(|_| {
                j = (phi * j.0 + eps.sample(rng), phi * j.1 + eps.sample(rng));
                j
            })
            .collect();
        Wander {
            amp,
            phase,
            drift,
            jitter,
        }
    }

    /// The track around `mean` (1-based sky coordinates) for `p`.
    pub fn track(&self, p: &Pointing, mean: (f64, f64)) -> Track {
        let n = self.jitter.len();
        let span = (n.max(2) - 1) as f64;
        let w = std::f64::consts::TAU / ORBIT;
        let (mut time, mut x, mut y) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for k in 0..n {
            let t = k as f64;
            let (a, b) = self.amp;
            let f = t / span - 0.5;
            time.push(p.tstart + t);
            x.push(
                mean.0
                    + a * (w * t + self.phase[0]).sin()
                    + 0.35 * a * (2.0 * w * t + self.phase[1]).sin()
                    + self.drift * f
                    + self.jitter[k].0,
            );
            y.push(
                mean.1
                    + b * (w * t + self.phase[2]).cos()
                    + 0.25 * b * (3.0 * w * t + self.phase[3]).sin()
                    - 0.6 * self.drift * f
                    + self.jitter[k].1,
            );
        }
        Track { time, x, y }
    }
}

/// Samples of the track: one per second from TSTART through TSTOP.
pub fn track_len(p: &Pointing) -> usize {
    (p.tstop - p.tstart).ceil() as usize + 2
}

/// Observation keywords of every header.
fn common_keys(f: &mut Fits, p: &Pointing, m: Module) -> Result<()> {
    f.set_key_str("TELESCOP", "NuSTAR", "Telescope (mission) name")?;
    f.set_key_str("INSTRUME", m.instrume(), "Instrument name (FPMA or FPMB)")?;
    f.set_key_str("OBS_ID", &p.obsid, "Observation ID")?;
    f.set_key_str("OBJECT", "SYNTH_BGD", "Name of Target")?;
    f.set_key_str("TIMESYS", "TT", "Time system")?;
    f.set_key_i64(
        "MJDREFI",
        55197,
        "MJD reference day 01 Jan 2010 00:00:00 UTC",
    )?;
    f.set_key_f64("MJDREFF", 7.6601852e-4, "MJD reference (fraction of day)")?;
    f.set_key_bool("CLOCKAPP", true, "Clock correction applied?")?;
    f.set_key_f64("TSTART", p.tstart, "Start time")?;
    f.set_key_f64("TSTOP", p.tstop, "Stop time")?;
    f.set_key_str("DATE-OBS", &p.date_obs(), "Start date of observations")?;
    f.set_key_str("DATE-END", &p.date_end(), "End date of observations")?;
    f.set_key_f64("RA_NOM", p.ra, "[deg] R.A. of nominal aspect point")?;
    f.set_key_f64("DEC_NOM", p.dec, "[deg] Dec. of nominal aspect point")?;
    f.set_key_f64("RA_PNT", p.ra, "[deg] RA pointing")?;
    f.set_key_f64("DEC_PNT", p.dec, "[deg] Dec pointing")?;
    f.set_key_f64("PA_PNT", p.pa_pnt, "[deg] Position angle (roll)")?;
    f.set_key_f64("RA_OBJ", p.ra, "[deg] R.A. Object")?;
    f.set_key_f64("DEC_OBJ", p.dec, "[deg] Dec Object")?;
    f.set_key_f64("EQUINOX", 2000.0, "Equinox of celestial coordinates")?;
    f.set_key_str("RADECSYS", "FK5", "celestial coordinate system")?;
    f.comment(&format!("synthetic observation made by nuskybgd simulate ({SYNTHETIC_LABEL} unless real calibration was given)"))
}

fn primary(f: &mut Fits, p: &Pointing, m: Module) -> Result<()> {
    f.write_image(&Image::zeros(0, 0), 8)?;
    common_keys(f, p, m)
}

fn gti_table(f: &mut Fits, p: &Pointing, m: Module) -> Result<()> {
    f.create_table(
        "STDGTI",
        &[("START", "1D", "s"), ("STOP", "1D", "s")],
        p.gti.len(),
    )?;
    f.set_key_str("HDUCLASS", "OGIP", "")?;
    f.set_key_str("HDUCLAS1", "GTI", "File contains Good Time Intervals")?;
    f.set_key_str("HDUCLAS2", "STANDARD", "")?;
    common_keys(f, p, m)?;
    f.write_col_f64(1, &p.gti.iter().map(|g| g.0).collect::<Vec<_>>())?;
    f.write_col_f64(2, &p.gti.iter().map(|g| g.1).collect::<Vec<_>>())
}

/// `nu<obsid><M>01_gti.fits`.
pub fn write_gti(out: &Output, p: &Pointing, m: Module) -> Result<()> {
    out.write_fits(|f| {
        primary(f, p, m)?;
        gti_table(f, p, m)
    })
}

/// `nu<obsid><M>_det1.fits` (DET1_REFPOINT).
pub fn write_det1(out: &Output, p: &Pointing, m: Module, t: &Track) -> Result<()> {
    out.write_fits(|f| {
        primary(f, p, m)?;
        f.create_table(
            "DET1_REFPOINT",
            &[
                ("TIME", "1D", "s"),
                ("X_DET1", "1D", "pixel"),
                ("Y_DET1", "1D", "pixel"),
            ],
            t.time.len(),
        )?;
        f.set_key_str("HDUCLASS", "OGIP", "")?;
        f.set_key_str("HDUCLAS1", "TEMPORALDATA", "")?;
        common_keys(f, p, m)?;
        f.write_col_f64(1, &t.time)?;
        f.write_col_f64(2, &t.x)?;
        f.write_col_f64(3, &t.y)
    })
}

/// One simulated event.
#[derive(Debug, Clone, Copy)]
pub struct Event {
    pub time: f64,
    pub det: u8,
    pub rawx: u8,
    pub rawy: u8,
    pub pi: i32,
    /// 1-based DET1 pixel.
    pub det1x: i16,
    pub det1y: i16,
    /// 1-based sky pixel (integer, as in NuSTAR event files).
    pub x: i16,
    pub y: i16,
}

/// `nu<obsid><M>01_cl.evt`: EVENTS (time-ordered) and GTI.
pub fn write_events(
    out: &Output,
    p: &Pointing,
    m: Module,
    ev: &[Event],
    history: &[String],
) -> Result<()> {
    out.write_fits(|f| {
        primary(f, p, m)?;
        let cols = [
            ("TIME", "1D", "s"),
            ("DET_ID", "1B", ""),
            ("RAWX", "1B", "pixel"),
            ("RAWY", "1B", "pixel"),
            ("GRADE", "1I", ""),
            ("PI", "1J", "chan"),
            ("DET1X", "1I", "pixel"),
            ("DET1Y", "1I", "pixel"),
            ("X", "1I", "pixel"),
            ("Y", "1I", "pixel"),
        ];
        f.create_table("EVENTS", &cols, ev.len())?;
        events_keys(f, p, m)?;
        column_keys(f, p)?;
        for h in history {
            f.history(h)?;
        }
        write_event_columns(f, ev)?;
        gti_table(f, p, m)?;
        badpix_extensions(f, m, &OBSERVATION_BAD_PIXELS, Some((p.tstart, p.tstop)))
    })
}

/// The EVENTS header: the observation's times, exposure and screening.
fn events_keys(f: &mut Fits, p: &Pointing, m: Module) -> Result<()> {
    f.set_key_str("HDUCLASS", "OGIP", "Format conforms to OGIP standards")?;
    f.set_key_str("HDUCLAS1", "EVENTS", "Event extension")?;
    f.set_key_str("HDUCLAS2", "ACCEPTED", "cleaned events")?;
    common_keys(f, p, m)?;
    f.set_key_f64("EXPOSURE", p.exposure, "Exposure time")?;
    f.set_key_f64("LIVETIME", p.exposure, "On-source time")?;
    f.set_key_f64("ONTIME", p.exposure, "On-source time")?;
    f.set_key_f64("DEADC", 1.0, "dead time correction (none simulated)")?;
    f.set_key_f64("TELAPSE", p.tstop - p.tstart, "elapsed time")?;
    f.set_key_f64(
        "MJD-OBS",
        55197.00076601852 + p.tstart / 86400.0,
        "MJD of data start time",
    )?;
    f.set_key_str("TIMEREF", "LOCAL", "")?;
    f.set_key_str("TIMEUNIT", "s", "")?;
    f.set_key_str("DEPTHCUT", "NOMINAL", "Events depth cut screening")?;
    f.set_key_str("OBSMODE", "SCIENCE", "")
}

/// The columns' ranges and coordinate keywords: GRADE, PI, DET1X/Y in mm, X/Y on the sky
/// tangent plane at the pointing.
fn column_keys(f: &mut Fits, p: &Pointing) -> Result<()> {
    f.set_key_i64("TLMIN5", 0, "")?;
    f.set_key_i64("TLMAX5", 32, "")?;
    f.set_key_i64("TLMIN6", 0, "Minimum value for PI column")?;
    f.set_key_i64("TLMAX6", 4095, "Maximum value for PI column")?;
    for (col, name) in [(7, "DET1X"), (8, "DET1Y")] {
        f.set_key_i64(&format!("TLMIN{col}"), 1, "")?;
        f.set_key_i64(&format!("TLMAX{col}"), 360, "")?;
        f.set_key_str(&format!("TCTYP{col}"), name, "")?;
        f.set_key_f64(&format!("TCDLT{col}"), 0.12096, "image scale (mm/pixel)")?;
        f.set_key_str(&format!("TCUNI{col}"), "mm", "")?;
    }
    let sky = [
        (9, "RA---TAN", p.ra, -SKY_PIXEL_DEG),
        (10, "DEC--TAN", p.dec, SKY_PIXEL_DEG),
    ];
    for (col, ctype, crval, cdelt) in sky {
        f.set_key_i64(&format!("TLMIN{col}"), 1, "")?;
        f.set_key_i64(&format!("TLMAX{col}"), 1000, "")?;
        f.set_key_f64(&format!("TCRPX{col}"), CRPIX, "image reference pixel")?;
        f.set_key_f64(
            &format!("TCRVL{col}"),
            crval,
            "reference pixel coordinate (deg)",
        )?;
        f.set_key_f64(&format!("TCDLT{col}"), cdelt, "image scale (deg/pixel)")?;
        f.set_key_str(&format!("TCTYP{col}"), ctype, "")?;
        f.set_key_str(&format!("TCUNI{col}"), "deg", "")?;
    }
    Ok(())
}

/// The event columns, in the order `write_events` declares them (GRADE always 0).
fn write_event_columns(f: &mut Fits, ev: &[Event]) -> Result<()> {
    let time: Vec<f64> = ev.iter().map(|e| e.time).collect();
    f.write_col_f64(1, &time)?;
    let cols_i: [&dyn Fn(&Event) -> i64; 9] = [
        &|e| e.det as i64,
        &|e| e.rawx as i64,
        &|e| e.rawy as i64,
        &|_| 0,
        &|e| e.pi as i64,
        &|e| e.det1x as i64,
        &|e| e.det1y as i64,
        &|e| e.x as i64,
        &|e| e.y as i64,
    ];
    for (k, get) in cols_i.iter().enumerate() {
        let v: Vec<i64> = ev.iter().map(get).collect();
        f.write_col_i64(k + 2, &v)?;
    }
    Ok(())
}

/// `nu<obsid><M>_bp.fits`: the observation's bad pixels on their own, as the pipeline
/// writes them beside the event files.
pub fn write_bp(out: &Output, p: &Pointing, m: Module) -> Result<()> {
    out.write_fits(|f| {
        primary(f, p, m)?;
        badpix_extensions(f, m, &OBSERVATION_BAD_PIXELS, Some((p.tstart, p.tstop)))
    })
}

/// A reference sky image (1000×1000, zeros) carrying the grid's WCS and PA_PNT: what
/// mkimgs would give for the geometry tasks.
pub fn write_refimg(out: &Output, p: &Pointing, m: Module) -> Result<()> {
    out.write_fits(|f| {
        f.write_image(&Image::zeros(1000, 1000), 8)?;
        for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
            f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
            f.set_key_f64(&format!("CRPIX{ax}"), CRPIX, "")?;
            f.set_key_f64(
                &format!("CRVAL{ax}"),
                if ax == 1 { p.ra } else { p.dec },
                "",
            )?;
            f.set_key_f64(
                &format!("CDELT{ax}"),
                if ax == 1 {
                    -SKY_PIXEL_DEG
                } else {
                    SKY_PIXEL_DEG
                },
                "",
            )?;
            f.set_key_str(&format!("CUNIT{ax}"), "deg", "")?;
        }
        common_keys(f, p, m)?;
        f.set_key_f64("EXPOSURE", p.exposure, "")
    })
}

/// A ds9 region.
#[derive(Debug, Clone)]
pub enum Shape {
    /// Centre (0-based sky pixel), radius (pixels).
    Circle((f64, f64), f64),
    /// Centre, full sides (pixels), angle (degrees).
    Boxed((f64, f64), (f64, f64), f64),
}

/// Write a ds9 fk5 region file for `shape` on the grid of `wcs`.
pub fn write_region(path: &Path, wcs: &Wcs, shape: &Shape, clobber: bool) -> Result<()> {
    let asec = SKY_PIXEL_DEG * 3600.0;
    let body = match shape {
        Shape::Circle((x, y), r) => {
            let (ra, dec) = wcs.pix_to_world(x + 1.0, y + 1.0)?;
            format!("circle({ra:.6},{dec:.6},{:.3}\")", r * asec)
        }
        Shape::Boxed((x, y), (w, h), a) => {
            let (ra, dec) = wcs.pix_to_world(x + 1.0, y + 1.0)?;
            format!(
                "box({ra:.6},{dec:.6},{:.3}\",{:.3}\",{a:.3})",
                w * asec,
                h * asec
            )
        }
    };
    Output {
        path: path.to_path_buf(),
        clobber,
    }
    .write_text(&format!(
        "# Region file format: DS9 version 4.1\n# nuskybgd simulate: source-free region of a synthetic observation\nglobal color=green\nfk5\n{body}\n"
    ))
}
