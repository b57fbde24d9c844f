//! The strategic layer's days: invocations, cost, latency percentiles and the busiest minute
//! of the open day, and the summaries of the last three closed ones.

use super::histogram::LatencyHistogram;
use super::period::Period;

/// Seconds per day.
pub const DAY_S: f64 = 86_400.0;
/// Closed days the strategic statistics read (the trainer's `d − 3 … d − 1`).
pub const HISTORY_DAYS: usize = 3;

/// What a closed day leaves behind.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct DaySummary {
    /// Requests started.
    pub(crate) n: u32,
    /// Requests ended with a recorded outcome (their cost and latencies).
    pub(crate) ended: u32,
    pub(crate) cost_usd: f64,
    /// Latency p50, p95, p99, ms.
    pub(crate) latency_pct: [f32; 3],
    /// Most requests started in one minute.
    pub(crate) peak_per_min: u32,
}

/// The open day and the last [`HISTORY_DAYS`] closed ones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Days {
    pub(crate) index: u64,
    pub(crate) n: u32,
    pub(crate) ended: u32,
    pub(crate) cost_usd: f64,
    pub(crate) latency: LatencyHistogram,
    /// Minute (since the clock's origin) of `minute_count`, and requests started in it.
    pub(crate) minute: u64,
    pub(crate) minute_count: u32,
    pub(crate) peak_per_min: u32,
    pub(crate) closed: heapless::HistoryBuf<DaySummary, HISTORY_DAYS>,
}

impl Days {
    /// A request started at `t` (s), inside the open day.
    pub(crate) fn start(&mut self, t: f64) {
        self.n = self.n.saturating_add(1);
        let m = (t / 60.0) as u64;
        if m != self.minute {
            self.minute = m;
            self.minute_count = 0;
        }
        self.minute_count = self.minute_count.saturating_add(1);
        self.peak_per_min = self.peak_per_min.max(self.minute_count);
    }
}

impl Period for Days {
    const KEEP: u64 = HISTORY_DAYS as u64;

    fn len_s(&self) -> f64 {
        DAY_S
    }

    fn index(&self) -> u64 {
        self.index
    }

    fn busy(&mut self, _dt: f64, _in_flight: u32) {}

    fn close(&mut self, next: u64) {
        let h = &self.latency;
        self.closed.write(DaySummary {
            n: self.n,
            ended: self.ended,
            cost_usd: self.cost_usd,
            latency_pct: [h.quantile(0.5) as f32, h.quantile(0.95) as f32, h.quantile(0.99) as f32],
            peak_per_min: self.peak_per_min,
        });
        self.index = next;
        self.n = 0;
        self.ended = 0;
        self.cost_usd = 0.0;
        self.latency.clear();
        self.minute_count = 0;
        self.peak_per_min = 0;
    }
}
