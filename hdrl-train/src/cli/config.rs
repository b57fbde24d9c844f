//! `RunConfig`: every setting of a run (`config.json`), and where a run writes by default.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::algos::dqn::DqnConfig;
use crate::algos::lstm::ForecastConfig;
use crate::algos::ppo::PpoConfig;
use crate::sim::ScenarioConfig;

/// Every setting of a run, written to `config.json` before training starts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    /// Seed of everything (trace synthesis, initialisation, exploration, sampling); training
    /// seed `i` of `seeds` is `seed + i`.
    pub seed: u64,
    /// Training seeds: each trains and evaluates its own learners on the same trace.
    pub seeds: usize,
    /// Carbon intensities and reward bounds of the scenario.
    pub scenario: ScenarioConfig,
    /// Scale of the synthetic trace (1 = the real trace's ≈ 2 M invocations).
    pub scale: f64,
    /// DQN settings.
    pub dqn: DqnConfig,
    /// PPO settings.
    pub ppo: PpoConfig,
    /// LSTM settings (the run's trace).
    pub lstm: ForecastConfig,
    /// LSTM settings (the real Azure 2019 sample).
    pub lstm2019: ForecastConfig,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            seeds: 1,
            scenario: ScenarioConfig::default(),
            scale: 1.0,
            dqn: DqnConfig::default(),
            ppo: PpoConfig::default(),
            lstm: ForecastConfig::default(),
            lstm2019: ForecastConfig { batches_per_epoch: 8, val_windows: 512, ..ForecastConfig::default() },
        }
    }
}

impl RunConfig {
    /// The one-minute smoke settings of `--quick`.
    pub fn quick() -> Self {
        let mut c = Self { scale: 0.05, ..Self::default() };
        c.dqn.steps = 600;
        c.dqn.round = 200;
        c.dqn.warmup = 100;
        c.dqn.eps_decay_steps = 200.0;
        c.ppo.updates = 4;
        c.ppo.rollout = 512;
        c.ppo.critic_warmup = 1;
        c.ppo.bc.epochs = 2;
        c.ppo.epochs = 3;
        c.ppo.val_pairs = 60;
        c.lstm.max_epochs = 3;
        c.lstm.batches_per_epoch = 4;
        c.lstm.val_windows = 128;
        c.lstm2019.max_epochs = 2;
        c.lstm2019.batches_per_epoch = 4;
        c.lstm2019.val_windows = 128;
        c
    }

    /// Read a JSON config file; missing fields keep their defaults.
    ///
    /// # Errors
    /// Unreadable file or invalid JSON.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))
    }
}

/// Default output directory: `runs/<UTC timestamp>`.
pub fn default_out() -> PathBuf {
    PathBuf::from("runs").join(format!("{}", crate::output::files::unix_now()))
}
