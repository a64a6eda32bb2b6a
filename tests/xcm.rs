//! Every real save file parses; writing it back and reading again gives the same
//! structure; XSPEC-written files come back byte for byte.

use nuskybgd::spectral::xcm::file::XcmFile;
use nuskybgd::testing;

#[test]
fn reference_save_files_round_trip() {
    let Some(dir) = testing::shared("xcm_round_trip", "reference/xcm") else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xcm"))
        .collect();
    if let Some(fits) = testing::root().map(|r| r.join("reference/fits")) {
        files.extend(
            std::fs::read_dir(fits)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "xcm")),
        );
    }
    files.sort();
    let mut exact = 0;
    for p in &files {
        let text = std::fs::read_to_string(p).unwrap();
        let f = XcmFile::read(p).unwrap_or_else(|e| panic!("{e}"));
        let out = f.to_text();
        let again = XcmFile::parse(p, &out).unwrap();
        assert_eq!(
            again.items,
            f.items,
            "{}: structure changes on rewrite",
            p.display()
        );
        assert_eq!(
            again.to_text(),
            out,
            "{}: writer not idempotent",
            p.display()
        );
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if out == text {
            exact += 1;
            eprintln!("xcm {name}: byte-identical");
        } else {
            let first = text.lines().zip(out.lines()).position(|(a, b)| a != b);
            eprintln!(
                "xcm {name}: rewritten differs first at line {:?}: {:?} -> {:?}",
                first.map(|l| l + 1),
                first.map(|l| text.lines().nth(l)),
                first.map(|l| out.lines().nth(l))
            );
        }
        // files XSPEC wrote in its current layout must come back unchanged
        let xspec_written = [
            "01_", "02_", "04_", "05_", "07_", "12_", "13_", "17_", "19_", "21_", "case",
        ];
        if xspec_written.iter().any(|s| name.starts_with(s)) {
            assert_eq!(
                out, text,
                "{name} is XSPEC output and must round-trip byte for byte"
            );
        }
    }
    assert!(
        files.len() >= 20 && exact >= 10,
        "{exact} of {}",
        files.len()
    );
}
