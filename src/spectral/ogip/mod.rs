//! OGIP file kinds of the spectral engine, each reader beside its writer: spectra (PHA
//! type I and II, OGIP/92-007), redistribution matrices (OGIP CAL/GEN/92-002: MATRIX or
//! SPECRESP MATRIX with EBOUNDS) and ancillary responses (SPECRESP), in the layout HEASoft's
//! tools write and XSPEC, Sherpa and astropy read.

pub mod arf;
pub mod pha;
pub mod rmf;
pub mod store;

use crate::error::Result;
use crate::io::fits::Fits;

/// TELESCOP and INSTRUME (FPMA or FPMB) of every HDU the writers make.
pub(crate) fn common_keys(f: &mut Fits, instrume: &str) -> Result<()> {
    f.set_key_str("TELESCOP", "NuSTAR", "mission")?;
    f.set_key_str("INSTRUME", instrume, "focal plane module")
}
