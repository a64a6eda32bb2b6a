//! XSPEC save files (`.xcm`): read (XSPEC's `save all`/`save model` layout and the
//! hand-written forms found in the wild) and write back in XSPEC's layout.
pub mod file;
pub mod format;
pub mod link;
