//! Bad input found by fuzzing, each written small by its test: a header that asks for more
//! than its file holds, columns that disagree, numbers that overflow. Each gives one error
//! line naming the file, never a panic, an abort or a huge allocation.

use crate::support::{self, assert_variant};
use nuskybgd::error::IoError;
use nuskybgd::io::fits::Fits;
use nuskybgd::io::image::Image;
use nuskybgd::io::output::Output;
use nuskybgd::Error;
use std::path::Path;

/// Rewrite the value of header card `key` (its last occurrence: in the last HDU) in the
/// file's bytes, as a fuzzer would: `KEY     = value` right-justified to column 30.
fn patch_card(path: &Path, key: &str, value: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    let head = format!("{key:<8}= ");
    let at = (0..bytes.len() / 80)
        .map(|i| i * 80)
        .rfind(|&i| bytes[i..i + 80].starts_with(head.as_bytes()))
        .unwrap_or_else(|| panic!("no card {key}"));
    let card = format!("{head}{value:>20}");
    let card = format!("{card:<80}");
    bytes[at..at + 80].copy_from_slice(card.as_bytes());
    std::fs::write(path, bytes).unwrap();
}

/// Run the nuskybgd command with `args` in 3 GB of address space (so an allocation of a
/// size a header asked for aborts rather than passing lazily): exit code and stderr.
fn nuskybgd_limited(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = support::outcome(
        std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 3000000; exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_nuskybgd"))
            .args(args),
    );
    (code, stderr)
}

#[test]
fn image_larger_than_its_file_is_refused() {
    // NAXIS1 = NAXIS2 = 100000 in a 5.7 kB image once asked for 80 GB
    let dir = support::scratch("robust_image");
    let p = dir.join("im.fits");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(10, 10), 32)?;
            for (ax, ctype) in [(1, "RA---TAN"), (2, "DEC--TAN")] {
                f.set_key_str(&format!("CTYPE{ax}"), ctype, "")?;
                f.set_key_f64(&format!("CRPIX{ax}"), 5.0, "")?;
                f.set_key_f64(&format!("CRVAL{ax}"), 10.0, "")?;
                f.set_key_f64(&format!("CDELT{ax}"), 6.8e-4, "")?;
            }
            Ok(())
        })
        .unwrap();
    patch_card(&p, "NAXIS1", "100000");
    patch_card(&p, "NAXIS2", "100000");
    let e = Fits::open(&p).unwrap().read_image().unwrap_err();
    assert_variant!(e, Error::Io(IoError::BeyondFile { .. }));
    let size = std::fs::metadata(&p).unwrap().len();
    let line = format!(
        "{}: HDU 1: an image of 100000 x 100000 pixels of BITPIX 32 is more than the file's {size} bytes hold",
        p.display()
    );
    assert_eq!(e.to_string(), line);
    let reg = dir.join("a.reg");
    std::fs::write(&reg, "image\ncircle(5,5,2)\n").unwrap();
    let out = dir.join("mask.fits");
    let (code, stderr) = nuskybgd_limited(&[
        "regmask",
        p.to_str().unwrap(),
        reg.to_str().unwrap(),
        &format!("out={}", out.display()),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.trim_end().ends_with(&line), "{stderr}");
}

#[test]
fn table_larger_than_its_file_is_refused() {
    let dir = support::scratch("robust_table");
    let p = dir.join("t.fits");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("EVENTS", &[("X", "1J", ""), ("S", "8A", "")], 3)?;
            f.write_col_i64(1, &[1, 2, 3])
        })
        .unwrap();
    patch_card(&p, "NAXIS2", "1000000000");
    let mut f = Fits::open(&p).unwrap();
    f.goto_named("EVENTS").unwrap();
    let e = f.read_col_i64("X").unwrap_err();
    assert_variant!(e, Error::Io(IoError::BeyondFile { .. }));
    assert!(
        e.to_string()
            .ends_with("EVENTS: a table of 1000000000 rows of 12 bytes is more than the file's 8640 bytes hold"),
        "{e}"
    );
    assert!(f.read_col_str("S").is_err());
}

#[test]
fn gzip_trailer_size_is_not_believed() {
    // a 43-byte file whose trailer (ISIZE) says 4 GiB once had 4 GiB preallocated
    use std::io::Write;
    let dir = support::scratch("robust_gzip");
    let p = dir.join("x.fits.gz");
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(b"SIMPLE  =                    T").unwrap();
    let mut bytes = z.finish().unwrap();
    let n = bytes.len();
    bytes[n - 4..].copy_from_slice(&[0xff; 4]);
    std::fs::write(&p, &bytes).unwrap();
    let e = Fits::open(&p).err().expect("refused");
    let msg = e.to_string();
    assert!(msg.starts_with(&format!("{}: ", p.display())), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    // in 3 GB the 4 GiB preallocation aborted
    let im = dir.join("im");
    let (code, stderr) = nuskybgd_limited(&[
        "mkimgs",
        p.to_str().unwrap(),
        im.to_str().unwrap(),
        "3",
        "20",
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(&msg), "{stderr}");
    // corrupt deflate data: a clean error too
    bytes[12] ^= 0xff;
    bytes[13] ^= 0x55;
    std::fs::write(&p, &bytes).unwrap();
    let e = Fits::open(&p).err().expect("refused");
    assert!(
        e.to_string().starts_with(&format!("{}: ", p.display())),
        "{e}"
    );
}

#[test]
fn simulate_refuses_an_event_count_past_its_limit() {
    // exposure=1e12 once aborted on allocation, leaving ~30 files behind
    let dir = support::scratch("robust_sim");
    let out = dir.join("sim");
    for arg in ["exposure=1e12", "apscale=1e9"] {
        let (code, stdout, stderr) = support::nuskybgd(&["simulate", out.to_str().unwrap(), arg]);
        assert_ne!(code, 0, "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("at most 1e7 s of exposure times the largest scale"),
            "{stderr}"
        );
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
    }
}

/// A two-event EVENTS file of FPMA: PI with TFORM `pi_form` (its cells filled with 100),
/// X, Y (TLMIN/TLMAX as given), DET1X, DET1Y, RAWX, RAWY.
fn write_events(path: &Path, pi_form: &str, tlmin: i64, tlmax: i64) {
    let per_row: usize = pi_form.trim_end_matches('J').parse().unwrap();
    let cols = ["X", "Y", "DET1X", "DET1Y", "RAWX", "RAWY"];
    let mut spec = vec![("PI", pi_form, "")];
    spec.extend(cols.iter().map(|c| (*c, "1J", "")));
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("EVENTS", &spec, 2)?;
            f.set_key_str("TELESCOP", "NuSTAR", "")?;
            f.set_key_str("INSTRUME", "FPMA", "")?;
            for (i, c) in [2, 3].into_iter().enumerate() {
                f.set_key_str(&format!("TCTYP{c}"), ["RA---TAN", "DEC--TAN"][i], "")?;
                f.set_key_f64(&format!("TCRPX{c}"), 500.5, "")?;
                f.set_key_f64(&format!("TCRVL{c}"), 10.0, "")?;
                f.set_key_f64(&format!("TCDLT{c}"), 6.8e-4, "")?;
                f.set_key_i64(&format!("TLMIN{c}"), tlmin, "")?;
                f.set_key_i64(&format!("TLMAX{c}"), tlmax, "")?;
            }
            f.write_col_i64(1, &vec![100; 2 * per_row])?;
            for c in 2..=7 {
                f.write_col_i64(c, &[5, 6])?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn event_columns_of_different_lengths_are_refused() {
    // PI 2J beside X J once indexed X out of bounds in mkimgs
    let dir = support::scratch("robust_events");
    let evt = dir.join("ev.evt");
    write_events(&evt, "2J", 1, 1000);
    let out = dir.join("im");
    let e = support::mkimgs(&evt, out.to_str().unwrap(), 3.0, 20.0, false).unwrap_err();
    assert_variant!(e, Error::Io(IoError::ColumnShape { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: EVENTS: column PI has 2 values per row, expected 1",
            evt.display()
        )
    );
}

#[test]
fn extreme_tlmin_tlmax_are_refused_not_overflowed() {
    let dir = support::scratch("robust_tlmin");
    let evt = dir.join("ev.evt");
    write_events(&evt, "1J", i64::MIN, i64::MAX);
    let out = dir.join("im");
    let e = support::mkimgs(&evt, out.to_str().unwrap(), 3.0, 20.0, false).unwrap_err();
    assert_variant!(e, Error::Task(nuskybgd::error::TaskError::SkyGrid { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: X/Y columns declare a 18446744073709551616x18446744073709551616 sky grid (TLMIN/TLMAX)",
            evt.display()
        )
    );
    // a small grid far from 0: events outside it are dropped, nothing overflows
    let evt = dir.join("ev2.evt");
    write_events(&evt, "1J", i64::MIN, i64::MIN + 9);
    let s = support::mkimgs(&evt, out.to_str().unwrap(), 1.6, 165.44, false).unwrap();
    assert_eq!((s.sky_counts, s.sky_dropped), (0, 2));
}

#[test]
fn gti_start_and_stop_of_different_shapes_are_refused() {
    // START 2D beside STOP D once indexed STOP out of bounds
    let dir = support::scratch("robust_gti");
    let p = dir.join("g.fits");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table("GTI", &[("START", "2D", "s"), ("STOP", "1D", "s")], 2)?;
            f.write_col_f64(1, &[0.0, 1.0, 2.0, 3.0])?;
            f.write_col_f64(2, &[10.0, 20.0])
        })
        .unwrap();
    let e = nuskybgd::nustar::gti::Gti::read(&p).unwrap_err();
    assert_variant!(e, Error::Io(IoError::ColumnShape { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: GTI: column START has 2 values per row, expected 1",
            p.display()
        )
    );
}

#[test]
fn spectrum_counts_beside_channel_of_other_shape_is_refused() {
    // COUNTS with repeat 2 beside CHANNEL once indexed out of bounds
    let dir = support::scratch("robust_pha");
    let p = dir.join("s.pha");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "SPECTRUM",
                &[("CHANNEL", "1J", ""), ("COUNTS", "2J", "")],
                3,
            )?;
            f.set_key_str("HDUCLAS1", "SPECTRUM", "")?;
            f.set_key_f64("EXPOSURE", 100.0, "")?;
            f.write_col_i64(1, &[0, 1, 2])?;
            f.write_col_i64(2, &[1, 2, 3, 4, 5, 6])
        })
        .unwrap();
    let e = nuskybgd::spectral::ogip::pha::Spectrum::read(p.to_str().unwrap()).unwrap_err();
    assert_variant!(e, Error::Io(IoError::ColumnShape { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: SPECTRUM: column COUNTS has 2 values per row, expected 1",
            p.display()
        )
    );
}

#[test]
fn rmf_channel_count_past_any_size_is_refused() {
    // N_CHAN = 1e30 (after a first group) once wrapped the sum of the group lengths
    let dir = support::scratch("robust_rmf");
    let p = dir.join("r.rmf");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(0, 0), 8)?;
            f.create_table(
                "MATRIX",
                &[
                    ("ENERG_LO", "1E", "keV"),
                    ("ENERG_HI", "1E", "keV"),
                    ("N_GRP", "1J", ""),
                    ("F_CHAN", "2J", ""),
                    ("N_CHAN", "2E", ""),
                    ("MATRIX", "2E", ""),
                ],
                1,
            )?;
            f.set_key_i64("DETCHANS", 2, "")?;
            f.set_key_i64("TLMIN4", 0, "")?;
            f.write_col_f64(1, &[1.0])?;
            f.write_col_f64(2, &[2.0])?;
            f.write_col_i64(3, &[2])?;
            f.write_col_f64(4, &[0.0, 1.0])?;
            f.write_col_f64(5, &[1.0, 1e30])?;
            f.write_col_f64(6, &[0.5, 0.5])
        })
        .unwrap();
    let e = nuskybgd::spectral::ogip::rmf::Rmf::read(&p).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: energy row 1: channel group 2 does not fit the MATRIX row",
            p.display()
        )
    );
    // DETCHANS sizes every folded spectrum: bounded too
    let mut f = Fits::open_rw(&p).unwrap();
    f.goto_named("MATRIX").unwrap();
    f.set_key_i64("DETCHANS", 1_000_000_000_000_000, "")
        .unwrap();
    f.close().unwrap();
    let e = nuskybgd::spectral::ogip::rmf::Rmf::read(&p).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: DETCHANS = 1000000000000000: must be 0 to 1048576",
            p.display()
        )
    );
}

/// Replace the header card starting with `key` (its first occurrence) by `card` (padded to
/// 80 bytes); the 1-based number of that card within its header.
fn replace_card(path: &Path, key: &str, card: &str) -> usize {
    let mut bytes = std::fs::read(path).unwrap();
    let at = (0..bytes.len() / 80)
        .map(|i| i * 80)
        .find(|&i| bytes[i..i + 80].starts_with(key.as_bytes()))
        .unwrap_or_else(|| panic!("no card {key}"));
    let card = format!("{card:<80}");
    bytes[at..at + 80].copy_from_slice(&card.as_bytes()[..80]);
    std::fs::write(path, bytes).unwrap();
    (at % 2880) / 80 + 1
}

/// A small image file with an OBJECT card in the primary header and a GTI table after it.
fn write_two_hdus(path: &Path) {
    Output::new(path.to_str().unwrap(), false)
        .write_fits(|f| {
            f.write_image(&Image::zeros(4, 4), 32)?;
            f.set_key_str("OBJECT", "field", "")?;
            f.create_table("GTI", &[("START", "1D", "s"), ("STOP", "1D", "s")], 1)?;
            f.set_key_str("ORIGIN", "test", "")?;
            f.write_col_f64(1, &[0.0])?;
            f.write_col_f64(2, &[10.0])
        })
        .unwrap();
}

#[test]
fn header_card_with_equals_in_the_keyword_field_is_refused_before_cfitsio() {
    // cfitsio 3.49's ffpsvc writes past its 71-byte value buffer on such a card
    let dir = support::scratch("robust_card");
    let long = format!("A={}", "9".repeat(78));
    for (key, hdu) in [("OBJECT", 1), ("ORIGIN", 2)] {
        let p = dir.join(format!("bad{hdu}.fits"));
        write_two_hdus(&p);
        let n = replace_card(&p, key, &long);
        let e = Fits::open(&p).err().expect("refused");
        assert_variant!(e, Error::Io(IoError::BadHeaderCard { .. }));
        let line = format!(
            "{}: HDU {hdu}, header card {n}: '=' in the keyword field (columns 1-8); not a valid FITS header",
            p.display()
        );
        assert_eq!(e.to_string(), line);
        // through a task, one line on stderr
        let (code, _, stderr) = support::nuskybgd(&["mkimgs", p.to_str().unwrap(), "x", "3", "20"]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(&line), "{stderr}");
    }
    // '=' in column 9 without the blank of column 10, and a gzip file read in memory
    use std::io::Write;
    let p = dir.join("bad.fits");
    write_two_hdus(&p);
    let n = replace_card(&p, "ORIGIN", &format!("ORIGIN  ={}", "7".repeat(71)));
    let gz = dir.join("bad.fits.gz");
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&std::fs::read(&p).unwrap()).unwrap();
    std::fs::write(&gz, z.finish().unwrap()).unwrap();
    for f in [&p, &gz] {
        let e = Fits::open(f).err().expect("refused");
        assert_variant!(e, Error::Io(IoError::BadHeaderCard { .. }));
        assert_eq!(
            e.to_string(),
            format!(
                "{}: HDU 2, header card {n}: '=' in column 9 not followed by a blank in column 10; not a valid FITS header",
                f.display()
            )
        );
    }
    assert!(Fits::open_rw(&p).is_err());
    // TFIELDS past the standard's 999: cfitsio would allocate a column structure for each
    let p = dir.join("tfields.fits");
    write_two_hdus(&p);
    let n = replace_card(&p, "TFIELDS", "TFIELDS =    22517998136852480");
    let e = Fits::open(&p).err().expect("refused");
    assert_variant!(e, Error::Io(IoError::BadHeaderCard { hdu: 2, .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: HDU 2, header card {n}: TFIELDS = 22517998136852480: must be an integer 0 to 999; not a valid FITS header",
            p.display()
        )
    );
    // the valid file opens
    let ok = dir.join("ok.fits");
    write_two_hdus(&ok);
    let mut f = Fits::open(&ok).unwrap();
    f.goto_named("GTI").unwrap();
}
