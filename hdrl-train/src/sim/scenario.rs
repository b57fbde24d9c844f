//! `Scenario`: everything derived from a trace that the learners and the evaluation share
//! (split, hourly buckets, simulator, tables, encoder constants).

use anyhow::Result;
use hdrl_infer::EncoderConfig;

use crate::data::refdata;
use crate::data::trace::{self, Trace};
use crate::data::workload::{Hourly, Split, profiles};
use crate::sim::{Sim, Tables};

/// Everything derived from the trace.
pub struct Scenario {
    /// The trace.
    pub trace: Trace,
    /// Temporal split.
    pub split: Split,
    /// Invocations by function and hour.
    pub hourly: Hourly,
    /// The simulator.
    pub sim: Sim,
    /// Training tables.
    pub tab: Tables,
    /// Encoder constants stored with the models.
    pub enc: EncoderConfig,
}

impl Scenario {
    /// Build everything from a trace.
    ///
    /// # Errors
    /// Reference data does not parse.
    pub fn new(trace: Trace) -> Result<Self> {
        let split = Split::for_days(trace.days());
        let mem = trace::load_memory_str(refdata::AZURE2019_MEMORY)?;
        let hourly = Hourly::new(&trace);
        let sim = Sim::new()?;
        let tab = Tables::build(
            &sim,
            &trace,
            profiles(&trace, &split, &mem),
            &hourly,
            (split.train.0 * 24, split.train.1 * 24),
        );
        Ok(Self { trace, split, hourly, sim, tab, enc: EncoderConfig::DEFAULT })
    }

    /// Training hours.
    pub fn train_hours(&self) -> (usize, usize) {
        (self.split.train.0 * 24, self.split.train.1 * 24)
    }
}
