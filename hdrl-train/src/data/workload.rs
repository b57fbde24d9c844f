//! The workload view of a trace: per-function profiles (memory need, CPU-bound fraction,
//! home region, SLA), the temporal split, and per-interval statistics.
//!
//! The 2021 trace has neither memory nor CPU data, so they are derived (documented in the
//! README's data section):
//! - memory need of an app: the 100th-percentile average allocation of a real Azure 2019
//!   function picked by a hash of the app id from the embedded 100-function sample;
//! - CPU-bound fraction of a function's duration: uniform in [0.2, 0.9] from a hash of its id
//!   (the rest is I/O and does not speed up with more CPU);
//! - home region (where the app's users are): one of the four region slots by app hash;
//! - SLA: 1.5 × the function's 95th-percentile duration on train days + 500 ms.

use hdrl_infer::rng::{mix, unit_f64};

use crate::data::trace::{Invocation, Trace};

/// Seconds per day.
pub const DAY_S: f64 = 86_400.0;
/// Seconds per hour.
pub const HOUR_S: f64 = 3_600.0;

/// Day ranges of the temporal split (0-based, end exclusive).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Split {
    /// Training days.
    pub train: (usize, usize),
    /// Validation days (model selection, early stopping).
    pub val: (usize, usize),
    /// Test days: never seen in training or model selection.
    pub test: (usize, usize),
}

impl Split {
    /// Days 1–10 train, 11–12 validation, 13–14 test, scaled to shorter traces
    /// (5/7 train, 1/7 validation, 1/7 test, each at least one day).
    pub fn for_days(days: usize) -> Self {
        if days >= 14 {
            return Self { train: (0, 10), val: (10, 12), test: (12, 14) };
        }
        let d = days.max(3);
        let test = (d / 7).max(1);
        let val = (d / 7).max(1);
        let train = d - test - val;
        Self { train: (0, train), val: (train, train + val), test: (train + val, d) }
    }

    /// Time range in seconds of a day range.
    pub fn secs(r: (usize, usize)) -> (f64, f64) {
        (r.0 as f64 * DAY_S, r.1 as f64 * DAY_S)
    }
}

/// Static facts about one function used by the simulator.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Profile {
    /// App index.
    pub app: u32,
    /// Memory the function needs, MB.
    pub memory_need_mb: f32,
    /// Fraction of its duration that scales with CPU share.
    pub cpu_frac: f32,
    /// Region slot of its users.
    pub home_region: u8,
    /// Latency SLA, ms.
    pub sla_ms: f32,
    /// Mean duration on train days (reference: one full vCPU), seconds.
    pub mean_duration_s: f32,
    /// 95th-percentile duration on train days, seconds.
    pub p95_duration_s: f32,
    /// Invocations on train days.
    pub train_invocations: u32,
}

impl Profile {
    /// The function's facts as hdrl-infer's application context.
    pub fn app_context(&self) -> hdrl_infer::AppContext {
        hdrl_infer::AppContext {
            mean_duration_ms: self.mean_duration_s * 1000.0,
            memory_need_mb: self.memory_need_mb,
            home_region: self.home_region,
            sla_ms: self.sla_ms,
            cpu_share: self.cpu_frac,
        }
    }
}

#[cfg(test)]
impl Profile {
    /// A 200 MB, half CPU-bound function of app 0 in us-east with a 2 s SLA, for unit tests.
    pub(crate) fn example() -> Self {
        Profile {
            app: 0,
            memory_need_mb: 200.0,
            cpu_frac: 0.5,
            home_region: 0,
            sla_ms: 2000.0,
            mean_duration_s: 0.5,
            p95_duration_s: 1.0,
            train_invocations: 10,
        }
    }
}

fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Build the profiles of every function from the train days of a trace.
pub fn profiles(t: &Trace, split: &Split, memory_mb: &[(String, f64)]) -> Vec<Profile> {
    let (t0, t1) = Split::secs(split.train);
    let by_func = t.by_func();
    t.funcs
        .iter()
        .zip(&by_func)
        .map(|(f, inv)| {
            let mut d: Vec<f32> = inv.iter().filter(|i| i.start >= t0 && i.start < t1).map(|i| i.duration).collect();
            if d.is_empty() {
                d = inv.iter().map(|i| i.duration).collect();
            }
            d.sort_by(f32::total_cmp);
            let mean = if d.is_empty() { 0.1 } else { d.iter().sum::<f32>() / d.len() as f32 };
            let p95 = d.get(d.len() * 95 / 100).copied().unwrap_or(mean);
            let ah = name_hash(&t.apps[f.app as usize]);
            let memory_need_mb = if memory_mb.is_empty() {
                128.0
            } else {
                memory_mb[(mix(ah) % memory_mb.len() as u64) as usize].1 as f32
            };
            Profile {
                app: f.app,
                memory_need_mb,
                cpu_frac: (0.2 + 0.7 * unit_f64(mix(name_hash(&f.name)))) as f32,
                home_region: (mix(ah ^ 0x5bd1_e995) % 4) as u8,
                sla_ms: 1.5 * p95 * 1000.0 + 500.0,
                mean_duration_s: mean,
                p95_duration_s: p95,
                train_invocations: d.len() as u32,
            }
        })
        .collect()
}

/// Invocations of each function bucketed by hour index (hour = ⌊start / 3600⌋).
pub struct Hourly {
    /// Hours covered.
    pub hours: usize,
    /// `idx[f][h]` = range into `by_func[f]` of the invocations starting in hour `h`.
    pub idx: Vec<Vec<(u32, u32)>>,
    /// Invocations per function in start order.
    pub by_func: Vec<Vec<Invocation>>,
}

impl Hourly {
    /// Bucket a trace.
    pub fn new(t: &Trace) -> Self {
        let hours = t.days() * 24;
        let by_func = t.by_func();
        let idx = by_func
            .iter()
            .map(|inv| {
                let mut r = vec![(0u32, 0u32); hours];
                let mut i = 0usize;
                for (h, slot) in r.iter_mut().enumerate() {
                    let end = (h + 1) as f64 * HOUR_S;
                    let s = i;
                    while i < inv.len() && inv[i].start < end {
                        i += 1;
                    }
                    *slot = (s as u32, i as u32);
                }
                r
            })
            .collect();
        Self { hours, idx, by_func }
    }

    /// Invocations of function `f` in hour `h`.
    pub fn get(&self, f: usize, h: usize) -> &[Invocation] {
        let (a, b) = self.idx[f][h];
        &self.by_func[f][a as usize..b as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_days_1_10_11_12_13_14_and_scales_down() {
        let s = Split::for_days(14);
        assert_eq!((s.train, s.val, s.test), ((0, 10), (10, 12), (12, 14)));
        let s = Split::for_days(7);
        assert_eq!((s.train, s.val, s.test), ((0, 5), (5, 6), (6, 7)));
        let s = Split::for_days(1);
        assert!(s.train.1 > s.train.0 && s.test.1 > s.test.0);
    }

    #[test]
    fn profiles_are_derived_deterministically() {
        let t = crate::data::synth::generate(1, 0.02);
        let s = Split::for_days(t.days());
        let mem = crate::data::trace::load_memory_str(crate::data::refdata::AZURE2019_MEMORY).unwrap();
        let p = profiles(&t, &s, &mem);
        assert_eq!(p.len(), t.funcs.len());
        assert_eq!(p, profiles(&t, &s, &mem));
        assert!(p.iter().all(|x| x.memory_need_mb >= 1.0 && x.memory_need_mb <= 1024.0));
        assert!(p.iter().all(|x| (0.2..=0.9).contains(&x.cpu_frac) && x.home_region < 4));
        // Functions of one app share memory need and home region.
        for a in &p {
            for b in &p {
                if a.app == b.app {
                    assert_eq!((a.memory_need_mb, a.home_region), (b.memory_need_mb, b.home_region));
                }
            }
        }
        let h = Hourly::new(&t);
        let total: usize = (0..t.funcs.len()).map(|f| (0..h.hours).map(|x| h.get(f, x).len()).sum::<usize>()).sum();
        assert_eq!(total, t.inv.len());
    }
}
