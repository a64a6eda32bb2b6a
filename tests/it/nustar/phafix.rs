//! phafix on a real nuproducts spectrum and on spectra with directory paths.

use crate::support;
use crate::support::pha::PhaFixture;
use nuskybgd::io::fits::Fits;
use nuskybgd::nustar::module::Module;
use nuskybgd::nustar::phafix::phafix;
use std::path::Path;

fn write_pha(path: &Path, resp: &str, anc: &str, extname: &str) {
    PhaFixture::new(Module::A)
        .bare()
        .extname(extname)
        .counts(&[5.0, 7.0])
        .no_exposure()
        .respfile(resp)
        .ancrfile(anc)
        .backfile("none")
        .write(path);
}

#[test]
fn strips_directories_and_keeps_everything_else() {
    let dir = support::scratch("phafix_synth");
    let p = dir.join("s.pha");
    write_pha(&p, "/data/obs/out/s_sr.rmf", "../arf/s.arf", "SPECTRUM");
    let ch = phafix(&p).unwrap();
    assert_eq!(ch.len(), 2);
    let mut f = Fits::open(&p).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    assert_eq!(f.key_str("RESPFILE").unwrap(), "s_sr.rmf");
    assert_eq!(f.key_str("ANCRFILE").unwrap(), "s.arf");
    assert_eq!(f.key_str("BACKFILE").unwrap(), "none");
    assert_eq!(f.read_col_i64("COUNTS").unwrap(), vec![5, 7]);
    // second run: nothing to change, file untouched
    let before = std::fs::read(&p).unwrap();
    assert!(phafix(&p).unwrap().is_empty());
    assert_eq!(std::fs::read(&p).unwrap(), before);
    // not a spectrum: clear error, file untouched
    let q = dir.join("t.fits");
    write_pha(&q, "a/b.rmf", "none", "EVENTS");
    let mut g = Fits::open_rw(&q).unwrap();
    g.goto_hdu(2).unwrap();
    g.set_key_str("HDUCLAS1", "EVENTS", "").unwrap();
    g.close().unwrap();
    let err = phafix(&q).unwrap_err();
    assert!(
        matches!(
            err,
            nuskybgd::Error::Nustar(nuskybgd::error::NustarError::MissingExtension { .. })
        ),
        "{err}"
    );
    let e = err.to_string();
    assert!(e.contains("t.fits") && e.contains("no SPECTRUM"), "{e}");
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains("tmp")));
}

#[test]
fn real_nuproducts_spectrum() {
    let Some(src) = support::shared(
        "phafix_real",
        "data/real/80415201001/nu80415201001A06_chu2_S_cl_grade0_sr.pha",
    ) else {
        return;
    };
    let dir = support::scratch("phafix_real");
    let p = dir.join("sr.pha");
    std::fs::copy(&src, &p).unwrap();
    let mut before = Fits::open(&p).unwrap();
    before.goto_named("SPECTRUM").unwrap();
    let counts = before.read_col_f64("COUNTS").unwrap();
    let resp = before.key_str("RESPFILE").unwrap();
    drop(before);
    phafix(&p).unwrap();
    let mut f = Fits::open(&p).unwrap();
    f.goto_named("SPECTRUM").unwrap();
    let after = f.key_str("RESPFILE").unwrap();
    assert_eq!(after, resp.rsplit('/').next().unwrap());
    assert!(!after.contains('/'));
    assert_eq!(f.read_col_f64("COUNTS").unwrap(), counts);
}
