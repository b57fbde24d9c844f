//! The tactical layer's hour: requests, busy time, cold starts, cost and latencies of the open
//! hour, and the summary of the last closed one.

use super::histogram::LatencyHistogram;
use super::period::Period;

/// Seconds per hour.
pub const HOUR_S: f64 = 3600.0;

/// What a closed hour leaves behind.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct HourSummary {
    /// Requests started.
    pub(crate) n: u32,
    /// Requests ended with a recorded outcome (their cold starts, cost and latencies).
    pub(crate) ended: u32,
    pub(crate) busy_s: f64,
    pub(crate) cold: u32,
    pub(crate) cost_usd: f64,
    pub(crate) p95_ms: f64,
}

/// The open hour and the last closed one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hours {
    pub(crate) index: u64,
    pub(crate) open: HourSummary,
    pub(crate) latency: LatencyHistogram,
    pub(crate) last: HourSummary,
}

impl Period for Hours {
    const KEEP: u64 = 1;

    fn len_s(&self) -> f64 {
        HOUR_S
    }

    fn index(&self) -> u64 {
        self.index
    }

    fn busy(&mut self, dt: f64, in_flight: u32) {
        self.open.busy_s += dt * in_flight as f64;
    }

    fn close(&mut self, next: u64) {
        self.last = HourSummary { p95_ms: self.latency.quantile(0.95), ..self.open };
        self.open = HourSummary::default();
        self.latency.clear();
        self.index = next;
    }
}
