//! The reward bounds, derived from the training days so that each objective can move the
//! reward: for every training function-hour with traffic and every placement that fits the
//! function, the hour's mean cost, latency and carbon per invocation under the hour's cold
//! starts; each bound is the [`BOUND_QUANTILE`] of its values. Every (function-hour,
//! placement) pair counts once, as the reward is a mean over function-hours.
//!
//! The bounds go into every bundle (hdrl-infer's weight format) and are used everywhere after:
//! training, evaluation, inference, reports.

use hdrl_infer::RewardBounds;
use hdrl_infer::placement::allowed_actions;

use crate::data::workload::{Hourly, Profile};
use crate::sim::tables::{ColdFlags, hour_totals};
use crate::sim::{Placement, Sim};

/// The quantile of the per-(function-hour, placement) means at which each bound sits. Chosen
/// so that on the default trace every weighted component spreads by at least 0.05 between
/// the best and the worst feasible placement of the median test function-hour (measured in
/// every run's report, table "What each objective is worth"; see docs/decision-quality.md for
/// the quantiles tried).
pub const BOUND_QUANTILE: f64 = 0.75;

/// Linear-interpolated quantile `q` of unsorted values (NaN-free); 0 for none.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let x = q.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let (i, frac) = (x.floor() as usize, x - x.floor());
    let hi = values[(i + 1).min(values.len() - 1)];
    values[i] + frac * (hi - values[i])
}

/// The per-invocation means of every (training function-hour, feasible placement) pair:
/// (cost USD, latency ms, carbon g).
pub fn samples(
    sim: &Sim,
    profiles: &[Profile],
    hourly: &Hourly,
    cold: &ColdFlags,
    hours: (usize, usize),
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut cost, mut latency, mut carbon) = (Vec::new(), Vec::new(), Vec::new());
    for (f, prof) in profiles.iter().enumerate() {
        let ok = allowed_actions(prof.memory_need_mb);
        let feasible: Vec<Placement> =
            Placement::all_for(prof.home_region).filter(|pl| ok[pl.action_for(prof.home_region)]).collect();
        for h in hours.0..hours.1.min(hourly.hours) {
            let (a, b) = hourly.idx[f][h];
            if a == b {
                continue;
            }
            let inv = hourly.get(f, h);
            for pl in &feasible {
                let flags = &cold.stay[f][pl.provider as usize][a as usize..b as usize];
                let t = hour_totals(sim, f, a as usize, *pl, inv, flags, prof, None);
                let n = t.n as f64;
                cost.push(t.cost_usd / n);
                latency.push(t.latency_ms / n);
                carbon.push(t.carbon_g / n);
            }
        }
    }
    (cost, latency, carbon)
}

/// Derive the bounds from the training hours `hours` (see the module docs). Falls back to
/// [`RewardBounds::DEFAULT`] for a component with no positive sample (an empty trace).
pub fn derive(
    sim: &Sim,
    profiles: &[Profile],
    hourly: &Hourly,
    cold: &ColdFlags,
    hours: (usize, usize),
) -> RewardBounds {
    at_quantile(&samples(sim, profiles, hourly, cold, hours), BOUND_QUANTILE)
}

/// The bounds at quantile `q` of [`samples`].
pub fn at_quantile(samples: &(Vec<f64>, Vec<f64>, Vec<f64>), q: f64) -> RewardBounds {
    let (mut c, mut l, mut g) = samples.clone();
    let pick = |v: &mut Vec<f64>, fallback: f32| {
        let b = quantile(v, q) as f32;
        if b.is_finite() && b > 0.0 { b } else { fallback }
    };
    let d = RewardBounds::DEFAULT;
    RewardBounds {
        max_cost_usd: pick(&mut c, d.max_cost_usd),
        max_latency_ms: pick(&mut l, d.max_latency_ms),
        max_carbon_g: pick(&mut g, d.max_carbon_g),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0];
        assert_eq!(quantile(&mut v, 0.0), 1.0);
        assert_eq!(quantile(&mut v, 1.0), 4.0);
        assert!((quantile(&mut v, 0.5) - 2.5).abs() < 1e-12);
        assert_eq!(quantile(&mut [], 0.5), 0.0);
    }
}
