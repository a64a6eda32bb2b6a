//! `nuskybgd simulate OUTDIR [seed=1] [exposure=50000] [apscale=] [fcxbscale=] [intscale=]
//! [intnscale=] [obsid=] [responses=small|full] [counts=] [keepgeom=] [clobber=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::{CliError, Result};
use crate::sim::{simulate, Responses, SimRequest};

const USAGE: &str = "\
nuskybgd simulate OUTDIR [seed=1] [exposure=50000] [apscale=1.1] [fcxbscale=0.8]
                  [intscale=1.2] [intnscale=0.9] [obsid=60001001002] [archive=no]
                  [responses=small] [counts=] [keepgeom=no] [clobber=no]

Writes a synthetic background-only NuSTAR observation (FPMA and FPMB) into OUTDIR, drawn
from the nuskybgd background model itself, with the truth beside it:
  nu60001001002{A,B}01_cl.evt   event lists (EVENTS + GTI; X/Y integer sky pixels)
  nu60001001002{A,B}_det1.fits  DET1 reference-point track (1 s cadence, slow wander)
  nu60001001002{A,B}01_gti.fits good time intervals (orbits summing to exposure)
  bgd{1,2,3}{A,B}.reg, src{A,B}.reg   ds9 fk5 regions (background regions, a source region)
  truth.json                    densities, expected and drawn counts per component, and the
                                expected normalisations of every region written
  truth/refimg.fits             reference sky image (WCS + PA_PNT) of the geometry
  auxil/, caldb/                the built-in synthetic instrument, when no real calibration
                                is given
Scales multiply the nominal model: apbgd = 0.002353/32 x apscale per unit of the aperture
image; lines 4-29 = intscale x ifactor/32400 per pixel (apec and lines 1-3 off, as with
solar=off); fcxb = 1.645545e-9 x fcxbscale per pixel; intn = intnscale x 25 x
ifactor/32400 per pixel (the IDL whole-detector norm spread over a detector).
The geometry (aspect histogram, instrument map, projected images) is made by the
project's own aspecthist, mkinstrmap and projbgd on the written files, so a fit sees
exactly the geometry the events were drawn from; keepgeom=yes keeps those images in
OUTDIR/truth/geometry (about 90 MB). archive=yes lays the observation out as the archive
does: the event, DET1, GTI and bad-pixel files and the regions in OUTDIR/<obsid>/event_cl.
Calibration: NUSKYBGD_AUXIL when set; $CALDB when it holds INSTRMAP, DETABS and GRPRMF
for both modules. Otherwise a synthetic instrument is written (\"synthetic nuskybgd
instrument, not NuSTAR calibration\"): Gaussian RMFs (FWHM 0.4 keV at 10 keV, 1 keV at
86 keV), smooth DETABS, Be, fcxb ARFs and aperture pattern, identical detectors within a
module so that fits recover the truth exactly in expectation.
responses=full writes instead eight full-size detector RMFs (4096 energies x 4096
channels, ~7 M non-zero values each, like NuSTAR's CALDB ones: Gaussian core of FWHM
0.42 keV rising to 0.6 keV at 140 keV, low-energy tail and shelf, Cd/Te escape peaks,
contact and depth-cut efficiency, no response above 150 keV), each detector with its own
gain and resolution, so benchmarks run at real scale without CALDB (fits then recover the
truth only approximately: the detectors differ). counts=N scales every density by one
factor (written in truth.json) so that N events per module are expected (1 to 1e7;
default 300000 with responses=full, the nominal densities, about 1 event/s, otherwise).
The same seed always gives the same files. A non-empty OUTDIR is refused unless
clobber=yes.

Example:
  nuskybgd simulate sim1 seed=7 exposure=50000
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "simulate",
        summary: "synthetic observation drawn from the background model, with its truth",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let (req, notes) = request(a)?;
    for n in &notes {
        crate::outln!("simulate: {n}");
    }
    let s = simulate(&req)?;
    print_summary(&s)
}

/// The simulation the arguments ask for, with the notes on the calibration chosen.
fn request(a: &Args) -> Result<(SimRequest, Vec<String>)> {
    let outdir = a.pos(0, "OUTDIR")?;
    let (mut req, notes) = SimRequest::from_env(outdir);
    if let Some(s) = a.get("seed") {
        req.seed = s.trim().parse().map_err(|_| CliError::BadValue {
            key: "seed".into(),
            value: s.to_string(),
            hint: "expected a non-negative integer".into(),
        })?;
    }
    let num = |k: &str, v: &mut f64| -> Result<()> {
        if let Some(x) = a.number(k)? {
            *v = x;
        }
        Ok(())
    };
    num("exposure", &mut req.exposure)?;
    num("apscale", &mut req.apscale)?;
    num("fcxbscale", &mut req.fcxbscale)?;
    num("intscale", &mut req.intscale)?;
    num("intnscale", &mut req.intnscale)?;
    if let Some(o) = a.get("obsid") {
        req.obsid = o.trim().to_string();
    }
    if let Some(r) = a.get("responses") {
        req.responses = Responses::parse(r).ok_or_else(|| CliError::BadValue {
            key: "responses".into(),
            value: r.to_string(),
            hint: "use small or full".into(),
        })?;
    }
    req.counts = a.number("counts")?;
    req.archive_layout = a.flag("archive", false)?;
    req.keep_geometry = a.flag("keepgeom", false)?;
    req.clobber = a.flag("clobber", false)?;
    a.finish(1)?;
    Ok((req, notes))
}

/// What was simulated: notes, calibration, events per module, the truth and the files.
fn print_summary(s: &crate::sim::SimSummary) -> Result<()> {
    for n in &s.notes {
        crate::outln!("simulate: {n}");
    }
    crate::outln!(
        "simulate: auxil {} ({}), CALDB {} ({})",
        s.auxil.display(),
        if s.auxil_synthetic {
            "synthetic"
        } else {
            "given"
        },
        s.caldb.display(),
        if s.caldb_synthetic {
            "synthetic"
        } else {
            "given"
        }
    );
    let truth = crate::sim::truth::Truth::read(&s.truth)?;
    for f in &s.modules {
        let t = truth.module(f.module)?;
        crate::outln!(
            "simulate: {} {} events (expected {:.1}: apbgd {:.0}, intbgd {:.0}, fcxb {:.0}, intn {:.0}) -> {}",
            f.module.instrume(),
            f.n_events,
            t.expected.total(),
            t.drawn.apbgd,
            t.drawn.intbgd(),
            t.drawn.fcxb,
            t.drawn.intn,
            f.events.display()
        );
    }
    crate::outln!("simulate: truth -> {}", s.truth.display());
    crate::outln!(
        "simulate: {} files written in {}",
        s.written.len(),
        s.outdir.display()
    );
    Ok(())
}
