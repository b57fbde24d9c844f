//! The simulation stage: the multi-cloud serverless simulator, the per-hour and per-day tables
//! the learners train on, and the environments of the three layers.

pub mod bounds;
pub mod env;
pub mod estimates;
pub mod placement;
pub mod pool;
pub mod scenario;
pub mod simulator;
pub mod tables;

pub use placement::Placement;
pub use pool::{KEEP_ALIVE_S, KeepAliveWindow, Pool, Windows, cold_quantile};
pub use scenario::{Scenario, ScenarioConfig};
pub use simulator::{Outcome, Sim, Totals};
pub use tables::Tables;
