//! `nuskybgd regmask REFIMG REG... [out=]`

use crate::cli::args::Args;
use crate::cli::Task;
use crate::error::Result;
use crate::io::output::Output;
use crate::sky::regmask::{mask, Grid};
use std::path::Path;

const USAGE: &str = "\
nuskybgd regmask REFIMG REG [REG ...] [out=MASK.fits] [clobber=yes]

Renders ds9 region files onto the pixel grid of REFIMG (any image with a celestial WCS)
and prints how many pixel centres each region covers; with out= writes the union as a 0/1
image with REFIMG's header. Regions are parsed by cfitsio (as HEASoft's extractor does):
circle, ellipse, box, polygon, annulus, ...; '-' shapes exclude; fk5/icrs (degrees or
sexagesimal, sizes in \" ' d) or image/physical coordinates. The same engine selects
events for spectra, so masks and spectra agree.

Example:
  nuskybgd regmask imA3to20keV.fits bgd1A.reg bgd2A.reg out=bgdmask.fits
";

/// The task's entry in the command table.
pub fn task() -> Task {
    Task {
        name: "regmask",
        summary: "render ds9 regions onto an image (check a region)",
        usage: USAGE,
        run,
    }
}

fn run(a: &Args) -> Result<()> {
    let refimg = a.pos(0, "REFIMG")?.to_string();
    a.pos(1, "REG")?;
    let out = match a.get("out") {
        Some(o) => Some(Output::new(o, a.flag("clobber", false)?)),
        None => {
            a.flag("clobber", false)?;
            None
        }
    };
    a.finish(usize::MAX)?;
    if let Some(o) = &out {
        o.check()?;
        let inputs: Vec<&Path> = a.positional.iter().map(Path::new).collect();
        crate::io::output::check_not_inputs(std::slice::from_ref(o), &inputs)?;
    }
    let grid = Grid::read(Path::new(&refimg))?;
    let mut union = None::<crate::io::image::Image>;
    for reg in &a.positional[1..] {
        let r = grid.region(Path::new(reg))?;
        let m = mask(&grid, &r)?;
        crate::outln!("regmask: {reg}: {} pixels", m.sum() as u64);
        union = Some(match union {
            None => m,
            Some(mut u) => {
                u.data
                    .iter_mut()
                    .zip(&m.data)
                    .for_each(|(a, b)| *a = a.max(*b));
                u
            }
        });
    }
    if let (Some(o), Some(u)) = (out, union) {
        o.write_fits(|f| {
            f.write_image(&u, 16)?;
            f.copy_cards(&grid.cards, &["BUNIT", "EXTNAME"])?;
            f.history(&format!(
                "nuskybgd regmask: {}",
                a.positional[1..].join(" ")
            ))
        })?;
        crate::outln!(
            "regmask: wrote {} ({} pixels)",
            o.path.display(),
            u.sum() as u64
        );
    }
    Ok(())
}
