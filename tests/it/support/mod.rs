//! Locating the shared reference data for tests (`NUSKYBGD_TESTDATA`, default `../shared`
//! beside the checkout). Tests that need it call [`shared`]; without the data they are
//! skipped with a line on stderr, unless `NUSKYBGD_REQUIRE_TESTDATA` is set (CI), in which
//! case a missing folder is a failure. Scratch folders for one test, and the fixtures
//! several test modules share.
#![allow(dead_code)]

pub mod bad_inputs;
pub mod bgdspec_case;
pub mod case_real;
pub mod exact_minimum;
pub mod getspec_fixture;
pub mod pha;

use std::io::Write;
use std::path::{Path, PathBuf};

/// Root of the shared test data, if present.
pub fn root() -> Option<PathBuf> {
    let p = match std::env::var_os("NUSKYBGD_TESTDATA") {
        Some(v) => PathBuf::from(v),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    };
    p.is_dir().then_some(p)
}

/// `root()/rel` for a test named `test`; None (and a "SKIPPED" line) when it is missing.
/// Panics when `NUSKYBGD_REQUIRE_TESTDATA` is set and the data are missing.
pub fn shared(test: &str, rel: &str) -> Option<PathBuf> {
    let found = root().map(|r| r.join(rel)).filter(|p| p.exists());
    if found.is_none() {
        if std::env::var_os("NUSKYBGD_REQUIRE_TESTDATA").is_some() {
            panic!("{test}: test data {rel} not found (NUSKYBGD_TESTDATA) but NUSKYBGD_REQUIRE_TESTDATA is set");
        }
        // Written to the real stderr (not the captured test output) so the skip is visible.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: needs {rel} under NUSKYBGD_TESTDATA (default ../shared)"
        );
    }
    found
}

/// A scratch directory for one test, removed (with everything in it) when the guard is
/// dropped, whether the test passes or panics. Reads as a `Path` (`dir.join(..)`, `&dir`).
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh scratch directory for the test `test` (its name starts the folder's name, so a
/// folder left by a killed run says whose it was). Keep the guard alive while it is used.
pub fn scratch(test: &str) -> Scratch {
    let dir = tempfile::Builder::new()
        .prefix(&format!("nuskybgd-test-{test}-"))
        .tempdir()
        .expect("create scratch dir");
    Scratch(dir)
}

/// Exit code (−1 when killed), stdout and stderr of a finished command.
pub fn outcome(cmd: &mut std::process::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run the nuskybgd command with `args`; its exit code, stdout and stderr.
pub fn nuskybgd(args: &[&str]) -> (i32, String, String) {
    outcome(std::process::Command::new(env!("CARGO_BIN_EXE_nuskybgd")).args(args))
}

/// mkimgs on `evt` in `elow`–`ehigh` keV into `<outname>.fits` and `<outname>det.fits`.
pub fn mkimgs(
    evt: &Path,
    outname: &str,
    elow: f64,
    ehigh: f64,
    clobber: bool,
) -> nuskybgd::error::Result<nuskybgd::tasks::mkimgs::MkimgsSummary> {
    nuskybgd::tasks::mkimgs::mkimgs(&nuskybgd::tasks::mkimgs::MkimgsRequest {
        evt: evt.to_path_buf(),
        outname: outname.to_string(),
        elow,
        ehigh,
        clobber,
    })
}

/// The error itself, looking through the `Error::In` wrappers that locate it in a file.
pub fn inner(e: &nuskybgd::Error) -> &nuskybgd::Error {
    match e {
        nuskybgd::Error::In { source, .. } => inner(source),
        other => other,
    }
}

/// Assert that an error (located or not) is the variant `$p`, e.g.
/// `assert_variant!(e, Error::Io(IoError::OutputExists { .. }))`.
macro_rules! assert_variant {
    ($e:expr, $p:pat) => {{
        let e = &$e;
        assert!(
            matches!($crate::support::inner(e), $p),
            "expected {}, got {e:?}",
            stringify!($p)
        );
    }};
}
pub(crate) use assert_variant;
