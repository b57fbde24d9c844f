//! hdrl-train: trace loading, the synthetic default trace, the multi-cloud simulator, the
//! DQN/PPO/LSTM learners (burn 0.21), evaluation against baselines, reports and export to
//! hdrl-infer weight files. The `hdrl` binary (`src/main.rs`) is the command line.

pub mod algos;
pub mod baselines;
pub mod env;
pub mod eval;
pub mod export;
pub mod forecast;
pub mod job;
pub mod observation;
pub mod pipeline;
pub mod prepare;
pub mod plots;
pub mod refdata;
pub mod report;
pub mod run;
pub mod series;
pub mod sim;
pub mod synth;
pub mod tables;
pub mod trace;
pub mod train_cmd;
pub mod workload;
