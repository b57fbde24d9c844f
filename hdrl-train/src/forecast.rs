//! Load forecasting: window sources for the LSTM (the run's trace at 15 s, Azure 2019
//! per-minute files at 60 s), the forecasting baselines, and the metrics.
//!
//! Metrics are computed on the request rate (requests/s), the quantity pre-warming acts on:
//! RMSE, MAE, R², MASE (scaled by the in-sample one-step naive MAE of the training part),
//! `under_rate` = fraction of steps forecast below the actual rate (under-provisioned), and
//! `over_ratio` = Σ max(forecast − actual, 0) / Σ actual (excess capacity per unit of demand).

use hdrl_infer::features::{OPERATIONAL_FEATURES, WINDOW};
use hdrl_infer::{EncoderConfig, OperationalStep};
use serde::Serialize;

use crate::algos::lstm::{Part, WindowSource};
use crate::series;
use crate::trace::{Invocation, PerMinute};
use crate::workload::{Profile, mix, unit};

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
            x: steps
                .iter()
                .map(|s| enc.encode_step(s).unwrap_or([0.0; OPERATIONAL_FEATURES]))
                .collect(),
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
        Self {
            enc,
            inv,
            profiles,
            step_s,
            train,
            val,
            weights,
        }
    }
}

impl WindowSource for TraceWindows<'_> {
    fn series(&self) -> usize {
        self.inv.len()
    }

    fn weight(&self, s: usize) -> f64 {
        self.weights[s]
    }

    fn range(&self, _s: usize, part: Part) -> (usize, usize) {
        let (a, b) = match part {
            Part::Train => self.train,
            Part::Val => self.val,
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
    /// Train fraction boundary (steps): windows for training end before `train_end`.
    pub train_end: usize,
    /// Validation windows lie in `[val_start, train_end)` (the last eighth of the training part).
    pub val_start: usize,
}

impl MinuteWindows {
    /// Build from a 2019 file, its duration means (ms, by function hash) and memory (MB, by
    /// app hash). The first 80 % of minutes train (with their last eighth held out for
    /// validation), the last 20 % test.
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
                            * unit(mix(s.func.len() as u64
                                ^ s.func.bytes().fold(0u64, |h, b| {
                                    h.wrapping_mul(31).wrapping_add(b as u64)
                                })))) as f32,
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
                        let b = series::Bin {
                            count: c as u32,
                            busy_s: (c as f64 * d).min(step_s * 1e6) as f32,
                        };
                        series::step_features(
                            &b,
                            &prof,
                            step_s,
                            (pm.first_minute as f64 + m as f64) * 60.0,
                        )
                    })
                    .collect();
                EncodedSeries::new(enc, &steps)
            })
            .collect::<Vec<_>>();
        let len = series.first().map(|s| s.x.len()).unwrap_or(0);
        let train_end = len * 8 / 10;
        let val_start = train_end - (train_end / 8).max(1);
        Self {
            series,
            train_end,
            val_start,
        }
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

    fn range(&self, _s: usize, part: Part) -> (usize, usize) {
        match part {
            Part::Train => (WINDOW, self.val_start.max(WINDOW + 1)),
            Part::Val => (self.val_start.max(WINDOW), self.train_end.max(WINDOW + 1)),
        }
    }

    fn window(&self, s: usize, start: usize) -> ([[f32; OPERATIONAL_FEATURES]; WINDOW], [f32; 3]) {
        // `start` indexes the target step; the window is the 12 steps before it.
        let e = &self.series[s];
        let t = start.clamp(WINDOW, e.x.len() - 1);
        (e.window(t), e.target(t))
    }
}

/// A forecaster under evaluation: an encoded window in, a rate (requests/s) out.
pub type Forecaster<'a> = dyn FnMut(&[[f32; OPERATIONAL_FEATURES]; WINDOW]) -> anyhow::Result<f32> + 'a;

/// Forecasting baselines over a raw rate series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Baseline {
    /// The last value.
    Reactive,
    /// Twice the training mean, always.
    Static2x,
    /// Mean of the last 5 steps.
    Ma5,
    /// The value one season earlier.
    SeasonalNaive,
    /// Exponentially weighted moving average, α = 0.3.
    Ewma,
}

impl Baseline {
    /// All baselines.
    pub const ALL: [Baseline; 5] = [
        Self::Reactive,
        Self::Static2x,
        Self::Ma5,
        Self::SeasonalNaive,
        Self::Ewma,
    ];

    /// Report key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Reactive => "reactive",
            Self::Static2x => "static_2x",
            Self::Ma5 => "ma5",
            Self::SeasonalNaive => "seasonal_naive",
            Self::Ewma => "ewma",
        }
    }

    /// Forecast of step `t` from `rate[..t]`; `train_mean` for the static baseline and
    /// `season` steps for seasonal naive.
    pub fn forecast(
        self,
        rate: &[f32],
        t: usize,
        train_mean: f32,
        season: usize,
        ewma: f32,
    ) -> f32 {
        let last = if t > 0 { rate[t - 1] } else { 0.0 };
        match self {
            Self::Reactive => last,
            Self::Static2x => 2.0 * train_mean,
            Self::Ma5 => {
                let a = t.saturating_sub(5);
                if t == a {
                    0.0
                } else {
                    rate[a..t].iter().sum::<f32>() / (t - a) as f32
                }
            }
            Self::SeasonalNaive => {
                if t >= season {
                    rate[t - season]
                } else {
                    last
                }
            }
            Self::Ewma => ewma,
        }
    }
}

/// Forecast quality over many steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ForecastMetrics {
    /// Root mean squared error, requests/s.
    pub rmse: f64,
    /// Mean absolute error, requests/s.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean absolute scaled error.
    pub mase: f64,
    /// Fraction of steps forecast below the actual rate.
    pub under_rate: f64,
    /// Σ max(forecast − actual, 0) / Σ actual.
    pub over_ratio: f64,
    /// Steps evaluated.
    pub n: usize,
}

/// Accumulates forecast errors.
#[derive(Clone, Debug, Default)]
pub struct Accum {
    n: f64,
    se: f64,
    ae: f64,
    sum_a: f64,
    sum_a2: f64,
    under: f64,
    over: f64,
    naive_ae: f64,
    naive_n: f64,
}

impl Accum {
    /// Add one forecast.
    pub fn add(&mut self, forecast: f32, actual: f32) {
        let (f, a) = (forecast as f64, actual as f64);
        self.n += 1.0;
        self.se += (f - a).powi(2);
        self.ae += (f - a).abs();
        self.sum_a += a;
        self.sum_a2 += a * a;
        self.under += (f < a) as u8 as f64;
        self.over += (f - a).max(0.0);
    }

    /// Add the in-sample one-step naive error of a training series (MASE scale).
    pub fn add_naive(&mut self, train: &[f32]) {
        for w in train.windows(2) {
            self.naive_ae += (w[1] - w[0]).abs() as f64;
            self.naive_n += 1.0;
        }
    }

    /// The metrics.
    pub fn finish(&self) -> ForecastMetrics {
        let n = self.n.max(1.0);
        let mean = self.sum_a / n;
        let sst = self.sum_a2 - n * mean * mean;
        let scale = if self.naive_n > 0.0 {
            self.naive_ae / self.naive_n
        } else {
            0.0
        };
        ForecastMetrics {
            rmse: (self.se / n).sqrt(),
            mae: self.ae / n,
            r2: if sst > 0.0 { 1.0 - self.se / sst } else { 0.0 },
            mase: if scale > 0.0 {
                self.ae / n / scale
            } else {
                f64::NAN
            },
            under_rate: self.under / n,
            over_ratio: if self.sum_a > 0.0 {
                self.over / self.sum_a
            } else {
                0.0
            },
            n: self.n as usize,
        }
    }
}

/// Evaluate a forecaster (a closure from an encoded window to a raw rate forecast) and every
/// baseline on the last 20 % of each per-minute series (steps of 60 s; the seasonal baseline
/// uses a 60-step season, one hour, as one day of history is not available in such files).
///
/// # Errors
/// The forecaster's error.
pub fn eval_minutes(src: &MinuteWindows, models: &mut [(&str, &mut Forecaster<'_>)]) -> anyhow::Result<std::collections::BTreeMap<String, ForecastMetrics>> {
    let season = 60;
    let mut acc: std::collections::BTreeMap<String, Accum> = std::collections::BTreeMap::new();
    for s in &src.series {
        let train = &s.rate[..src.train_end];
        let train_mean = train.iter().sum::<f32>() / train.len().max(1) as f32;
        let mut ewma = 0.0f32;
        for &r in train {
            ewma = 0.3 * r + 0.7 * ewma;
        }
        for t in src.train_end..s.rate.len() {
            let actual = s.rate[t];
            for b in Baseline::ALL {
                acc.entry(b.key().to_string()).or_default().add(b.forecast(&s.rate, t, train_mean, season, ewma), actual);
            }
            let w = s.window(t);
            for (name, f) in models.iter_mut() {
                acc.entry(name.to_string()).or_default().add(f(&w)?, actual);
            }
            ewma = 0.3 * actual + 0.7 * ewma;
        }
        for a in acc.values_mut() {
            a.add_naive(train);
        }
    }
    Ok(acc.into_iter().map(|(k, v)| (k, v.finish())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        let mut a = Accum::default();
        a.add(1.0, 2.0);
        a.add(3.0, 2.0);
        a.add_naive(&[0.0, 1.0, 3.0]);
        let m = a.finish();
        assert!((m.rmse - 1.0).abs() < 1e-12 && (m.mae - 1.0).abs() < 1e-12);
        assert!((m.mase - 1.0 / 1.5).abs() < 1e-12);
        assert_eq!(m.under_rate, 0.5);
        assert!((m.over_ratio - 0.25).abs() < 1e-12);
        assert_eq!(m.r2, 0.0, "constant actuals: R² defined as 0");
    }

    #[test]
    fn baselines_use_only_the_past() {
        let r = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(Baseline::Reactive.forecast(&r, 3, 0.0, 2, 0.0), 3.0);
        assert_eq!(Baseline::Ma5.forecast(&r, 6, 0.0, 2, 0.0), 4.0);
        assert_eq!(Baseline::SeasonalNaive.forecast(&r, 6, 0.0, 2, 0.0), 5.0);
        assert_eq!(Baseline::Static2x.forecast(&r, 6, 1.5, 2, 0.0), 3.0);
    }
}
