//! Region masks against pyregion (the Python port's engine), and region edge cases.

use crate::support;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::sky::regmask::{mask, region_mask, Grid};
use std::path::Path;

#[test]
fn masks_agree_with_pyregion_except_boundary_pixels() {
    let Some(case) = support::shared("regions_vs_pyregion", "reference/sky/case_real") else {
        return;
    };
    let refimg = case.join("input/im3to20keV.fits.gz");
    for name in [
        "bgd1_fk5.reg",
        "bgd2_fk5.reg",
        "bgd3_fk5.reg",
        "mixed_image.reg",
        "src_fk5.reg",
        "src_fk5_sexa.reg",
    ] {
        let ours = region_mask(&refimg, &case.join("input").join(name)).unwrap();
        let theirs = Fits::open(case.join("masks").join(format!("{name}.mask.fits.gz")))
            .unwrap()
            .read_image()
            .unwrap();
        assert_eq!((ours.nx, ours.ny), (theirs.nx, theirs.ny));
        let differ = ours
            .data
            .iter()
            .zip(&theirs.data)
            .filter(|(a, b)| (**a > 0.5) != (**b > 0.5))
            .count();
        let n = theirs.data.iter().filter(|v| **v > 0.5).count();
        eprintln!(
            "regions {name}: {} px ours, {n} px pyregion, {differ} differ ({:.3}%)",
            ours.sum(),
            100.0 * differ as f64 / n as f64
        );
        assert!(
            differ as f64 <= 0.005 * n as f64,
            "{name}: {differ} of {n} differ"
        );
    }
}

/// A 200x200 TAN image at NuSTAR's pixel scale centred on (150, 2).
fn small_image(path: &Path) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(200, 200), -32)?;
            f.set_key_str("CTYPE1", "RA---TAN", "")?;
            f.set_key_str("CTYPE2", "DEC--TAN", "")?;
            f.set_key_f64("CRPIX1", 100.5, "")?;
            f.set_key_f64("CRPIX2", 100.5, "")?;
            f.set_key_f64("CRVAL1", 150.0, "")?;
            f.set_key_f64("CRVAL2", 2.0, "")?;
            f.set_key_f64("CDELT1", -6.828076e-4, "")?;
            f.set_key_f64("CDELT2", 6.828076e-4, "")
        })
        .unwrap();
}

fn count(refimg: &Path, dir: &Path, name: &str, text: &str) -> nuskybgd::Result<f64> {
    let r = dir.join(name);
    std::fs::write(&r, text).unwrap();
    region_mask(refimg, &r).map(|m| m.sum())
}

#[test]
fn shapes_excludes_and_coordinate_forms() {
    let dir = support::scratch("regions_shapes");
    let img = dir.join("im.fits");
    small_image(&img);
    // image coordinates: a 10x10 box centred on a pixel-edge grid has exactly 100 centres
    assert_eq!(
        count(&img, &dir, "a.reg", "image\nbox(50.5,50.5,10,10,0)\n").unwrap(),
        100.0
    );
    // excludes remove only from earlier includes; later includes are unaffected
    let n = count(
        &img,
        &dir,
        "b.reg",
        "image\nbox(50.5,50.5,10,10,0)\n-box(50.5,50.5,4,4,0)\nbox(150.5,150.5,2,2,0)\n",
    )
    .unwrap();
    assert_eq!(n, 100.0 - 16.0 + 4.0);
    // an annulus is a circle minus its hole
    let ann = count(&img, &dir, "c.reg", "image;annulus(100,100,5,20)").unwrap();
    let outer = count(&img, &dir, "d.reg", "image;circle(100,100,20)").unwrap();
    let inner = count(&img, &dir, "e.reg", "image;circle(100,100,5)").unwrap();
    // pixel centres exactly on the inner edge (r = 5: 12 lattice points) belong to both
    assert!(
        ann >= outer - inner && ann <= outer - inner + 12.0,
        "{ann} {outer} {inner}"
    );
    // polygon: the unit-aligned square 20..30 holds 10x10 centres (boundary excluded)
    assert_eq!(
        count(
            &img,
            &dir,
            "f.reg",
            "image\npolygon(20.5,20.5,30.5,20.5,30.5,30.5,20.5,30.5)"
        )
        .unwrap(),
        100.0
    );
    // sexagesimal and degrees, arcsec and arcmin, icrs and fk5 give the same circle
    let deg = count(&img, &dir, "g.reg", "fk5\ncircle(150.0,2.0,60\")").unwrap();
    let sexa = count(
        &img,
        &dir,
        "h.reg",
        "icrs\ncircle(10:00:00.000,+2:00:00.00,1')",
    )
    .unwrap();
    assert_eq!(deg, sexa);
    let area = std::f64::consts::PI * (60.0 / 2.45810736f64).powi(2);
    assert!((deg - area).abs() < 0.03 * area, "{deg} vs {area}");
    // physical is taken as image for these grids
    assert_eq!(
        count(&img, &dir, "i.reg", "physical;box(50.5,50.5,10,10,0)").unwrap(),
        100.0
    );
}

#[test]
fn bad_regions_name_file_and_line() {
    let dir = support::scratch("regions_bad");
    let img = dir.join("im.fits");
    small_image(&img);
    let e = count(
        &img,
        &dir,
        "syn.reg",
        "# Region file format: DS9\nfk5\ncircle(150.0,2.0)\n",
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Io(nuskybgd::error::IoError::RegionSyntax { line: 3, .. })
        ),
        "{e}"
    );
    let e = e.to_string();
    assert!(e.contains("syn.reg:3:") && e.contains("at least 3"), "{e}");
    let e = count(&img, &dir, "unk.reg", "image\ncircel(1,2,3)\n").unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Io(nuskybgd::error::IoError::RegionSyntax { line: 2, .. })
        ),
        "{e}"
    );
    let e = e.to_string();
    assert!(
        e.contains("unk.reg:2:") && e.contains("unknown region shape"),
        "{e}"
    );
    let e = count(&img, &dir, "off.reg", "image\ncircle(5000,5000,10)\n").unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Sky(nuskybgd::error::SkyError::RegionOffImage { .. })
        ),
        "{e}"
    );
    let e = e.to_string();
    assert!(e.contains("off.reg") && e.contains("wholly off"), "{e}");
    let e = count(&img, &dir, "empty.reg", "# nothing\n").unwrap_err();
    assert!(
        matches!(
            e,
            nuskybgd::Error::Io(nuskybgd::error::IoError::RegionEmpty { .. })
        ),
        "{e}"
    );
    let e = e.to_string();
    assert!(e.contains("no shapes"), "{e}");
    let e = region_mask(&img, &dir.join("missing.reg"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.reg"), "{e}");
    // an image without a celestial WCS cannot take fk5 regions
    let plain = dir.join("plain.fits");
    Output::new(plain.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&Image::zeros(10, 10), 8))
        .unwrap();
    let e = Grid::read(&plain).err().unwrap().to_string();
    assert!(e.contains("plain.fits") && e.contains("WCS"), "{e}");
}

#[test]
fn regmask_command_writes_a_mask_with_the_reference_header() {
    let dir = support::scratch("regions_cli");
    let img = dir.join("im.fits");
    small_image(&img);
    std::fs::write(dir.join("a.reg"), "image;box(50.5,50.5,10,10,0)").unwrap();
    std::fs::write(dir.join("b.reg"), "image;box(150.5,150.5,2,2,0)").unwrap();
    let out = dir.join("m.fits");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"))
        .args([
            "regmask",
            img.to_str().unwrap(),
            dir.join("a.reg").to_str().unwrap(),
            dir.join("b.reg").to_str().unwrap(),
            &format!("out={}", out.display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("a.reg: 100 pixels") && stdout.contains("b.reg: 4 pixels"),
        "{stdout}"
    );
    let mut f = Fits::open(&out).unwrap();
    let m = f.read_image().unwrap();
    assert_eq!(m.sum(), 104.0);
    assert_eq!(f.key_f64("CRVAL1").unwrap(), 150.0);
    // same region engine through the library: identical mask
    let grid = Grid::read(&img).unwrap();
    let a = mask(&grid, &grid.region(&dir.join("a.reg")).unwrap()).unwrap();
    assert_eq!(a.get(49, 49), 1.0);
    assert_eq!(m.get(49, 49), 1.0);
}
