//! The data stage: trace loading (both Azure formats, with polars), the synthetic default
//! trace, the embedded reference data, hourly grid carbon, workload profiles and the temporal split, binned
//! series, and the LSTM's training windows.

pub mod carbon;
pub mod load;
pub mod refdata;
pub mod series;
pub mod synth;
pub mod trace;
pub mod windows;
pub mod workload;
