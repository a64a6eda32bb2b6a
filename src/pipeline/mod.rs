//! Whole jobs made of tasks: the demo (simulate, then every task) and the recovery tables
//! that compare a fit with the simulation's truth. The top layer below the command line.
pub mod demo;
pub mod recovery;
pub mod run;
