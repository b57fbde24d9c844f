//! `Scenario`: everything derived from a trace that the learners and the evaluation share
//! (split, hourly buckets, simulator with its carbon and reward bounds, tables, encoder
//! constants, and the training-day estimates, computed once on first use).

use std::sync::OnceLock;

use anyhow::Result;
use hdrl_infer::{EncoderConfig, RewardBounds};
use serde::{Deserialize, Serialize};

use crate::data::carbon::{Carbon, CarbonMode, DEFAULT_ORIGIN};
use crate::data::refdata;
use crate::data::trace::{self, Trace};
use crate::data::workload::{Hourly, Split, profiles};
use crate::sim::estimates::Estimates;
use crate::sim::tables::cold_flags;
use crate::sim::{Sim, Tables, bounds};

/// How a trace becomes a scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScenarioConfig {
    /// Calendar instant of trace time 0 for the hourly carbon series (`2022-MM-DDTHH:00Z`).
    pub carbon_origin: String,
    /// Hourly intensities, or each zone's annual mean.
    pub carbon: CarbonMode,
    /// Reward bounds to use instead of deriving them from the training days (a bundle's, when
    /// evaluating it).
    #[serde(skip)]
    pub bounds: Option<RewardBounds>,
}

impl ScenarioConfig {
    /// `hourly intensity from 2022-01-30T00:00Z` or `static (2022 annual means)`.
    pub fn describe(&self) -> String {
        match self.carbon {
            CarbonMode::Hourly => format!("hourly intensity, trace time 0 = {}", self.carbon_origin),
            CarbonMode::Static => "static: each zone's 2022 annual mean".to_string(),
        }
    }
}

impl Default for ScenarioConfig {
    fn default() -> Self {
        Self { carbon_origin: DEFAULT_ORIGIN.to_string(), carbon: CarbonMode::Hourly, bounds: None }
    }
}

/// Everything derived from the trace.
pub struct Scenario {
    /// The trace.
    pub trace: Trace,
    /// Temporal split.
    pub split: Split,
    /// Invocations by function and hour.
    pub hourly: Hourly,
    /// The simulator, with the reward bounds everything uses.
    pub sim: Sim,
    /// Training tables.
    pub tab: Tables,
    /// Encoder constants stored with the models.
    pub enc: EncoderConfig,
    /// Training-day estimates ([`Scenario::estimates`]).
    estimates: OnceLock<Estimates>,
}

impl Scenario {
    /// Build everything from a trace with the default settings (hourly carbon from
    /// 2022-01-30T00:00Z, bounds derived from the training days).
    ///
    /// # Errors
    /// Reference data does not parse.
    pub fn new(trace: Trace) -> Result<Self> {
        Self::with(trace, &ScenarioConfig::default())
    }

    /// Build everything from a trace.
    ///
    /// # Errors
    /// A bad carbon origin; reference data that does not parse.
    pub fn with(trace: Trace, cfg: &ScenarioConfig) -> Result<Self> {
        let split = Split::for_days(trace.days());
        let train_hours = (split.train.0 * 24, split.train.1 * 24);
        let mem = trace::load_memory_str(refdata::AZURE2019_MEMORY)?;
        let hourly = Hourly::new(&trace);
        let mut sim = Sim::with_carbon(Carbon::load(&cfg.carbon_origin, cfg.carbon)?)?;
        let profiles = profiles(&trace, &split, &mem);
        let cold = cold_flags(&sim, &profiles, &hourly);
        sim.bounds = match cfg.bounds {
            Some(b) => b,
            None => bounds::derive(&sim, &profiles, &hourly, &cold, train_hours),
        };
        let tab = Tables::build(&sim, &trace, profiles, &hourly, cold, train_hours);
        Ok(Self { trace, split, hourly, sim, tab, enc: EncoderConfig::DEFAULT, estimates: OnceLock::new() })
    }

    /// Training hours.
    pub fn train_hours(&self) -> (usize, usize) {
        (self.split.train.0 * 24, self.split.train.1 * 24)
    }

    /// The training-day estimates every placement baseline, the DQN's day rewards and the
    /// tactical layer's cloning teacher use; computed on first use and shared (across the
    /// learners and the seeds of a run).
    pub fn estimates(&self) -> &Estimates {
        self.estimates.get_or_init(|| Estimates::new(&self.sim, &self.tab, &self.hourly, self.train_hours()))
    }

    /// Test hours (the evaluated ones).
    pub fn test_hours(&self) -> (usize, usize) {
        (self.split.test.0 * 24, (self.split.test.1 * 24).min(self.tab.hours))
    }
}
