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

#[test]
fn image_larger_than_its_file_is_refused() {
    // NAXIS1 = NAXIS2 = 100000 in a 5.7 kB image once asked for 80 GB
    let dir = support::scratch("robust_image");
    let p = dir.join("im.fits");
    Output::new(p.to_str().unwrap(), false)
        .write_fits(|f| f.write_image(&Image::zeros(10, 10), 32))
        .unwrap();
    patch_card(&p, "NAXIS1", "100000");
    patch_card(&p, "NAXIS2", "100000");
    let e = Fits::open(&p).unwrap().read_image().unwrap_err();
    assert_variant!(e, Error::Io(IoError::BeyondFile { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "{}: HDU 1: an image of 100000 x 100000 pixels of BITPIX 32 is more than the file's 5760 bytes hold",
            p.display()
        )
    );
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
