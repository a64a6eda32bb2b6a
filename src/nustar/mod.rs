//! One observation's files and NuSTAR facts: the modules (`Module::ALL`, `instrume`),
//! events, GTIs, DET1 reference points, bad pixels, instrument-map files, CALDB and auxil
//! lookup, and the names of the product files (`naming`).
pub mod auxil;
pub mod badpix;
pub mod caldb;
pub mod caldb_index;
pub mod events;
pub mod gti;
pub mod instrmap;
pub mod layout;
pub mod module;
pub mod naming;
pub mod phafix;
pub mod pixpos;
pub mod refpoint;
