//! One observation's files and NuSTAR facts: the modules (`Module::ALL`, `instrume`),
//! events, GTIs, DET1 reference points, bad pixels, CALDB and auxil lookup.
pub mod auxil;
pub mod badpix;
pub mod caldb;
pub mod caldb_index;
pub mod events;
pub mod gti;
pub mod module;
pub mod phafix;
pub mod pixpos;
pub mod refpoint;
