//! hdrl-train: trace loading, the synthetic default trace, the multi-cloud simulator, the
//! DQN/PPO/LSTM learners (burn 0.21), evaluation against baselines, reports and export to
//! hdrl-infer weight files. The `hdrl` binary (`src/main.rs`) is the command line.

pub mod algos;
pub mod env;
pub mod export;
pub mod refdata;
pub mod run;
pub mod series;
pub mod sim;
pub mod synth;
pub mod tables;
pub mod trace;
pub mod workload;
