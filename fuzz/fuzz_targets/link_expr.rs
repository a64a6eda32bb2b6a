//! Parameter link expressions (`= p1 * 2 + 3:p4`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nuskybgd::spectral::xcm::link::Expr::parse(text);
    }
});
