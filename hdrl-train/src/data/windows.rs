//! The LSTM's training windows: where they come from ([`WindowSource`]: the run's trace at
//! 15-s steps, or per-minute Azure 2019 files), encoded series, and window sampling.

use hdrl_infer::features::{OPERATIONAL_FEATURES, WINDOW};
use hdrl_infer::{EncoderConfig, OperationalStep};
use rand::Rng;

use crate::data::series;
use crate::data::trace::{Invocation, PerMinute};
use hdrl_infer::rng::{mix, unit_f64};

use crate::data::workload::Profile;

/// Where training windows come from: encoded 12-step windows and the encoded next step's
/// (rate, memory, CPU).
pub trait WindowSource {
    /// Number of series.
    fn series(&self) -> usize;
    /// Sampling weight of a series (0 = never sampled).
    fn weight(&self, s: usize) -> f64;
    /// Valid window start steps of a series for a split, `[lo, hi)`.
    fn range(&self, s: usize, set: WindowSet) -> (usize, usize);
    /// The window starting at `start` and its target (the step right after it).
    fn window(&self, s: usize, start: usize) -> ([[f32; OPERATIONAL_FEATURES]; WINDOW], [f32; 3]);
}

/// Which part of the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowSet {
    /// Training windows.
    Train,
    /// Validation windows (model selection, early stopping).
    Val,
}

/// Sample `n` windows (series by weight, start uniform) from a set.
pub fn sample<S: WindowSource + ?Sized>(src: &S, set: WindowSet, n: usize, rng: &mut impl Rng) -> (Vec<f32>, Vec<f32>) {
    let ws: Vec<f64> = (0..src.series())
        .map(|s| {
            let (lo, hi) = src.range(s, set);
            if hi > lo { src.weight(s) } else { 0.0 }
        })
        .collect();
    let total: f64 = ws.iter().sum();
    let (mut xs, mut ys) = (Vec::with_capacity(n * WINDOW * OPERATIONAL_FEATURES), Vec::with_capacity(n * 3));
    if total <= 0.0 {
        return (xs, ys);
    }
    for _ in 0..n {
        let mut u = rng.random::<f64>() * total;
        let mut s = 0;
        while s + 1 < ws.len() && u >= ws[s] {
            u -= ws[s];
            s += 1;
        }
        let (lo, hi) = src.range(s, set);
        let start = rng.random_range(lo..hi.max(lo + 1));
        let (w, y) = src.window(s, start);
        xs.extend(w.iter().flatten());
        ys.extend(y);
    }
    (xs, ys)
}

/// Encoded series of one function: every step's 5 features, plus raw rates.
#[derive(Clone, Debug, Default)]
pub struct EncodedSeries {
    /// Encoded steps.
    pub x: Vec<[f32; OPERATIONAL_FEATURES]>,
    /// Raw request rate per step, requests/s.
    pub rate: Vec<f32>,
}

impl EncodedSeries {
    /// Encode raw steps (non-finite or negative values cannot occur in derived series; any
    /// that did would encode as zeros).
    pub fn new(enc: &EncoderConfig, steps: &[OperationalStep]) -> Self {
        Self {
            x: steps.iter().map(|s| enc.encode_step(s).unwrap_or([0.0; OPERATIONAL_FEATURES])).collect(),
            rate: steps.iter().map(|s| s.request_rate).collect(),
        }
    }

    /// The window ending before step `t` (steps `t − 12 … t − 1`).
    pub fn window(&self, t: usize) -> [[f32; OPERATIONAL_FEATURES]; WINDOW] {
        let mut w = [[0.0; OPERATIONAL_FEATURES]; WINDOW];
        w.copy_from_slice(&self.x[t - WINDOW..t]);
        w
    }

    /// Encoded target of step `t`: (rate, memory, CPU).
    pub fn target(&self, t: usize) -> [f32; 3] {
        let s = self.x[t];
        [s[0], s[1], s[2]]
    }
}

/// Training windows from the run's trace: per function, steps of `step_s` over the train
/// days (windows) and validation days, computed on demand from the invocations.
pub struct TraceWindows<'a> {
    enc: EncoderConfig,
    inv: &'a [Vec<Invocation>],
    profiles: &'a [Profile],
    step_s: f64,
    train: (f64, f64),
    val: (f64, f64),
    weights: Vec<f64>,
}

impl<'a> TraceWindows<'a> {
    /// Windows over `train` and `val` time ranges (seconds). Functions with traffic are
    /// sampled half uniformly (as evaluation weighs them: every function-step counts) and half
    /// in proportion to the square root of their train-day invocations (busy functions drive
    /// pre-warming).
    pub fn new(
        enc: EncoderConfig,
        inv: &'a [Vec<Invocation>],
        profiles: &'a [Profile],
        step_s: f64,
        train: (f64, f64),
        val: (f64, f64),
    ) -> Self {
        let sq: Vec<f64> = inv
            .iter()
            .map(|v| (v.iter().filter(|i| i.start >= train.0 && i.start < train.1).count() as f64).sqrt())
            .collect();
        let active = sq.iter().filter(|&&x| x > 0.0).count().max(1) as f64;
        let total: f64 = sq.iter().sum::<f64>().max(1e-9);
        let weights = sq.iter().map(|&x| if x > 0.0 { 0.5 / active + 0.5 * x / total } else { 0.0 }).collect();
        Self { enc, inv, profiles, step_s, train, val, weights }
    }
}

impl WindowSource for TraceWindows<'_> {
    fn series(&self) -> usize {
        self.inv.len()
    }

    fn weight(&self, s: usize) -> f64 {
        self.weights[s]
    }

    fn range(&self, _s: usize, set: WindowSet) -> (usize, usize) {
        let (a, b) = match set {
            WindowSet::Train => self.train,
            WindowSet::Val => self.val,
        };
        let lo = (a / self.step_s) as usize;
        let hi = ((b / self.step_s) as usize).saturating_sub(WINDOW + 1);
        (lo, hi.max(lo))
    }

    fn window(&self, s: usize, start: usize) -> ([[f32; OPERATIONAL_FEATURES]; WINDOW], [f32; 3]) {
        let t0 = start as f64 * self.step_s;
        let inv = &self.inv[s];
        // Invocations that can overlap the 13 steps (executions last at most a few minutes;
        // start 15 min earlier to catch long ones).
        let a = inv.partition_point(|i| i.start < t0 - 900.0);
        let b = inv.partition_point(|i| i.start < t0 + (WINDOW + 1) as f64 * self.step_s);
        let raw = series::operational(&inv[a..b], &self.profiles[s], t0, self.step_s, WINDOW + 1);
        let e = EncodedSeries::new(&self.enc, &raw);
        (e.window(WINDOW), e.target(WINDOW))
    }
}

/// Per-minute series (Azure 2019 format) as operational steps. Memory and CPU are derived as
/// for the 2021 trace, with each function's mean duration from the durations file (or 1 s)
/// and its memory from the memory file (or 128 MB).
pub struct MinuteWindows {
    /// Encoded series per function.
    pub series: Vec<EncodedSeries>,
    /// What each function is for (same order as `series`; see [`function_roles`]).
    pub roles: Vec<Vec<Role>>,
    /// Train fraction boundary (steps): training and validation windows end before
    /// `train_end`; the test period is `[train_end, len)`.
    pub train_end: usize,
}

/// What a function of a per-minute set is used for: the split is by function, so the test
/// functions are never seen in training or model selection (a gateway meets new functions).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Training windows (70 % of the functions, their first 80 % of minutes).
    Train,
    /// Validation windows for model selection (15 %, their first 80 % of minutes).
    Val,
    /// Evaluation only (15 %, their last 20 % of minutes).
    Test,
}

/// Roles for `n` functions identified by `ids`: ordered by a hash of the id (independent of
/// file order), the first 70 % train, the next 15 % validate, the rest test. With fewer than
/// three functions there is nothing to split: every function plays every role (a time split).
pub fn function_roles(ids: &[&str]) -> Vec<Vec<Role>> {
    let n = ids.len();
    if n < 3 {
        return vec![vec![Role::Train, Role::Val, Role::Test]; n];
    }
    let mut order: Vec<usize> = (0..n).collect();
    let h = |s: &str| mix(s.bytes().fold(0xF00D_u64, |h, b| h.wrapping_mul(0x100_0000_01b3).wrapping_add(b as u64)));
    order.sort_by_key(|&i| (h(ids[i]), i));
    let n_train = ((n as f64 * 0.7).round() as usize).clamp(1, n - 2);
    let n_val = ((n as f64 * 0.15).round() as usize).clamp(1, n - n_train - 1);
    let mut roles = vec![Vec::new(); n];
    for (k, &i) in order.iter().enumerate() {
        roles[i].push(if k < n_train {
            Role::Train
        } else if k < n_train + n_val {
            Role::Val
        } else {
            Role::Test
        });
    }
    roles
}

impl MinuteWindows {
    /// Build from a 2019 file, its duration means (ms, by function hash) and memory (MB, by
    /// app hash). Split by function ([`function_roles`]: 70 % train, 15 % validate, 15 % test)
    /// and by time (the first 80 % of the minutes for training and validation, the last 20 %
    /// for the test).
    pub fn new(
        enc: &EncoderConfig,
        pm: &PerMinute,
        dur_ms: &std::collections::HashMap<String, f64>,
        mem_mb: &std::collections::HashMap<String, f64>,
    ) -> Self {
        let step_s = 60.0;
        let series = pm
            .series
            .iter()
            .map(|s| {
                let d = dur_ms.get(&s.func).copied().unwrap_or(1000.0) / 1000.0;
                let prof = Profile {
                    app: 0,
                    memory_need_mb: mem_mb.get(&s.app).copied().unwrap_or(128.0) as f32,
                    cpu_frac: (0.2
                        + 0.7
                            * unit_f64(mix(s.func.len() as u64
                                ^ s.func.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64)))))
                        as f32,
                    home_region: 0,
                    sla_ms: 1000.0,
                    mean_duration_s: d as f32,
                    p95_duration_s: d as f32,
                    train_invocations: 0,
                };
                let steps: Vec<OperationalStep> = s
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(m, &c)| {
                        let b = series::Bin { count: c as u32, busy_s: (c as f64 * d).min(step_s * 1e6) as f32 };
                        series::step_features(&b, &prof, step_s, (pm.first_minute as f64 + m as f64) * 60.0)
                    })
                    .collect();
                EncodedSeries::new(enc, &steps)
            })
            .collect::<Vec<_>>();
        let len = series.first().map(|s| s.x.len()).unwrap_or(0);
        let train_end = len * 8 / 10;
        let ids: Vec<String> = pm.series.iter().map(|s| format!("{}/{}", s.app, s.func)).collect();
        let roles = function_roles(&ids.iter().map(String::as_str).collect::<Vec<_>>());
        Self { series, roles, train_end }
    }

    /// Whether function `s` plays `role`.
    pub fn plays(&self, s: usize, role: Role) -> bool {
        self.roles.get(s).is_some_and(|r| r.contains(&role))
    }

    /// The test functions' series.
    pub fn test_series(&self) -> impl Iterator<Item = &EncodedSeries> {
        self.series.iter().enumerate().filter(|(s, _)| self.plays(*s, Role::Test)).map(|(_, e)| e)
    }
}

impl WindowSource for MinuteWindows {
    fn series(&self) -> usize {
        self.series.len()
    }

    fn weight(&self, s: usize) -> f64 {
        let n: f32 = self.series[s].rate[..self.train_end].iter().sum();
        (n as f64).sqrt()
    }

    fn range(&self, s: usize, set: WindowSet) -> (usize, usize) {
        let role = match set {
            WindowSet::Train => Role::Train,
            WindowSet::Val => Role::Val,
        };
        if !self.plays(s, role) {
            return (0, 0);
        }
        let end = self.train_end.max(WINDOW + 1);
        if self.plays(s, Role::Train) && self.plays(s, Role::Val) {
            // Too few functions to split by function: the last eighth of the training minutes
            // validates.
            let val_start = (self.train_end - (self.train_end / 8).max(1)).max(WINDOW);
            return match set {
                WindowSet::Train => (WINDOW, val_start.max(WINDOW + 1)),
                WindowSet::Val => (val_start, end),
            };
        }
        (WINDOW, end)
    }

    fn window(&self, s: usize, start: usize) -> ([[f32; OPERATIONAL_FEATURES]; WINDOW], [f32; 3]) {
        // `start` indexes the target step; the window is the 12 steps before it.
        let e = &self.series[s];
        let t = start.clamp(WINDOW, e.x.len() - 1);
        (e.window(t), e.target(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_split_70_15_15_whatever_their_order() {
        let ids: Vec<String> = (0..100).map(|i| format!("app{}/f{i}", i % 7)).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let roles = function_roles(&refs);
        let count = |r: Role| roles.iter().filter(|x| x.as_slice() == [r]).count();
        assert_eq!((count(Role::Train), count(Role::Val), count(Role::Test)), (70, 15, 15));
        // The same function gets the same role in a file listed in another order.
        let rev: Vec<&str> = refs.iter().rev().copied().collect();
        let rroles = function_roles(&rev);
        for (i, r) in roles.iter().enumerate() {
            assert_eq!(r, &rroles[99 - i]);
        }
        // Three functions: one of each; fewer: everyone plays every role (time split).
        let small = function_roles(&["a", "b", "c"]);
        for r in [Role::Train, Role::Val, Role::Test] {
            assert_eq!(small.iter().filter(|x| x.as_slice() == [r]).count(), 1);
        }
        assert_eq!(function_roles(&["a"]), vec![vec![Role::Train, Role::Val, Role::Test]]);
    }
}
