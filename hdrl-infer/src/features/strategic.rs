//! Strategic features (daily, per function): 9 multi-day statistics, the carbon outlook of each
//! provider, and the function's facts.

use super::carbon::CarbonObs;
use super::{EncoderConfig, encode_all};
use crate::InferError;

/// Number of strategic statistics.
pub const STRATEGIC_FEATURES: usize = 9;
/// Width of the DQN's strategic encoder input: the statistics and the carbon outlook (the
/// past day's intensity at the home slot and at the greenest slot of each provider).
pub const STRATEGIC_STATS_INPUT: usize = STRATEGIC_FEATURES + 6;
/// Number of scaled application facts (duration, memory need, SLA, CPU share).
pub const APP_FEATURES: usize = 4;
/// Width of the encoded application facts: the scaled ones and the home region one-hot.
pub const APP_INPUT: usize = APP_FEATURES + 4;
/// Width of the encoded strategic input (the DQN's input).
pub const STRATEGIC_INPUT: usize = STRATEGIC_STATS_INPUT + APP_INPUT;

/// Multi-day statistics of one function on the provider it runs on (input indices 0–8).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StrategicObs {
    /// Mean cost over the last days, USD per million invocations (≥ 0).
    pub cost_usd_per_m: f32,
    /// Relative day-over-day change of cost, a fraction (−1 … 1; clamped).
    pub cost_trend: f32,
    /// Median end-to-end latency, ms (≥ 0).
    pub latency_p50_ms: f32,
    /// 95th-percentile latency, ms (≥ 0).
    pub latency_p95_ms: f32,
    /// 99th-percentile latency, ms (≥ 0).
    pub latency_p99_ms: f32,
    /// Mean invocations per day (≥ 0).
    pub daily_invocations: f32,
    /// Coefficient of variation of invocations per day (≥ 0).
    pub daily_invocations_cv: f32,
    /// Peak-to-mean ratio of the per-minute request rate (≥ 0).
    pub peak_to_mean: f32,
    /// Relative day-over-day change of invocations, a fraction (−1 … 1; clamped).
    pub volume_trend: f32,
}

/// Facts about the function that do not change with load (input indices 9–13).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AppContext {
    /// Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0).
    pub mean_duration_ms: f32,
    /// Memory the function needs, MB (≥ 0); a smaller tier is an out-of-memory SLA violation.
    pub memory_need_mb: f32,
    /// Region slot where most users are (0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast;
    /// larger values count as 3). One-hot encoded.
    pub home_region: u8,
    /// Latency SLA, ms (≥ 0).
    pub sla_ms: f32,
    /// Fraction of the execution time that is CPU-bound and speeds up with more vCPU, 0 … 1
    /// (clamped); the rest (I/O) does not change with the memory tier.
    pub cpu_share: f32,
}

impl StrategicObs {
    /// Field values in input order.
    pub fn to_array(&self) -> [f32; STRATEGIC_FEATURES] {
        [
            self.cost_usd_per_m,
            self.cost_trend,
            self.latency_p50_ms,
            self.latency_p95_ms,
            self.latency_p99_ms,
            self.daily_invocations,
            self.daily_invocations_cv,
            self.peak_to_mean,
            self.volume_trend,
        ]
    }
}

/// What one closed day of a function leaves for the strategic statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayFacts {
    /// Invocations (requests started) that day.
    pub invocations: f64,
    /// Cost per invocation × 10⁶, USD (0 for a day without invocations).
    pub cost_usd_per_m: f64,
    /// Latency p50, p95, p99, ms.
    pub latency_pct: [f32; 3],
    /// Most invocations started in one minute.
    pub peak_per_min: f32,
}

impl StrategicObs {
    /// The statistics of the closed days `days` (oldest first; the trainer and a gateway's
    /// telemetry both pass the last three): mean cost and invocations, their day-over-day
    /// trends and coefficient of variation, and the last day's latency percentiles and
    /// peak-to-mean ratio. With one day the trends compare it with itself (0); with none every
    /// statistic is 0.
    pub fn from_days(days: &[DayFacts]) -> Self {
        let Some(&last) = days.last() else {
            return Self::default();
        };
        let prev = if days.len() >= 2 { days[days.len() - 2] } else { last };
        let k = days.len() as f64;
        let trend = |a: f64, b: f64| if b > 0.0 { ((a - b) / b).clamp(-1.0, 1.0) } else { 0.0 };
        let mean_n = days.iter().map(|d| d.invocations).sum::<f64>() / k;
        let cv = if mean_n > 0.0 {
            let var = days.iter().map(|d| (d.invocations - mean_n) * (d.invocations - mean_n)).sum::<f64>() / k;
            libm::sqrt(var) / mean_n
        } else {
            0.0
        };
        Self {
            cost_usd_per_m: (days.iter().map(|d| d.cost_usd_per_m).sum::<f64>() / k) as f32,
            cost_trend: trend(last.cost_usd_per_m, prev.cost_usd_per_m) as f32,
            latency_p50_ms: last.latency_pct[0],
            latency_p95_ms: last.latency_pct[1],
            latency_p99_ms: last.latency_pct[2],
            daily_invocations: mean_n as f32,
            daily_invocations_cv: cv as f32,
            peak_to_mean: if last.invocations > 0.0 {
                last.peak_per_min / (last.invocations as f32 / 1440.0)
            } else {
                0.0
            },
            volume_trend: trend(last.invocations, prev.invocations) as f32,
        }
    }
}

impl AppContext {
    /// The scaled facts in input order (duration, memory need, SLA, CPU share) and their input
    /// indices.
    pub fn scaled(&self) -> ([f32; APP_FEATURES], [u16; APP_FEATURES]) {
        ([self.mean_duration_ms, self.memory_need_mb, self.sla_ms, self.cpu_share], [9, 10, 12, 13])
    }

    /// The home slot, 0 … 3.
    pub fn home(&self) -> u8 {
        self.home_region.min(3)
    }
}

impl EncoderConfig {
    /// The application facts: duration, memory need, SLA and CPU share scaled to [0, 1], then
    /// the home region one-hot.
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; indices 9, 10, 12 and 13 name the field.
    pub fn encode_app(&self, app: &AppContext) -> Result<[f32; APP_INPUT], InferError> {
        let (raw, idx) = app.scaled();
        let mut out = [0.0; APP_INPUT];
        for (k, ((o, s), x)) in out.iter_mut().zip(&self.app).zip(raw).enumerate() {
            *o = s.encode(x, idx[k])?;
        }
        out[APP_FEATURES + app.home() as usize] = 1.0;
        Ok(out)
    }

    /// The DQN input: the 9 statistics, each provider's carbon outlook (home slot, then
    /// greenest slot, over the past day), then the application facts; all in [0, 1].
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; the index names the offending field of the observation
    /// (0–8 statistics, 9–13 facts, 40–51 past-day carbon).
    pub fn encode_strategic(
        &self,
        s: &StrategicObs,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<[f32; STRATEGIC_INPUT], InferError> {
        let a = encode_all(&self.strategic, &s.to_array(), 0)?;
        let f = self.encode_app(app)?;
        let c = self.encode_carbon_outlook(carbon, app.home())?;
        let mut out = [0.0; STRATEGIC_INPUT];
        out[..STRATEGIC_FEATURES].copy_from_slice(&a);
        out[STRATEGIC_FEATURES..STRATEGIC_STATS_INPUT].copy_from_slice(&c);
        out[STRATEGIC_STATS_INPUT..].copy_from_slice(&f);
        Ok(out)
    }
}
