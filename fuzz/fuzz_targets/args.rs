//! Command-line words (split on NUL bytes) through the key=value argument parser.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let words: Vec<String> = data
        .split(|&b| b == 0)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    if let Ok(a) = nuskybgd::cli::args::Args::parse(&words) {
        let _ = a.pos(0, "FIRST");
        let _ = a.flag("clobber", false);
        let _ = a.finish(1);
    }
});
