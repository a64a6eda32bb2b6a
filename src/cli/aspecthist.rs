//! `nuskybgd aspecthist DET1FILE gtifile=GTI out=OUT`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::nustar::{gti::Gti, refpoint::read_refpoints};
use crate::sky::aspecthist::{aspect_histogram, write_aspect_histogram};
use std::path::Path;

const USAGE: &str = "\
nuskybgd aspecthist DET1FILE gtifile=GTIFILE out=OUTFILE [clobber=yes]

Histogram of the DET1 reference point's sky position over good time (the aspect
histogram projbgd convolves with). Each sample inside a GTI [START, STOP) is weighted by
the time to the next sample; the image is cropped to the touched pixels, with X_OFF/Y_OFF
giving the 0-based sky pixel of its first column/row. Samples off the 1000x1000 sky grid
(slews, bad metrology) are dropped and the dropped time is reported (keyword DROPTIME).
Differences from nuskybgd-py: the crop keeps the true maximum row/column (the port could
cut it), off-grid samples no longer crash or wrap, and a leading '!' on out is honoured.

Example:
  nuskybgd aspecthist nu80415201001A_det1.fits gtifile=nu80415201001A06_gti.fits out=aspecthistA.fits
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "aspecthist",
        summary: "aspect histogram of the DET1 reference point over good time",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let det1 = a.pos(0, "DET1FILE")?.to_string();
    let gtifile = a.require("gtifile")?.to_string();
    let out = Output::new(a.require("out")?, a.flag("clobber", false)?);
    a.finish(1)?;
    out.check()?;
    crate::io::output::check_not_inputs(
        std::slice::from_ref(&out),
        &[Path::new(&det1), Path::new(&gtifile)],
    )?;
    let rp = read_refpoints(Path::new(&det1))?;
    let gti = Gti::read(Path::new(&gtifile))?;
    let h = aspect_histogram(&rp, &gti).map_err(|e| e.in_file(&det1))?;
    write_aspect_histogram(&out, &h, &rp)?;
    crate::outln!(
        "aspecthist: {} samples binned, {:.3} s of exposure, {}x{} image at offset ({}, {}) -> {}",
        h.n_used,
        h.image.sum(),
        h.image.nx,
        h.image.ny,
        h.x_off,
        h.y_off,
        out.path.display()
    );
    if h.n_dropped > 0 {
        crate::outln!(
            "aspecthist: dropped {} samples ({:.3} s of good time) whose aim point fell off the 1000x1000 sky grid",
            h.n_dropped, h.dropped_time
        );
    }
    Ok(())
}
