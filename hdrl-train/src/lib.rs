//! hdrl-train: the trainer of hdrl's three placement policies, by stage. The `hdrl` binary
//! (`src/main.rs`) is the command line.

pub mod algos; // DQN, PPO, LSTM in burn, their training on a scenario, export to hdrl-infer
pub mod cli;
pub mod data; // trace loading, synthetic trace, reference data, profiles, series, windows
pub mod evaluate; // policy simulation on the test days, baselines, forecasting metrics
pub mod output; // progress bars, stage times, atomic files, provenance: every stage's plumbing
pub mod report; // report.json, report.md, figures
pub mod sim; // simulator, instance pools, tables, environments of the three layers // one file per `hdrl` command, and the run configuration
