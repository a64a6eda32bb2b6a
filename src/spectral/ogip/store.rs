//! Responses shared across the tasks of one process: an RMF file is read once and handed
//! out again while the file is unchanged (same size and modification time to the
//! nanosecond), so a run's eight spectra, the fit, the detector RMFs and the plots read
//! each CALDB and region RMF once, not once per step. An RMF this process writes is remembered as written.
//! The store keeps at most [`BUDGET_BYTES`] of matrix values, dropping the least recently
//! used first.

use super::rmf::Rmf;
use crate::error::Result;
use crate::io::stamp::stamp;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Most bytes of matrix values the store keeps (a real NuSTAR RMF holds ~28 MB as f32).
pub const BUDGET_BYTES: usize = 512 << 20;

/// What identifies a file's version: size and modification time ([`stamp`]).
type Stamp = (u64, u128);

struct Entry {
    path: PathBuf,
    stamp: Stamp,
    rmf: Arc<Rmf>,
    bytes: usize,
    used: u64,
}

#[derive(Default)]
struct Store {
    entries: Vec<Entry>,
    clock: u64,
}

fn store() -> &'static Mutex<Store> {
    static S: OnceLock<Mutex<Store>> = OnceLock::new();
    S.get_or_init(Mutex::default)
}

fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Store {
    fn get(&mut self, path: &Path, st: Stamp) -> Option<Arc<Rmf>> {
        self.clock += 1;
        let now = self.clock;
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.path == path && e.stamp == st)?;
        e.used = now;
        Some(e.rmf.clone())
    }

    fn put(&mut self, path: PathBuf, st: Stamp, rmf: Arc<Rmf>) {
        self.entries.retain(|e| e.path != path);
        let bytes = rmf.value_bytes();
        if bytes > BUDGET_BYTES {
            return;
        }
        while self.entries.iter().map(|e| e.bytes).sum::<usize>() + bytes > BUDGET_BYTES {
            let oldest = (0..self.entries.len()).min_by_key(|&i| self.entries[i].used);
            match oldest {
                Some(i) => drop(self.entries.swap_remove(i)),
                None => break,
            }
        }
        self.clock += 1;
        self.entries.push(Entry {
            path,
            stamp: st,
            rmf,
            bytes,
            used: self.clock,
        });
    }
}

/// The RMF in `path`, read on first use and shared while the file is unchanged.
pub fn read_rmf(path: &Path) -> Result<Arc<Rmf>> {
    let k = key(path);
    let Some(st) = stamp(&k) else {
        return Ok(Arc::new(Rmf::read(path)?));
    };
    if let Some(r) = store()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&k, st)
    {
        return Ok(r);
    }
    let r = Arc::new(Rmf::read(path)?);
    // stamped again: a file replaced while it was read is not remembered
    if stamp(&k) == Some(st) {
        store()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(k, st, r.clone());
    }
    Ok(r)
}

/// Remember `rmf` as the contents of `path`, which this process has just written from it;
/// `rmf` must be what reading the file gives back.
pub fn remember_written(path: &Path, rmf: Arc<Rmf>) {
    let k = key(path);
    if let Some(st) = stamp(&k) {
        store()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .put(k, st, rmf);
    }
}
