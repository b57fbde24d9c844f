//! The `hdrl` commands, one file each (`src/main.rs` parses the command line and calls them),
//! and the run configuration they share.

pub mod config;
pub mod decide;
pub mod eval;
pub mod eval_forecast;
pub mod export;
pub mod prepare;
pub mod run;
pub mod synth;
pub mod train;
