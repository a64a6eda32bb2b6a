//! Whole jobs made of tasks: the demo (simulate, then every task), the recovery tables
//! that compare a fit with the simulation's truth, `init`/`run` of one observation and
//! `batch` of many. The top layer below the command line.
pub mod batch;
pub mod demo;
pub mod recovery;
pub mod run;
