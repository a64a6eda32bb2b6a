//! FITS bytes (the first byte's low bit picks plain or gzip-compressed) through the open,
//! image, PHA, RMF, ARF, GTI, event, aspect-histogram and instrument-map readers.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuskybgd::io::fits::Fits;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let gz = mode & 1 == 1;
    let p = dir.path().join(if gz { "f.fits.gz" } else { "f.fits" });
    let body = if gz {
        stored_gzip(bytes)
    } else {
        bytes.to_vec()
    };
    std::fs::write(&p, body).unwrap();
    if let Ok(mut f) = Fits::open(&p) {
        let n = f.num_hdus().unwrap_or(0).min(8);
        for h in 1..=n {
            if f.goto_hdu(h).is_ok() {
                let _ = f.cards();
                let _ = f.read_image();
            }
        }
    }
    let _ = nuskybgd::spectral::ogip::pha::Spectrum::read(p.to_str().unwrap());
    let _ = nuskybgd::spectral::ogip::rmf::Rmf::read(&p);
    let _ = nuskybgd::spectral::ogip::arf::Arf::read(&p);
    let _ = nuskybgd::nustar::gti::Gti::read(&p);
    let _ = nuskybgd::nustar::events::EventFile::open(&p);
    let _ = nuskybgd::sky::aspecthist::read_aspect(&p);
    let _ = nuskybgd::nustar::instrmap::read_chipmap(&p);
});

/// `bytes` as a gzip member of stored (uncompressed) deflate blocks, so the fuzzer's bytes
/// reach the in-memory FITS path unchanged.
fn stored_gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let chunks: Vec<&[u8]> = if bytes.is_empty() {
        vec![&[]]
    } else {
        bytes.chunks(65535).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let n = chunk.len() as u16;
        out.extend_from_slice(&n.to_le_bytes());
        out.extend_from_slice(&(!n).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out
}

/// The gzip trailer's CRC-32 (IEEE).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}
