//! Statistics of claims: a mean over training seeds with its 95 % confidence interval
//! (Student's t), and the paired bootstrap of a difference in mean reward between two policies
//! over the test function-days they share.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// Two-sided 95 % critical values of Student's t for 1 … 30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// Mean and the half-width of its 95 % confidence interval (NaN with fewer than two values).
pub fn mean_ci(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let t = T95.get(n - 2).copied().unwrap_or(1.96);
    (mean, t * (var / n as f64).sqrt())
}

/// A policy's reward summed over the evaluated hours of one function-day, and how many hours
/// counted.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Unit {
    /// Sum of hourly rewards.
    pub sum: f64,
    /// Hours counted.
    pub hours: f64,
}

/// Function-day units of a policy from its hourly rewards keyed by (function, hour).
pub fn units(keys: &[(u32, u32)], rewards: &[f32]) -> BTreeMap<(u32, u32), Unit> {
    let mut out: BTreeMap<(u32, u32), Unit> = BTreeMap::new();
    for (&(f, h), &r) in keys.iter().zip(rewards) {
        let u = out.entry((f, h / 24)).or_default();
        u.sum += r as f64;
        u.hours += 1.0;
    }
    out
}

/// Average the units of several runs (seeds) of one policy: a function-day's sum and hour
/// count become their means over the runs that have it.
pub fn average(runs: &[BTreeMap<(u32, u32), Unit>]) -> BTreeMap<(u32, u32), Unit> {
    let mut acc: BTreeMap<(u32, u32), (Unit, f64)> = BTreeMap::new();
    for r in runs {
        for (k, u) in r {
            let e = acc.entry(*k).or_default();
            e.0.sum += u.sum;
            e.0.hours += u.hours;
            e.1 += 1.0;
        }
    }
    acc.into_iter().map(|(k, (u, n))| (k, Unit { sum: u.sum / n, hours: u.hours / n })).collect()
}

/// The difference `a − b` in mean reward per function-hour and its paired bootstrap 95 %
/// interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct PairedDiff {
    /// Mean reward of `a` minus that of `b`, over the shared units.
    pub delta: f64,
    /// 2.5th percentile of the bootstrap distribution.
    pub lo: f64,
    /// 97.5th percentile.
    pub hi: f64,
    /// Function-days resampled.
    pub units: usize,
}

/// Paired bootstrap over the function-days both policies have: resample function-days with
/// replacement `resamples` times (seeded), recompute each policy's mean reward per
/// function-hour over the sample, and take the percentiles of the difference.
pub fn paired_bootstrap(
    a: &BTreeMap<(u32, u32), Unit>,
    b: &BTreeMap<(u32, u32), Unit>,
    resamples: usize,
    seed: u64,
) -> PairedDiff {
    let pairs: Vec<(Unit, Unit)> = a.iter().filter_map(|(k, ua)| b.get(k).map(|ub| (*ua, *ub))).collect();
    let n = pairs.len();
    if n == 0 {
        return PairedDiff { delta: f64::NAN, lo: f64::NAN, hi: f64::NAN, units: 0 };
    }
    let diff = |idx: &mut dyn Iterator<Item = usize>| {
        let (mut sa, mut ha, mut sb, mut hb) = (0.0, 0.0, 0.0, 0.0);
        for i in idx {
            let (ua, ub) = pairs[i];
            sa += ua.sum;
            ha += ua.hours;
            sb += ub.sum;
            hb += ub.hours;
        }
        sa / ha.max(1e-12) - sb / hb.max(1e-12)
    };
    let delta = diff(&mut (0..n));
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ds: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            let picks: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            diff(&mut picks.into_iter())
        })
        .collect();
    ds.sort_by(f64::total_cmp);
    let at = |q: f64| ds[((ds.len() - 1) as f64 * q).round() as usize];
    PairedDiff { delta, lo: at(0.025), hi: at(0.975), units: n }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_intervals_match_hand_computation() {
        let (m, h) = mean_ci(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12);
        // s = 1, n = 3, t(2) = 4.303.
        assert!((h - 4.303 / 3f64.sqrt()).abs() < 1e-9);
        assert!(mean_ci(&[5.0]).1.is_nan());
    }

    #[test]
    fn bootstrap_brackets_a_constant_shift_and_straddles_noise() {
        let mut a = BTreeMap::new();
        let mut b = BTreeMap::new();
        let mut c = BTreeMap::new();
        let mut rng = StdRng::seed_from_u64(1);
        for f in 0..200u32 {
            let base: f64 = rng.random_range(-1.0..1.0);
            a.insert((f, 0), Unit { sum: 24.0 * (base + 0.1), hours: 24.0 });
            b.insert((f, 0), Unit { sum: 24.0 * base, hours: 24.0 });
            c.insert((f, 0), Unit { sum: 24.0 * (base + rng.random_range(-0.05..0.05)), hours: 24.0 });
        }
        let d = paired_bootstrap(&a, &b, 1000, 7);
        assert!((d.delta - 0.1).abs() < 1e-9 && d.lo > 0.09 && d.hi < 0.11, "{d:?}");
        let d = paired_bootstrap(&c, &b, 1000, 7);
        assert!(d.lo < 0.0 && d.hi > 0.0, "pure noise straddles zero: {d:?}");
        assert_eq!(d.units, 200);
    }

    #[test]
    fn units_group_hours_into_function_days() {
        let u = units(&[(0, 0), (0, 23), (0, 24), (1, 5)], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(u[&(0, 0)], Unit { sum: 3.0, hours: 2.0 });
        assert_eq!(u[&(0, 1)], Unit { sum: 3.0, hours: 1.0 });
        let avg = average(&[u.clone(), u]);
        assert_eq!(avg[&(1, 0)], Unit { sum: 4.0, hours: 1.0 });
    }
}
