//! The evaluation stage: every policy on the test days through one exact simulation, the
//! baselines, the learned hierarchy through hdrl-infer, forecasting metrics, and the suite
//! `hdrl run` reports.

pub mod baselines;
pub mod forecast;
pub mod hierarchy;
pub mod metrics;
pub mod objectives;
pub mod simulate;
pub mod stats;
pub mod suite;
