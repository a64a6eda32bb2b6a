//! Drawing a simulated observation's events from the background model: each component's
//! folded channel spectrum per detector and its spatial weight on the sky, sampled as a
//! Poisson total, then pixels and channels from cumulative distributions.

use super::observation::{Event, Pointing};
use super::truth::{ComponentCounts, ModuleTruth, NLINES};
use super::SimRequest;
use crate::bgmodel::arf::ArfInputs;
use crate::bgmodel::constants::{
    APBGD_PER_APW, FCXB_PER_PIXEL, INTN_IFACTOR_SCALE, PIXELS_PER_DETECTOR,
};
use crate::bgmodel::geometry::ModuleMaps;
use crate::bgmodel::presets::{ComponentPreset, Presets, SourcePreset};
use crate::error::{Error, Result, SimError};
use crate::nustar::caldb::Caldb;
use crate::nustar::module::Module;
use crate::nustar::pixpos::PixelMap;
use crate::spectral::expr::Expression;
use crate::spectral::ogip::{arf::Arf, rmf::Rmf};
use rand::Rng;
use rand_distr::{Distribution, Poisson};
use rand_pcg::Pcg64;
use rayon::prelude::*;
use std::path::Path;

/// Cumulative weights over the positive entries of a weight list.
struct Cdf {
    idx: Vec<u32>,
    cum: Vec<f64>,
}

impl Cdf {
    fn new(w: impl Iterator<Item = f64>) -> Cdf {
        let (mut idx, mut cum) = (Vec::new(), Vec::new());
        let mut s = 0.0;
        for (i, v) in w.enumerate() {
            if v > 0.0 && v.is_finite() {
                s += v;
                idx.push(i as u32);
                cum.push(s);
            }
        }
        Cdf { idx, cum }
    }

    fn total(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    fn draw(&self, rng: &mut Pcg64) -> usize {
        let u = rng.gen::<f64>() * self.total();
        let k = self
            .cum
            .partition_point(|c| *c <= u)
            .min(self.cum.len() - 1);
        self.idx[k] as usize
    }
}

/// Folded channel spectra per unit norm per second, one per detector.
pub(super) struct Spectra {
    apbgd: [Vec<f64>; 4],
    lines: Vec<[Vec<f64>; 4]>,
    fcxb: [Vec<f64>; 4],
    intn: Vec<f64>,
}

fn fold(rmf: &Rmf, flux: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; rmf.nchan];
    rmf.fold_into(flux, None, &mut out);
    out
}

/// Fold several fluxes per energy bin through `rmf` in one pass over the matrix (each
/// channel's sum in the same order as [`fold`], so the same values).
fn fold_many(rmf: &Rmf, fluxes: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut outs = vec![vec![0.0; rmf.nchan]; fluxes.len()];
    let w: Vec<&[f64]> = fluxes.iter().map(Vec::as_slice).collect();
    let mut o: Vec<&mut [f64]> = outs.iter_mut().map(Vec::as_mut_slice).collect();
    rmf.fold_many(&w, &mut o);
    outs
}

pub(super) struct ModuleCal {
    rmfs: [Rmf; 4],
    diag: Rmf,
    arf: ArfInputs,
    fcxb: Arf,
}

pub(super) fn load_cal(caldb: &Caldb, auxil: &Path, m: Module, date: &str) -> Result<ModuleCal> {
    let paths = crate::bgmodel::detrmf::detector_rmf_paths(
        &crate::bgmodel::detrmf::RmfSource::Caldb(caldb.clone()),
        m,
        date,
    )?;
    // detectors sharing a file, or files with the same bytes, share one read
    let bytes: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| {
            std::fs::read(p).map_err(|e| {
                SimError::Fs {
                    path: p.to_path_buf(),
                    source: e,
                }
                .into()
            })
        })
        .collect::<Result<_>>()?;
    let mut rmfs: Vec<Rmf> = Vec::new();
    for d in 0..4 {
        let r = match (0..d).find(|&k| paths[k] == paths[d] || bytes[k] == bytes[d]) {
            Some(k) => {
                let mut r = rmfs[k].clone();
                r.path = paths[d].clone();
                r
            }
            None => Rmf::read(&paths[d])?,
        };
        rmfs.push(r);
    }
    let rmfs: [Rmf; 4] = rmfs.try_into().map_err(|_| SimError::RmfCount)?;
    let diag = Rmf::read(&auxil.join("diag.rmf"))?;
    let arf = ArfInputs::load(caldb, auxil, m, date)?;
    let fcxb = Arf::read(&auxil.join(format!("fcxb{}.arf", m.letter())))?;
    for r in &rmfs {
        if r.energy_lo.len() != arf.be.len() || r.nchan != diag.nchan {
            return Err(SimError::RmfMismatch {
                path: r.path.clone(),
                energies: r.energy_lo.len(),
                channels: r.nchan,
                curve_energies: arf.be.len(),
                diag_channels: diag.nchan,
            }
            .into());
        }
        fcxb.check_against(r)?;
    }
    Ok(ModuleCal {
        rmfs,
        diag,
        arf,
        fcxb,
    })
}

/// The first component of model `name`'s presets for module `m`.
fn first_component<'a>(
    set: &'a SourcePreset,
    m: Module,
    name: &str,
) -> Result<&'a ComponentPreset> {
    set.module(m)
        .first()
        .ok_or_else(|| SimError::NoComponents { model: name.into() }.into())
}

/// One detector's folded apbgd, fcxb and line spectra.
type DetectorSpectra = (Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

pub(super) fn spectra(cal: &ModuleCal, presets: &Presets, m: Module) -> Result<Spectra> {
    let ap = first_component(&presets.apbgd, m, "apbgd")?;
    let need = |c: &ComponentPreset, k: &str| {
        c.value(k).ok_or_else(|| {
            Error::from(SimError::MissingParameter {
                component: c.name.to_string(),
                key: k.to_string(),
            })
        })
    };
    let (gamma, ecut) = (need(ap, "phoindex")?, need(ap, "highecut")?);
    let cutoffpl = Expression::parse("cutoffpl")?;
    let lorentz = Expression::parse("lorentz")?;
    let bknpower = Expression::parse("bknpower")?;
    let comps = presets.intbgd.module(m);
    if comps.len() != NLINES + 1 {
        return Err(SimError::IntbgdComponents {
            found: comps.len(),
            lines: NLINES,
        }
        .into());
    }
    // (apbgd, fcxb, lines) folded through each detector's response, detectors in parallel
    let per_det: Vec<DetectorSpectra> = (0..4)
        .into_par_iter()
        .map(|d| {
            let rmf = &cal.rmfs[d];
            let edges = rmf.edges();
            let cpl = cutoffpl.eval(&[gamma, ecut, 1.0], &edges)?;
            let f: Vec<f64> = (0..cpl.len())
                .map(|e| cpl[e] * cal.arf.be[e] * cal.arf.detabs[d][e])
                .collect();
            let fx: Vec<f64> = (0..cpl.len()).map(|e| cpl[e] * cal.fcxb.area[e]).collect();
            let mut fluxes = vec![f, fx];
            for comp in &comps[1..=NLINES] {
                let fl =
                    lorentz.eval(&[need(comp, "linee")?, need(comp, "width")?, 1.0], &edges)?;
                fluxes.push(fl);
            }
            let mut folded = fold_many(rmf, &fluxes).into_iter();
            let (ap, fx) = (folded.next(), folded.next());
            Ok((
                ap.unwrap_or_default(),
                fx.unwrap_or_default(),
                folded.collect(),
            ))
        })
        .collect::<Result<_>>()?;
    let mut apbgd: Vec<Vec<f64>> = Vec::new();
    let mut fcxb: Vec<Vec<f64>> = Vec::new();
    let mut lines: Vec<Vec<Vec<f64>>> = vec![Vec::new(); NLINES];
    for (ap, fx, ls) in per_det {
        apbgd.push(ap);
        fcxb.push(fx);
        for (c, l) in ls.into_iter().enumerate() {
            lines[c].push(l);
        }
    }
    let nn = first_component(&presets.intn, m, "intn")?;
    let fl = bknpower.eval(
        &[
            need(nn, "phoindx1")?,
            need(nn, "breake")?,
            need(nn, "phoindx2")?,
            1.0,
        ],
        &cal.diag.edges(),
    )?;
    let intn = fold(&cal.diag, &fl);
    let four = |v: Vec<Vec<f64>>| -> [Vec<f64>; 4] { v.try_into().expect("four detectors") };
    Ok(Spectra {
        apbgd: four(apbgd),
        lines: lines.into_iter().map(four).collect(),
        fcxb: four(fcxb),
        intn,
    })
}

/// The densities of the truth for module `m`.
pub(super) fn densities(req: &SimRequest, presets: &Presets, m: Module) -> Result<ModuleTruth> {
    let comps = presets.intbgd.module(m);
    let ifac = |c: &ComponentPreset| {
        c.ifactors.ok_or_else(|| {
            Error::from(SimError::NoIfactors {
                component: c.name.to_string(),
            })
        })
    };
    let mut d_line = [[0.0; 4]; NLINES];
    for (c, row) in d_line.iter_mut().enumerate() {
        // lines 1-3 (and apec) are the solar-contaminated soft components: off
        if c >= 3 {
            let f = ifac(&comps[c + 1])?;
            *row = f.map(|v| req.intscale * v / PIXELS_PER_DETECTOR);
        }
    }
    let nn = first_component(&presets.intn, m, "intn")?;
    Ok(ModuleTruth {
        module: m,
        d_ap: APBGD_PER_APW * req.apscale,
        d_apec: [0.0; 4],
        d_line,
        d_fcxb: FCXB_PER_PIXEL * req.fcxbscale,
        // the IDL's whole-detector continuum norm (25 × ratios.json) spread over a detector
        d_intn: ifac(nn)?.map(|v| req.intnscale * INTN_IFACTOR_SCALE * v / PIXELS_PER_DETECTOR),
        rate_apbgd: [0.0; 4],
        rate_line: [[0.0; 4]; NLINES],
        rate_fcxb: [0.0; 4],
        rate_intn: [0.0; 4],
        expected: ComponentCounts::default(),
        drawn: ComponentCounts::default(),
        events: 0,
    })
}

/// Which component a draw belongs to.
#[derive(Clone, Copy)]
enum Comp {
    Apbgd,
    Line(usize),
    Fcxb,
    Intn,
}

fn slot(c: &mut ComponentCounts, comp: Comp) -> &mut f64 {
    match comp {
        Comp::Apbgd => &mut c.apbgd,
        Comp::Line(k) => &mut c.lines[k],
        Comp::Fcxb => &mut c.fcxb,
        Comp::Intn => &mut c.intn,
    }
}

/// Nearest DET1 sub-pixel owned by detector `d` around (u, v), as (RAWX, RAWY).
fn raw_pixel(pm: &PixelMap, d: usize, u: usize, v: usize) -> (u8, u8) {
    for r in 0..5isize {
        for dv in -r..=r {
            for du in -r..=r {
                if du.abs().max(dv.abs()) != r {
                    continue;
                }
                let (x, y) = (u as isize + du, v as isize + dv);
                if !(0..360).contains(&x) || !(0..360).contains(&y) {
                    continue;
                }
                let k = y as usize * 360 + x as usize;
                if pm.detnum[k] == d as i32 && pm.pixmap[k] >= 0 {
                    return ((pm.pixmap[k] % 32) as u8, (pm.pixmap[k] / 32) as u8);
                }
            }
        }
    }
    (0, 0)
}

/// Multiply every density of `t` by `k`.
fn scale_densities(t: &mut ModuleTruth, k: f64) {
    t.d_ap *= k;
    t.d_apec.iter_mut().for_each(|v| *v *= k);
    t.d_line.iter_mut().flatten().for_each(|v| *v *= k);
    t.d_fcxb *= k;
    t.d_intn.iter_mut().for_each(|v| *v *= k);
}

/// The Poisson mean of one job's event count over `exposure` (s).
fn job_mean(exposure: f64, job: &Job) -> f64 {
    exposure * job.density * job.space.total() * job.spectrum.iter().sum::<f64>()
}

/// Draw one module's events; fills the truth's rates and counts. With `target`, every
/// density is first scaled by one factor so that the expected total is `target` events;
/// returns the events and that factor (1 without a target).
#[allow(clippy::too_many_arguments)]
pub(super) fn draw_module(
    rng: &mut Pcg64,
    p: &Pointing,
    track: &super::observation::Track,
    maps: &ModuleMaps,
    sp: &Spectra,
    pm: &PixelMap,
    t: &mut ModuleTruth,
    target: Option<f64>,
) -> (Vec<Event>, f64) {
    let (det_cdf, ap_cdf) = sky_spaces(maps);
    let mut k = 1.0;
    if let Some(n) = target {
        let total: f64 = jobs(sp, t, &det_cdf, &ap_cdf)
            .iter()
            .map(|j| job_mean(p.exposure, j))
            .sum();
        if total > 0.0 {
            k = n / total;
            scale_densities(t, k);
        }
    }
    let clock = GtiClock::new(&p.gti);
    let place = Placement {
        p,
        track,
        pm,
        nx: maps.bgdap.nx,
    };
    let mut events = Vec::new();
    for job in jobs(sp, t, &det_cdf, &ap_cdf) {
        let mean = job_mean(p.exposure, &job);
        let n = if mean > 0.0 && job.space.total() > 0.0 {
            Poisson::new(mean)
                .map(|pd| pd.sample(rng) as usize)
                .unwrap_or(0)
        } else {
            0
        };
        *slot(&mut t.expected, job.comp) += mean;
        *slot(&mut t.drawn, job.comp) += n as f64;
        if n == 0 {
            continue;
        }
        let chan = Cdf::new(job.spectrum.iter().copied());
        for _ in 0..n {
            let pix = job.space.draw(rng);
            let pi = chan.draw(rng) as i32;
            let time = clock.time(rng.gen::<f64>());
            events.push(place.event(pix, job.det, pi, time));
        }
    }
    events.sort_by(|a, b| a.time.total_cmp(&b.time));
    t.events = events.len();
    (events, k)
}

/// Where on the sky each detector's events fall: (detector images, aperture image shared
/// among the detectors by their images), as draw distributions over sky pixels.
fn sky_spaces(maps: &ModuleMaps) -> (Vec<Cdf>, Vec<Cdf>) {
    let npix = maps.bgdap.data.len();
    let sum_det: Vec<f64> = (0..npix)
        .map(|i| (0..4).map(|d| maps.det[d].data[i]).sum())
        .collect();
    let det_cdf: Vec<Cdf> = (0..4)
        .map(|d| Cdf::new(maps.det[d].data.iter().copied()))
        .collect();
    let ap_cdf: Vec<Cdf> = (0..4)
        .map(|d| {
            Cdf::new((0..npix).map(|i| {
                if sum_det[i] > 0.0 {
                    maps.bgdap.data[i] * maps.det[d].data[i] / sum_det[i]
                } else {
                    0.0
                }
            }))
        })
        .collect();
    (det_cdf, ap_cdf)
}

/// One component on one detector: its density, where it falls and its spectrum (counts
/// per channel per unit density and exposure).
struct Job<'a> {
    comp: Comp,
    det: usize,
    density: f64,
    space: &'a Cdf,
    spectrum: &'a [f64],
}

/// Every component of every detector, in drawing order; fills the truth's rates.
fn jobs<'a>(
    sp: &'a Spectra,
    t: &mut ModuleTruth,
    det_cdf: &'a [Cdf],
    ap_cdf: &'a [Cdf],
) -> Vec<Job<'a>> {
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let mut jobs = Vec::new();
    for d in 0..4 {
        let job = |comp, density, space, spectrum| Job {
            comp,
            det: d,
            density,
            space,
            spectrum,
        };
        t.rate_apbgd[d] = sum(&sp.apbgd[d]);
        t.rate_fcxb[d] = sum(&sp.fcxb[d]);
        t.rate_intn[d] = sum(&sp.intn);
        jobs.push(job(Comp::Apbgd, t.d_ap, &ap_cdf[d], &sp.apbgd[d]));
        for c in 0..NLINES {
            t.rate_line[c][d] = sum(&sp.lines[c][d]);
            jobs.push(job(
                Comp::Line(c),
                t.d_line[c][d],
                &det_cdf[d],
                &sp.lines[c][d],
            ));
        }
        jobs.push(job(Comp::Fcxb, t.d_fcxb, &det_cdf[d], &sp.fcxb[d]));
        jobs.push(job(Comp::Intn, t.d_intn[d], &det_cdf[d], &sp.intn));
    }
    jobs
}

/// Good time laid end to end, so a uniform draw in [0, 1) picks a time uniformly within it.
struct GtiClock<'a> {
    gti: &'a [(f64, f64)],
    /// Good time elapsed at the end of each interval (s).
    end: Vec<f64>,
}

impl<'a> GtiClock<'a> {
    fn new(gti: &'a [(f64, f64)]) -> Self {
        let end = gti
            .iter()
            .scan(0.0, |s, g| {
                *s += g.1 - g.0;
                Some(*s)
            })
            .collect();
        GtiClock { gti, end }
    }

    /// The time (s, mission time) a fraction `f` of the way through the good time.
    fn time(&self, f: f64) -> f64 {
        let u = f * self.end.last().copied().unwrap_or(0.0);
        let g = self
            .end
            .partition_point(|e| *e <= u)
            .min(self.gti.len() - 1);
        (self.gti[g].1 - (self.end[g] - u)).max(self.gti[g].0)
    }
}

/// What places a drawn sky pixel on the detector at a time: the pointing, the aspect track
/// and the pixel ownership map.
struct Placement<'a> {
    p: &'a Pointing,
    track: &'a super::observation::Track,
    pm: &'a PixelMap,
    /// Sky image width (pixels).
    nx: usize,
}

impl Placement<'_> {
    /// The event of sky pixel `pix` (0-based, row-major) on detector `det` at `time`.
    fn event(&self, pix: usize, det: usize, pi: i32, time: f64) -> Event {
        let (p, track) = (self.p, self.track);
        let (ix, iy) = (pix % self.nx, pix / self.nx);
        let k = ((time - p.tstart).floor().max(0.0) as usize).min(track.x.len() - 1);
        let cell = (track.x[k].floor(), track.y[k].floor());
        let (u1, v1) = p.sky_to_det1(ix as f64, iy as f64, cell);
        let (u1, v1) = (
            u1.round().clamp(0.0, 359.0) as usize,
            v1.round().clamp(0.0, 359.0) as usize,
        );
        let (rawx, rawy) = raw_pixel(self.pm, det, u1, v1);
        Event {
            time,
            det: det as u8,
            rawx,
            rawy,
            pi,
            det1x: u1 as i16 + 1,
            det1y: v1 as i16 + 1,
            x: ix as i16 + 1,
            y: iy as i16 + 1,
        }
    }
}
