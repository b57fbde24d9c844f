//! Tactical features (hourly, per function): 7 live metrics plus 4 strategic context values.

use super::EncoderConfig;
use super::encode_all;
use crate::InferError;
use crate::placement::Provider;

/// Number of tactical metrics.
pub const TACTICAL_FEATURES: usize = 7;

/// Live metrics of one function over the last hour (input indices 14–20).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TacticalObs {
    /// 95th-percentile latency, ms (≥ 0); encoded relative to the app's SLA.
    pub latency_ms: f32,
    /// Cost, USD per million invocations (≥ 0).
    pub cost_usd_per_m: f32,
    /// Request rate, requests per second (≥ 0).
    pub request_rate: f32,
    /// Memory in use, MB (≥ 0).
    pub memory_used_mb: f32,
    /// CPU utilisation proxy: busy time / (instances × wall time), 0 … 1 (clamped).
    pub cpu_util: f32,
    /// Mean number of in-flight requests (≥ 0).
    pub queue_depth: f32,
    /// Fraction of invocations that were cold starts, 0 … 1 (clamped).
    pub cold_start_prob: f32,
}

impl TacticalObs {
    /// Field values in input order.
    pub fn to_array(&self) -> [f32; TACTICAL_FEATURES] {
        [
            self.latency_ms,
            self.cost_usd_per_m,
            self.request_rate,
            self.memory_used_mb,
            self.cpu_util,
            self.queue_depth,
            self.cold_start_prob,
        ]
    }
}

/// What the strategic layer hands down to the tactical one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TacticalContext {
    /// The provider the strategic layer chose (one-hot encoded).
    pub provider: Provider,
    /// Workload trend: relative day-over-day change of invocations (−1 … 1; clamped).
    pub volume_trend: f32,
    /// The app's latency SLA, ms (≥ 0): the tactical latency feature is the last hour's
    /// latency relative to it, so one policy serves apps with any SLA.
    pub sla_ms: f32,
}

impl EncoderConfig {
    /// The PPO input: 7 encoded metrics (the latency as a fraction of the SLA), the provider
    /// one-hot (3), the workload trend.
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; indices 14–20 name a metric, 9 the trend, 13 the SLA.
    pub fn encode_tactical(&self, t: &TacticalObs, ctx: &TacticalContext) -> Result<[f32; 11], InferError> {
        let mut raw = t.to_array();
        if !ctx.sla_ms.is_finite() {
            return Err(InferError::NonFiniteInput { index: 13 });
        }
        if !raw[0].is_finite() {
            return Err(InferError::NonFiniteInput { index: 14 });
        }
        if ctx.sla_ms < 0.0 {
            return Err(InferError::OutOfRange { index: 13 });
        }
        if raw[0] < 0.0 {
            return Err(InferError::OutOfRange { index: 14 });
        }
        // Latency over SLA (an SLA under 1 ms counts as 1 ms).
        raw[0] /= ctx.sla_ms.max(1.0);
        let m = encode_all(&self.tactical, &raw, 14)?;
        let mut out = [0.0; 11];
        out[..TACTICAL_FEATURES].copy_from_slice(&m);
        out[TACTICAL_FEATURES + ctx.provider as usize] = 1.0;
        out[10] = self.trend.encode(ctx.volume_trend, 9)?;
        Ok(out)
    }
}
