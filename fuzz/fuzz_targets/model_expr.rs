//! Model expressions (`constant*(powerlaw + gaussian)`), and their parameter lists.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(e) = nuskybgd::spectral::expr::Expression::parse(text) {
            let _ = e.params();
        }
    }
});
