//! ds9 region files through the line checks and cfitsio's region parser, on a small TAN WCS.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuskybgd::io::region::Region;
use nuskybgd::io::wcs::Wcs;
use std::sync::OnceLock;

/// A 20x20 image with a TAN WCS, written once; its WCS.
fn wcs() -> &'static Wcs {
    static W: OnceLock<(tempfile::TempDir, Wcs)> = OnceLock::new();
    &W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("im.fits");
        nuskybgd::io::output::Output::new(p.to_str().unwrap(), false)
            .write_fits(|f| {
                f.write_image(&nuskybgd::io::image::Image::zeros(20, 20), 32)?;
                for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                    f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
                    f.set_key_f64(&format!("CRPIX{ax}"), 10.0, "")?;
                    f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
                    f.set_key_f64(&format!("CDELT{ax}"), 6.8e-4, "")?;
                }
                Ok(())
            })
            .unwrap();
        let w = Wcs::read(&mut nuskybgd::io::fits::Fits::open(&p).unwrap()).unwrap();
        (dir, w)
    })
    .1
}

fuzz_target!(|data: &[u8]| {
    let w = wcs();
    let mut f = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut f, data).unwrap();
    if let Ok(r) = Region::read(f.path(), w) {
        for (x, y) in [(1.0, 1.0), (10.0, 10.0), (20.0, 5.0)] {
            let _ = r.contains(x, y);
        }
    }
});
