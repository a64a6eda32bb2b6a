//! What identifies a version of a file without reading it: its size and modification time.

use std::path::Path;
use std::time::UNIX_EPOCH;

/// Size (bytes) and modification time (ns since 1970) of a file; None when absent.
pub fn stamp(p: &Path) -> Option<(u64, u128)> {
    let m = std::fs::metadata(p).ok()?;
    let t = m
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((m.len(), t))
}
