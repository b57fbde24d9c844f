//! What the report says about a policy: mean reward, cost, latency percentiles, carbon, SLA
//! violations, cold starts and idle memory, all from one simulation run.

use serde::Serialize;

use crate::evaluate::simulate::PolicyResult;

/// Report metrics of a policy.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PolicyMetrics {
    /// Mean reward over function-hours.
    pub mean_reward: f64,
    /// USD per million invocations (executions and pre-warm).
    pub cost_usd_per_m: f64,
    /// Latency percentiles, ms.
    pub latency_ms_p50: f64,
    /// 95th percentile.
    pub latency_ms_p95: f64,
    /// 99th percentile.
    pub latency_ms_p99: f64,
    /// gCO2e per million invocations.
    pub carbon_g_per_m: f64,
    /// Fraction of invocations that violated the SLA.
    pub sla_violation_rate: f64,
    /// Fraction of invocations that started cold.
    pub cold_start_rate: f64,
    /// Idle instance memory, GB-hours.
    pub idle_gb_h: f64,
    /// Invocations simulated.
    pub invocations: u64,
}

impl PolicyResult {
    /// Summarise.
    pub fn metrics(&self) -> PolicyMetrics {
        let t = &self.totals;
        let n = t.n.max(1) as f64;
        let mut l = self.latencies.clone();
        l.sort_by(f32::total_cmp);
        let p = |q: f64| {
            if l.is_empty() { 0.0 } else { l[((l.len() - 1) as f64 * q).round() as usize] as f64 }
        };
        PolicyMetrics {
            mean_reward: if self.interval_rewards.is_empty() {
                0.0
            } else {
                self.interval_rewards.iter().map(|&r| r as f64).sum::<f64>() / self.interval_rewards.len() as f64
            },
            cost_usd_per_m: t.cost_usd / n * 1e6,
            latency_ms_p50: p(0.5),
            latency_ms_p95: p(0.95),
            latency_ms_p99: p(0.99),
            carbon_g_per_m: t.carbon_g / n * 1e6,
            sla_violation_rate: t.violations as f64 / n,
            cold_start_rate: t.colds as f64 / n,
            idle_gb_h: t.idle_gb_s / 3600.0,
            invocations: t.n,
        }
    }
}

/// Apply `f` to every field of several metrics (field by field), building one.
fn fieldwise(ms: &[&PolicyMetrics], f: impl Fn(&[f64]) -> f64) -> PolicyMetrics {
    let col = |g: fn(&PolicyMetrics) -> f64| f(&ms.iter().map(|m| g(m)).collect::<Vec<_>>());
    PolicyMetrics {
        mean_reward: col(|m| m.mean_reward),
        cost_usd_per_m: col(|m| m.cost_usd_per_m),
        latency_ms_p50: col(|m| m.latency_ms_p50),
        latency_ms_p95: col(|m| m.latency_ms_p95),
        latency_ms_p99: col(|m| m.latency_ms_p99),
        carbon_g_per_m: col(|m| m.carbon_g_per_m),
        sla_violation_rate: col(|m| m.sla_violation_rate),
        cold_start_rate: col(|m| m.cold_start_rate),
        idle_gb_h: col(|m| m.idle_gb_h),
        invocations: col(|m| m.invocations as f64).round() as u64,
    }
}

impl PolicyMetrics {
    /// The mean over runs (training seeds) of every metric, and the half-width of its 95 %
    /// confidence interval (NaN fields with one run).
    pub fn mean_ci(runs: &[&PolicyMetrics]) -> (PolicyMetrics, PolicyMetrics) {
        (
            fieldwise(runs, |v| crate::evaluate::stats::mean_ci(v).0),
            fieldwise(runs, |v| crate::evaluate::stats::mean_ci(v).1),
        )
    }
}

impl PolicyResult {
    /// The policy's rewards grouped into function-days (for paired comparisons).
    pub fn units(&self) -> std::collections::BTreeMap<(u32, u32), crate::evaluate::stats::Unit> {
        crate::evaluate::stats::units(&self.interval_keys, &self.interval_rewards)
    }
}
