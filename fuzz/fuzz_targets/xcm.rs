//! XSPEC save files: parsed, then built into a session without reading data.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuskybgd::spectral::session::Session;
use nuskybgd::spectral::xcm::file::XcmFile;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let p = Path::new("fuzz.xcm");
    if let Ok(x) = XcmFile::parse(p, text) {
        let _ = Session::from_xcm(&x, p, Path::new("."), false);
    }
});
