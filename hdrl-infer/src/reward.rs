//! The multi-objective reward and its bounds: the one definition the simulator, the trainer
//! and the evaluation use.
//!
//! `R = 0.4·R_cost + 0.4·R_perf + 0.2·R_carbon − 10·v`, with `R_x = 1 − x / max_x` clamped to
//! [0, 1], `v` ∈ [0, 1] the fraction of invocations that violated the SLA, and `R` clamped to
//! [−10, 10]. Every input may be anything an f32 holds; the result is always finite.

/// Weight of the cost component.
pub const W_COST: f32 = 0.4;
/// Weight of the performance (latency) component.
pub const W_PERF: f32 = 0.4;
/// Weight of the carbon component.
pub const W_CARBON: f32 = 0.2;
/// Penalty per unit of SLA-violation fraction.
pub const SLA_PENALTY: f32 = 10.0;
/// The total reward is clamped to ±`CLIP`.
pub const CLIP: f32 = 10.0;

use serde::{Deserialize, Serialize};

/// Values at which each normalised component reaches 0. A trainer derives them from its
/// training days and stores them in every bundle it writes, so the simulator, training,
/// evaluation and inference all score with the same ones.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RewardBounds {
    /// Cost per invocation at which `R_cost` = 0, USD.
    pub max_cost_usd: f32,
    /// Latency at which `R_perf` = 0, ms.
    pub max_latency_ms: f32,
    /// Carbon per invocation at which `R_carbon` = 0, gCO2e.
    pub max_carbon_g: f32,
}

impl RewardBounds {
    /// Generic bounds for hand-made bundles and fixtures: $0.0001 per invocation (≈ 3 GB for
    /// 2 s on Lambda), 5 s of latency, 0.05 gCO2e per invocation. Trained bundles carry bounds
    /// derived from their training days instead.
    pub const DEFAULT: Self = Self { max_cost_usd: 1.0e-4, max_latency_ms: 5_000.0, max_carbon_g: 0.05 };

    /// Every bound is a finite positive number.
    pub fn is_valid(&self) -> bool {
        [self.max_cost_usd, self.max_latency_ms, self.max_carbon_g].iter().all(|b| b.is_finite() && *b > 0.0)
    }
}

impl Default for RewardBounds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A reward with its components.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reward {
    /// Cost component in [0, 1] (1 = free).
    pub cost: f32,
    /// Performance component in [0, 1] (1 = instant).
    pub perf: f32,
    /// Carbon component in [0, 1] (1 = zero emissions).
    pub carbon: f32,
    /// SLA-violation fraction in [0, 1].
    pub sla: f32,
    /// Weighted total in [−10, 10].
    pub total: f32,
}

/// `1 − x / max`, clamped to [0, 1]. NaN, negative `max` or NaN `x` give 0 (the worst score);
/// negative `x` gives 1.
#[inline]
pub fn component(x: f32, max: f32) -> f32 {
    if max.is_nan() || max <= 0.0 || x.is_nan() {
        return 0.0;
    }
    if x <= 0.0 {
        // Also for x = −∞ with max = +∞, where x / max would be NaN.
        return 1.0;
    }
    let r = 1.0 - x / max;
    if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) }
}

impl RewardBounds {
    /// The reward of one decision interval: mean cost (USD) and carbon (gCO2e) per invocation,
    /// a latency (ms), and the fraction of invocations that violated the SLA.
    pub fn reward(&self, cost_usd: f32, latency_ms: f32, carbon_g: f32, sla_fraction: f32) -> Reward {
        let cost = component(cost_usd, self.max_cost_usd);
        let perf = component(latency_ms, self.max_latency_ms);
        let carbon = component(carbon_g, self.max_carbon_g);
        let sla = if sla_fraction.is_nan() { 1.0 } else { sla_fraction.clamp(0.0, 1.0) };
        let total = (W_COST * cost + W_PERF * perf + W_CARBON * carbon - SLA_PENALTY * sla).clamp(-CLIP, CLIP);
        Reward { cost, perf, carbon, sla, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extremes_stay_finite_and_bounded() {
        let b = RewardBounds::DEFAULT;
        for &x in &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -1.0, 1e30] {
            let r = b.reward(x, x, x, x);
            assert!(r.total.is_finite() && r.total.abs() <= CLIP, "{x}: {r:?}");
            for c in [r.cost, r.perf, r.carbon, r.sla] {
                assert!((0.0..=1.0).contains(&c), "{x}: {r:?}");
            }
        }
        assert_eq!(b.reward(0.0, 0.0, 0.0, 0.0).total, 1.0);
        assert!((b.reward(0.0, 0.0, 0.0, 1.0).total - -9.0).abs() < 1e-6);
        let zero = RewardBounds { max_cost_usd: 0.0, max_latency_ms: f32::NAN, max_carbon_g: -1.0 };
        assert_eq!(zero.reward(1.0, 1.0, 1.0, 0.0).total, 0.0);
        // Found by tests/properties.rs: −∞ / +∞ is NaN, which used to score −∞ as the worst.
        assert_eq!(component(f32::NEG_INFINITY, f32::INFINITY), 1.0);
        assert_eq!(component(f32::INFINITY, f32::INFINITY), 0.0);
    }
}
