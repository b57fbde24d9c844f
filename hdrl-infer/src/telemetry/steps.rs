//! The operational steps: request count and busy time per step, turned into the raw
//! [`OperationalStep`] the LSTM's window is made of.

use super::period::Period;
use crate::features::{OperationalStep, WINDOW};

/// Memory in use and CPU utilisation of a function from its mean concurrency `conc` (busy
/// seconds per second) over a period: `memory = need × max(conc, 1)` while it ran at all,
/// `CPU = CPU-bound share × min(conc, 1)`. The trace has no memory or CPU measurements and a
/// gateway sees neither, so both the trainer and [`super::Telemetry`] derive them here.
pub fn derived_load(conc: f64, busy: bool, memory_need_mb: f64, cpu_share: f64) -> (f64, f64) {
    let instances = if busy { conc.max(1.0) } else { 0.0 };
    (memory_need_mb * instances, cpu_share * conc.min(1.0))
}

/// The raw operational step of a period of `step_s` seconds starting at `t_start` (s since
/// midnight UTC of some day), in which `count` requests started and requests ran for `busy_s`
/// seconds in total (the integral of the in-flight count).
pub fn operational_step(
    count: u32,
    busy_s: f64,
    memory_need_mb: f64,
    cpu_share: f64,
    step_s: f64,
    t_start: f64,
) -> OperationalStep {
    let conc = busy_s / step_s;
    let (memory, cpu) = derived_load(conc, busy_s > 0.0, memory_need_mb, cpu_share);
    OperationalStep {
        request_rate: (count as f64 / step_s) as f32,
        memory_used_mb: memory as f32,
        cpu_util: cpu as f32,
        queue_depth: conc as f32,
        hour_of_day: (libm::fmod(t_start, 86_400.0) / 3600.0) as f32,
    }
}

/// The open step and the last [`WINDOW`] closed ones.
#[derive(Clone, Debug)]
pub(crate) struct Steps {
    pub(crate) len_s: f64,
    pub(crate) memory_need_mb: f64,
    pub(crate) cpu_share: f64,
    pub(crate) index: u64,
    pub(crate) count: u32,
    pub(crate) busy_s: f64,
    pub(crate) closed: heapless::HistoryBuf<OperationalStep, WINDOW>,
    /// Steps closed since the telemetry started (saturating).
    pub(crate) total: u64,
}

impl Period for Steps {
    const KEEP: u64 = WINDOW as u64;

    fn len_s(&self) -> f64 {
        self.len_s
    }

    fn index(&self) -> u64 {
        self.index
    }

    fn busy(&mut self, dt: f64, in_flight: u32) {
        self.busy_s += dt * in_flight as f64;
    }

    fn close(&mut self, next: u64) {
        let t_start = self.index as f64 * self.len_s;
        let step = operational_step(self.count, self.busy_s, self.memory_need_mb, self.cpu_share, self.len_s, t_start);
        self.closed.write(step);
        self.total = self.total.saturating_add(1);
        self.index = next;
        self.count = 0;
        self.busy_s = 0.0;
    }
}
