//! Strategic features (daily, per app): 10 multi-day statistics plus 4 application facts.

use super::{EncoderConfig, encode_all};
use crate::InferError;

/// Number of strategic statistics.
pub const STRATEGIC_FEATURES: usize = 10;

/// Multi-day statistics of one application (input indices 0–9).
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
    /// Forecast grid carbon intensity where the app runs now, gCO2e/kWh (0 … 1000; clamped).
    pub carbon_g_per_kwh: f32,
    /// Mean invocations per day (≥ 0).
    pub daily_invocations: f32,
    /// Coefficient of variation of invocations per day (≥ 0).
    pub daily_invocations_cv: f32,
    /// Peak-to-mean ratio of the per-minute request rate (≥ 0).
    pub peak_to_mean: f32,
    /// Relative day-over-day change of invocations, a fraction (−1 … 1; clamped).
    pub volume_trend: f32,
}

/// Facts about the application that do not change with load (input indices 10–13).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AppContext {
    /// Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0).
    pub mean_duration_ms: f32,
    /// Memory the function needs, MB (≥ 0); a smaller tier is an out-of-memory SLA violation.
    pub memory_need_mb: f32,
    /// Region slot where most users are (0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast).
    pub home_region: u8,
    /// Latency SLA, ms (≥ 0).
    pub sla_ms: f32,
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
            self.carbon_g_per_kwh,
            self.daily_invocations,
            self.daily_invocations_cv,
            self.peak_to_mean,
            self.volume_trend,
        ]
    }
}

impl AppContext {
    /// Field values in input order.
    pub fn to_array(&self) -> [f32; 4] {
        [self.mean_duration_ms, self.memory_need_mb, self.home_region as f32, self.sla_ms]
    }
}

impl EncoderConfig {
    /// The DQN input: 10 strategic statistics then 4 application facts, all in [0, 1].
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; indices 0–13 name the offending field.
    pub fn encode_strategic(&self, s: &StrategicObs, app: &AppContext) -> Result<[f32; 14], InferError> {
        let a = encode_all(&self.strategic, &s.to_array(), 0)?;
        let b = encode_all(&self.app, &app.to_array(), STRATEGIC_FEATURES as u16)?;
        let mut out = [0.0; 14];
        out[..STRATEGIC_FEATURES].copy_from_slice(&a);
        out[STRATEGIC_FEATURES..].copy_from_slice(&b);
        Ok(out)
    }
}
