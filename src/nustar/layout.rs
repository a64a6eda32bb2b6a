//! Where an observation's files are on disk in the archive layout
//! (`<dir>/<obsid>/event_cl/nu<obsid><M>01_cl.evt[.gz]`), as the originals' scripts look
//! for them.

use crate::nustar::module::Module;
use crate::nustar::naming;
use std::path::{Path, PathBuf};

/// The folders that may hold the cleaned event files of `obsid` under `dir`, in the order
/// they are searched: `dir/<obsid>/event_cl` (the originals' top level), `dir/event_cl`
/// (the observation folder), `dir` itself (the `event_cl` folder).
pub fn event_dirs(dir: &Path, obsid: &str) -> [PathBuf; 3] {
    [
        dir.join(obsid).join("event_cl"),
        dir.join("event_cl"),
        dir.to_path_buf(),
    ]
}

/// The cleaned event file of module `m`, `nu<obsid><M>01_cl.evt` or its `.gz`, in the
/// first of [`event_dirs`] that has one.
pub fn find_events(dir: &Path, obsid: &str, m: Module) -> Option<PathBuf> {
    let name = naming::events_file(obsid, m);
    event_dirs(dir, obsid).into_iter().find_map(|d| {
        [d.join(&name), d.join(format!("{name}.gz"))]
            .into_iter()
            .find(|p| p.is_file())
    })
}
