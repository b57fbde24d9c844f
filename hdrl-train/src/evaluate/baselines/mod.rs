//! Every baseline the learned layers are compared with, in one place: placement baselines
//! (strategic and tactical), keep-alive and pre-warm baselines (operational), and forecasting
//! baselines.

pub mod forecast;
pub mod keep_alive;
pub mod placement;
