//! `ignore`/`notice` ranges (`1:**-3. 2-4:150.-**`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = nuskybgd::spectral::grouping::parse_selection(text);
    }
});
