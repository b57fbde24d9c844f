//! Tactical features (hourly, per function): 7 live metrics, where the function ran, the
//! strategic context, the function's facts and this hour's carbon of each region rank.

use super::carbon::{CarbonObs, SLOTS};
use super::strategic::{APP_INPUT, AppContext};
use super::{EncoderConfig, encode_all};
use crate::InferError;
use crate::placement::{MEMORY_TIERS_MB, Provider};

/// Number of tactical metrics.
pub const TACTICAL_FEATURES: usize = 7;
/// Width of the encoded tactical input (the PPO's input): the metrics, the provider one-hot
/// (3), the workload trend, the application facts, the carbon of the four region ranks, and
/// the current region rank and memory tier.
pub const TACTICAL_INPUT: usize = TACTICAL_FEATURES + 3 + 1 + APP_INPUT + SLOTS + 2;

/// Live metrics of one function over the last hour (input indices 14–22).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TacticalObs {
    /// 95th-percentile latency, ms (≥ 0); encoded relative to the function's SLA.
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
    /// Distance rank from the home region of the region the function ran in (0 = home;
    /// 4 … 254 count as 3): moving away costs cold starts. [`ELSEWHERE`] (255): it ran on
    /// another provider than the one the strategic layer now chose (or nowhere yet), so any
    /// placement is a move and the current tier is no reason to stay.
    pub region_rank: u8,
    /// Memory tier index it ran on (0 = 128 MB … 5 = 3008 MB; larger values count as 5).
    pub memory_tier: u8,
}

/// [`TacticalObs::region_rank`] of a function that ran on another provider than the chosen one.
pub const ELSEWHERE: u8 = u8::MAX;

impl TacticalObs {
    /// This observation as the tactical layer sees it for `chosen`: the rank says
    /// [`ELSEWHERE`] when the function ran on another provider (`ran_on`) or on none yet
    /// (`None`: its first decision).
    pub fn seen_on(mut self, ran_on: Option<Provider>, chosen: Provider) -> Self {
        if ran_on != Some(chosen) {
            self.region_rank = ELSEWHERE;
        }
        self
    }

    /// The metrics in input order.
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
}

impl EncoderConfig {
    /// The PPO input: 7 encoded metrics (the latency as a fraction of the SLA), the provider
    /// one-hot (3), the workload trend, the application facts, this hour's carbon of the
    /// provider's region slots by distance rank, and the current rank and tier (scaled to
    /// [0, 1]; the rank is −1 for [`ELSEWHERE`]).
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; indices 14–20 name a metric, 8 the trend, 9–13 a fact,
    /// 28–39 this hour's carbon.
    pub fn encode_tactical(
        &self,
        t: &TacticalObs,
        ctx: &TacticalContext,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<[f32; TACTICAL_INPUT], InferError> {
        let mut raw = t.to_array();
        if !app.sla_ms.is_finite() {
            return Err(InferError::NonFiniteInput { index: 12 });
        }
        if !raw[0].is_finite() {
            return Err(InferError::NonFiniteInput { index: 14 });
        }
        if app.sla_ms < 0.0 {
            return Err(InferError::OutOfRange { index: 12 });
        }
        if raw[0] < 0.0 {
            return Err(InferError::OutOfRange { index: 14 });
        }
        // Latency over SLA (an SLA under 1 ms counts as 1 ms).
        raw[0] /= app.sla_ms.max(1.0);
        let m = encode_all(&self.tactical, &raw, 14)?;
        let f = self.encode_app(app)?;
        let c = self.encode_carbon_by_rank(carbon, ctx.provider, app.home())?;
        let mut out = [0.0; TACTICAL_INPUT];
        let mut at = 0;
        let mut put = |xs: &[f32]| {
            out[at..at + xs.len()].copy_from_slice(xs);
            at += xs.len();
        };
        put(&m);
        let mut one_hot = [0.0; 3];
        one_hot[ctx.provider as usize] = 1.0;
        put(&one_hot);
        put(&[self.trend.encode(ctx.volume_trend, 8)?]);
        put(&f);
        put(&c);
        let rank = if t.region_rank == ELSEWHERE { -1.0 } else { t.region_rank.min(3) as f32 / 3.0 };
        let tier = t.memory_tier.min(MEMORY_TIERS_MB.len() as u8 - 1) as f32 / (MEMORY_TIERS_MB.len() - 1) as f32;
        put(&[rank, tier]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_on_another_provider_reads_as_elsewhere() {
        let t = TacticalObs { region_rank: 2, memory_tier: 5, ..Default::default() };
        assert_eq!(t.seen_on(Some(Provider::Aws), Provider::Aws).region_rank, 2);
        assert_eq!(t.seen_on(None, Provider::Aws).region_rank, ELSEWHERE, "a first decision");
        let moved = t.seen_on(Some(Provider::Aws), Provider::Azure);
        assert_eq!((moved.region_rank, moved.memory_tier), (ELSEWHERE, 5));
        let ctx = TacticalContext { provider: Provider::Azure, volume_trend: 0.0 };
        let enc = EncoderConfig::DEFAULT;
        let (app, carbon) = (AppContext::default(), CarbonObs::default());
        let here = enc.encode_tactical(&t, &ctx, &app, &carbon).unwrap();
        let away = enc.encode_tactical(&moved, &ctx, &app, &carbon).unwrap();
        assert_eq!((here[TACTICAL_INPUT - 2], away[TACTICAL_INPUT - 2]), (2.0 / 3.0, -1.0));
        assert_eq!(here[TACTICAL_INPUT - 1], away[TACTICAL_INPUT - 1], "the tier input is unchanged");
        // Ranks 4 … 254 still count as 3.
        let far = TacticalObs { region_rank: 254, ..t };
        assert_eq!(enc.encode_tactical(&far, &ctx, &app, &carbon).unwrap()[TACTICAL_INPUT - 2], 1.0);
    }
}
