//! mkinstrmap pieces: RAW→DET1 maps from CALDB PIXPOS vs the auxiliary IDL maps, bad
//! pixels, CALDB lookup, and the whole task on a stand-in CALDB.

use crate::support::{self, assert_variant};
use nuskybgd::error::{IoError, NustarError, TaskError};
use nuskybgd::nustar::module::Module;
use nuskybgd::nustar::pixpos::PixelMap;
use nuskybgd::Error;

#[test]
fn pixpos_maps_agree_with_the_idl_maps() {
    let (Some(caldb), Some(auxil)) = (
        support::shared("pixpos_vs_idl", "caldb"),
        support::shared("pixpos_vs_idl", "auxil"),
    ) else {
        return;
    };
    for m in [Module::A, Module::B] {
        let ours = PixelMap::from_pixpos(
            &caldb.join(format!("nu{}pixpos20100101v007.fits.gz", m.letter())),
        )
        .unwrap();
        let idl = PixelMap::from_auxil(&auxil, m).unwrap();
        let n = ours.pixmap.len();
        let owned = idl.pixmap.iter().filter(|v| **v >= 0).count();
        let same_pix = (0..n)
            .filter(|&k| idl.pixmap[k] >= 0 && ours.pixmap[k] == idl.pixmap[k])
            .count();
        let same_det = (0..n)
            .filter(|&k| idl.detnum[k] >= 0 && ours.detnum[k] == idl.detnum[k])
            .count();
        let ours_owned = ours.pixmap.iter().filter(|v| **v >= 0).count();
        eprintln!(
            "pixpos {}: IDL owns {owned} px, ours {ours_owned}; raw pixel agrees on {same_pix} ({:.2}%), detector on {same_det} ({:.2}%)",
            m.letter(),
            100.0 * same_pix as f64 / owned as f64,
            100.0 * same_det as f64 / owned as f64
        );
        assert!(same_det as f64 > 0.99 * owned as f64);
    }
}

#[test]
fn real_bad_pixel_files() {
    let Some(real) = support::shared("badpix_real", "data/real") else {
        return;
    };
    use nuskybgd::nustar::badpix::read_badpix;
    for (f, m) in [
        ("80415201001/nu80415201001A_bp.fits", Module::A),
        ("80415201001/nu80415201001B_hp.fits", Module::B),
        ("badpix/nuAuserbadpix_solar.fits", Module::A),
        ("badpix/nuBuserbadpix_solar.fits", Module::B),
    ] {
        let b = read_badpix(&real.join(f), m).unwrap().unwrap();
        eprintln!("badpix {f}: {} rows, {} bad", b.rows, b.pixels.len());
        assert!(b.pixels.len() <= b.rows);
        // the other module's map does not take this file
        let other = if m == Module::A { Module::B } else { Module::A };
        assert!(read_badpix(&real.join(f), other).unwrap().is_none());
    }
}

use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::nustar::badpix::{write_badpix_extensions, BadPixelRow, BadpixLayout};
use nuskybgd::nustar::caldb::Caldb;
use nuskybgd::nustar::caldb_index::{self, IndexEntry};
use nuskybgd::tasks::mkinstrmap::{mkinstrmap, InstrmapRequest, InstrmapSummary};
use std::path::{Path, PathBuf};

/// (cnam, detnam, dir, file, xno, vsd, qual)
type IndexRow<'a> = (&'a str, &'a str, &'a str, &'a str, i64, &'a str, i64);

fn write_index(root: &Path, instrume: &str, rows: &[IndexRow]) {
    let p = root.join("data/nustar/fpm/caldb.indx");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    let entries: Vec<IndexEntry> = rows
        .iter()
        .map(|r| {
            let mut e = IndexEntry::new(instrume, r.0, r.1, r.2, r.3)
                .ext(r.4)
                .from_date(r.5);
            e.qual = r.6;
            e
        })
        .collect();
    caldb_index::write_index(
        &Output::new(p.to_str().unwrap(), true),
        &entries,
        |_| Ok(()),
    )
    .unwrap();
}

/// BADPIX file in the event-file layout: rows (det, rawx, rawy, t0, t1, flag value).
fn write_badpix(path: &Path, span: Option<(f64, f64)>, rows: &[(u8, i64, i64, f64, f64, u16)]) {
    let rows: Vec<BadPixelRow> = rows
        .iter()
        .map(|r| BadPixelRow {
            det: r.0,
            rawx: r.1,
            rawy: r.2,
            time: r.3,
            time_stop: r.4,
            flag: r.5,
        })
        .collect();
    let layout = BadpixLayout {
        time_stop: true,
        span,
        module: None,
    };
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMA", "")?;
            write_badpix_extensions(f, &rows, &layout, |_| Ok(()))
        })
        .unwrap();
}

/// Writes the stand-in INSTRMAP: active everywhere but a 2-pixel border, CALDB layout.
fn write_standin_instrmap(bcf: &Path) {
    let mut map = Image::zeros(360, 360);
    for y in 2..358 {
        for x in 2..358 {
            *map.at_mut(x, y) = 1.0;
        }
    }
    Output::new(
        bcf.join("instrmap/nuAinstrmap20100101v900.fits")
            .to_str()
            .unwrap(),
        false,
    )
    .write_fits(|f| {
        f.write_image(&Image::zeros(0, 0), 8)?;
        f.write_image(&map, -32)?;
        f.set_key_str("EXTNAME", "INSTRMAP", "")?;
        f.set_key_str("CCNM0001", "INSTRMAP", "")
    })
    .unwrap();
}

/// The stand-in index rows: 4 PIXPOS, good, bad-quality and future INSTRMAPs, one BADPIX.
fn standin_index_rows() -> Vec<IndexRow<'static>> {
    let mut rows: Vec<IndexRow<'static>> = (0..4)
        .map(|_| {
            (
                "PIXPOS",
                "DET0",
                "data/nustar/fpm/bcf/pixpos",
                "nuApixpos20100101v007.fits.gz",
                1,
                "2010-01-01",
                0,
            )
        })
        .collect();
    rows.push((
        "INSTRMAP",
        "-",
        "data/nustar/fpm/bcf/instrmap",
        "nuAinstrmap20100101v900.fits",
        1,
        "2010-01-01",
        0,
    ));
    rows.push((
        "INSTRMAP",
        "-",
        "data/nustar/fpm/bcf/instrmap",
        "bad_quality.fits",
        1,
        "2012-01-01",
        5,
    ));
    rows.push((
        "INSTRMAP",
        "-",
        "data/nustar/fpm/bcf/instrmap",
        "future.fits",
        1,
        "2030-01-01",
        0,
    ));
    rows.push((
        "BADPIX",
        "DET0",
        "data/nustar/fpm/bcf/badpix",
        "nuAbadpix20100101v900.fits",
        1,
        "2010-01-01",
        0,
    ));
    rows
}

/// A stand-in CALDB: the real PIXPOS file, plus an INSTRMAP we write (no real one exists
/// here: active everywhere but a 2-pixel border, in CALDB layout with an INSTRMAP image
/// extension) and a CALDB-layout BADPIX list we write. The index also holds a bad-quality
/// INSTRMAP and a future one, which the lookup must pass over.
fn standin_caldb(root: &Path, shared: &Path) {
    let bcf = root.join("data/nustar/fpm/bcf");
    for d in ["pixpos", "instrmap", "badpix"] {
        std::fs::create_dir_all(bcf.join(d)).unwrap();
    }
    std::fs::copy(
        shared.join("caldb/nuApixpos20100101v007.fits.gz"),
        bcf.join("pixpos/nuApixpos20100101v007.fits.gz"),
    )
    .unwrap();
    write_standin_instrmap(&bcf);
    write_badpix(
        &bcf.join("badpix/nuAbadpix20100101v900.fits"),
        None,
        &[(1, 20, 21, 0.0, 0.0, 1)],
    );
    write_index(root, "FPMA", &standin_index_rows());
}

fn owned(pm: &PixelMap, det: i32, rawx: i32, rawy: i32) -> Vec<usize> {
    (0..360 * 360)
        .filter(|&k| pm.detnum[k] == det && pm.pixmap[k] == rawx + 32 * rawy)
        .collect()
}

/// Lookup passes over bad-quality and future entries and refuses a module it lacks.
fn check_lookup(caldb: &Caldb) {
    let f = caldb
        .lookup("INSTRMAP", "FPMA", None, "2018-09-28T18:48:57")
        .unwrap();
    assert!(f.path.ends_with("nuAinstrmap20100101v900.fits"));
    let e = caldb
        .lookup("INSTRMAP", "FPMB", None, "2018-09-28T18:48:57")
        .unwrap_err();
    assert!(e.to_string().contains("no INSTRMAP entry for FPMB"), "{e}");
    assert_variant!(e, Error::Nustar(NustarError::NoCaldbEntry { .. }));
}

/// Labels are detector + 1, and exactly the flagged pixels' DET1 sub-pixels are removed.
fn check_masks(
    root: &Path,
    dir: &Path,
    usr: &Path,
    (plain, s0): (&Image, &InstrmapSummary),
    (masked, s1): (&Image, &InstrmapSummary),
) {
    let pm = PixelMap::from_pixpos(
        &root.join("data/nustar/fpm/bcf/pixpos/nuApixpos20100101v007.fits.gz"),
    )
    .unwrap();
    // labels: detector number + 1 wherever active
    for k in 0..360 * 360 {
        let v = plain.data[k];
        assert!(v == 0.0 || v == (pm.detnum[k] + 1) as f64, "pixel {k}: {v}");
    }
    assert!(s0.active.iter().all(|n| *n > 20000), "{:?}", s0.active);
    // the CALDB list's pixel (DET1 raw 20,21) is gone in both
    for k in owned(&pm, 1, 20, 21) {
        assert_eq!(plain.data[k], 0.0);
    }
    let bad1 = owned(&pm, 2, 10, 10);
    let bad2 = owned(&pm, 3, 3, 4);
    let kept = owned(&pm, 2, 11, 11);
    assert!(!bad1.is_empty() && !bad2.is_empty() && !kept.is_empty());
    for &k in bad1.iter().chain(&bad2) {
        assert!(plain.data[k] > 0.0);
        assert_eq!(masked.data[k], 0.0);
    }
    for &k in &kept {
        assert_eq!(masked.data[k], 3.0);
    }
    let changed = (0..360 * 360)
        .filter(|&k| plain.data[k] != masked.data[k])
        .count();
    assert_eq!(
        changed,
        bad1.len() + bad2.len(),
        "exactly the flagged pixels' DET1 sub-pixels change"
    );
    assert_eq!(s1.sources.iter().find(|s| s.0 == usr).unwrap().3, changed);
    let mut h = Fits::open(dir.join("masked.fits")).unwrap();
    assert_eq!(h.key_str("EXTNAME").unwrap(), "INSTRMAP");
}

/// An existing output is kept; without a CALDB there is a clear error and nothing written.
fn check_refusals(evt: PathBuf, dir: &Path, caldb: &Caldb) {
    let req = InstrmapRequest {
        evt: evt.clone(),
        usrbpix: vec![],
        out: Output::new(dir.join("plain.fits").to_str().unwrap(), false),
        caldb: Some(caldb.clone()),
        auxil: None,
        dryrun: false,
    };
    let e = mkinstrmap(&req).unwrap_err();
    assert!(e.to_string().contains("exists"));
    assert_variant!(e, Error::Io(IoError::OutputExists { .. }));
    let req = InstrmapRequest {
        evt,
        usrbpix: vec![],
        out: Output::new(dir.join("x.fits").to_str().unwrap(), false),
        caldb: None,
        auxil: None,
        dryrun: false,
    };
    let e = mkinstrmap(&req).unwrap_err();
    assert!(e.to_string().contains("CALDB"));
    assert_variant!(e, Error::Task(TaskError::NoCaldb));
    assert!(!dir.join("x.fits").exists());
}

#[test]
fn mkinstrmap_on_a_standin_caldb_removes_exactly_the_bad_pixels() {
    let (Some(shared), Some(evt)) = (
        support::root(),
        support::shared(
            "mkinstrmap_standin",
            "data/real/90410111001/nu90410111001A06_cl_sunpos.evt.gz",
        ),
    ) else {
        return;
    };
    let dir = support::scratch("instrmap_task");
    let root = dir.join("caldb");
    standin_caldb(&root, &shared);
    let caldb = Caldb { root: root.clone() };
    // lookup passes over bad-quality and future entries
    check_lookup(&caldb);

    // user list with an observation span: (det 2, 10, 10) short but disabled on board (bit
    // 14 = value 2) -> bad; (det 2, 11, 11) short, unflagged -> kept; (det 3, 3, 4) bad for
    // 90% of the span -> bad
    let usr = dir.join("usr_bp.fits");
    write_badpix(
        &usr,
        Some((0.0, 1000.0)),
        &[
            (2, 10, 10, 0.0, 10.0, 2),
            (2, 11, 11, 0.0, 10.0, 0),
            (3, 3, 4, 0.0, 900.0, 0),
        ],
    );
    let run = |name: &str, usr: Vec<PathBuf>| {
        let out = dir.join(name);
        let req = InstrmapRequest {
            evt: evt.clone(),
            usrbpix: usr,
            out: Output::new(out.to_str().unwrap(), false),
            caldb: Some(caldb.clone()),
            auxil: None,
            dryrun: false,
        };
        let s = mkinstrmap(&req).unwrap();
        (Fits::open(&out).unwrap().read_image().unwrap(), s)
    };
    let (plain, s0) = run("plain.fits", vec![]);
    let (masked, s1) = run("masked.fits", vec![usr.clone()]);
    assert!(s0.pixmap_source.contains("pixpos"));
    check_masks(&root, &dir, &usr, (&plain, &s0), (&masked, &s1));

    // an existing output is kept; without a CALDB there is a clear error
    check_refusals(evt, &dir, &caldb);
}

#[test]
fn mkinstrmap_command_with_prefix_and_user_files() {
    let (Some(shared), Some(evt)) = (
        support::root(),
        support::shared(
            "mkinstrmap_cli",
            "data/real/90410111001/nu90410111001A06_cl_sunpos.evt.gz",
        ),
    ) else {
        return;
    };
    let dir = support::scratch("instrmap_cli");
    let root = dir.join("caldb");
    standin_caldb(&root, &shared);
    let usr = shared.join("data/real/badpix/nuAuserbadpix_solar.fits");
    let run = |extra: &[&str], caldb: Option<&Path>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd"));
        c.arg("mkinstrmap")
            .arg(&evt)
            .args(extra)
            .env_remove("CALDB");
        if let Some(r) = caldb {
            c.env("CALDB", r);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let prefix = format!("prefix={}/", dir.display());
    let (code, out, err) = run(
        &[&prefix, &format!("usrbpix={}", usr.display())],
        Some(&root),
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("nuAuserbadpix_solar.fits: 12 rows, 12 bad pixels"),
        "{out}"
    );
    assert!(dir.join("newinstrmapA.fits").exists());
    let (code, _, err) = run(&[&prefix], Some(&root));
    assert_ne!(code, 0);
    assert!(err.contains("exists"), "{err}");
    let (code, _, err) = run(&[&format!("prefix={}/x", dir.display())], None);
    assert_ne!(code, 0);
    assert!(err.contains("CALDB"), "{err}");
    assert!(!dir.join("xnewinstrmapA.fits").exists());
}
