//! bgdinfo.json text through its parser (no file system).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let p = std::path::Path::new("bgdinfo.json");
        if let Ok(info) = nuskybgd::bgmodel::bgdinfo::BgdInfo::parse(p, text) {
            let _ = nuskybgd::bgmodel::bgdinfo::BgdInfo::parse(p, &info.to_json()).unwrap();
        }
    }
});
