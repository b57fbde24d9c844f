//! The embedded default: a deterministic synthetic trace in the exact Azure Functions 2021
//! format, calibrated to the published shape of the real trace.
//!
//! Calibration targets (each checked by a test below):
//! - 119 apps, 424 functions, 14 days starting on a Sunday (the real trace starts 2021-01-31),
//!   about 1.98 M invocations at `scale = 1` (`--scale` multiplies every rate);
//! - heavy-tailed per-function volume: log-normal weights (σ = 2.5), so the busiest 10 % of
//!   functions carry most invocations while the median function sees a few per hour;
//! - a quarter of the functions are timers with fixed periods (1, 5, 10, 15, 60 min);
//! - the rest are Poisson processes modulated by a diurnal cycle (peak around 14:00 UTC,
//!   amplitude 0.3–0.9), a weekend dip (×0.6–0.85 on Saturday and Sunday) and bursts
//!   (on average 0.5 a day, 2–30 min long, ×3–15);
//! - per-function log-normal durations: median e^N(ln 0.4 s, 1.6) clamped to [3 ms, 300 s],
//!   spread σ ∈ [0.2, 1.0], as in the heavy-tailed durations of the real trace.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, LogNormal, Normal, Poisson};

use crate::data::trace::{Func, Invocation, LoadReport, Trace};

/// Apps in the real 2021 trace.
pub const APPS: usize = 119;
/// Functions in the real 2021 trace.
pub const FUNCS: usize = 424;
/// Days in the real 2021 trace.
pub const DAYS: usize = 14;
/// Invocations in the real 2021 trace.
pub const INVOCATIONS: f64 = 1_980_951.0;

const MINUTES: usize = DAYS * 1440;
const TIMER_PERIODS_S: [f64; 5] = [60.0, 300.0, 600.0, 900.0, 3600.0];

fn hex_name(rng: &mut StdRng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.random::<u64>())).collect()
}

/// What the generator decided for one function.
struct Plan {
    /// Timer period, s (`None`: a modulated Poisson process).
    timer: Option<f64>,
    /// Share of the Poisson volume.
    weight: f64,
    /// Diurnal amplitude.
    amp: f64,
    /// Hour of the diurnal peak, UTC.
    peak_h: f64,
    /// Weekend multiplier.
    weekend: f64,
    /// Median duration, s.
    median_s: f64,
    /// Log-normal spread of durations.
    sigma: f64,
}

/// Functions per app: one each, the rest by heavy-tailed app weights; then each function's
/// name.
fn functions(rng: &mut StdRng) -> Vec<Func> {
    let app_w: Vec<f64> = (0..APPS).map(|_| LogNormal::new(0.0, 1.2).unwrap().sample(rng)).collect();
    let total_w: f64 = app_w.iter().sum();
    let mut func_app: Vec<u32> = (0..APPS as u32).collect();
    while func_app.len() < FUNCS {
        let mut u = rng.random::<f64>() * total_w;
        let mut a = 0;
        while a + 1 < APPS && u > app_w[a] {
            u -= app_w[a];
            a += 1;
        }
        func_app.push(a as u32);
    }
    func_app.sort_unstable();
    func_app.iter().map(|&app| Func { name: hex_name(rng), app, trigger: String::new() }).collect()
}

fn plans(rng: &mut StdRng) -> Vec<Plan> {
    let weight_d = LogNormal::new(0.0, 2.5).unwrap();
    let med_d = Normal::new(0.4f64.ln(), 1.6).unwrap();
    (0..FUNCS)
        .map(|_| {
            let timer =
                (rng.random::<f64>() < 0.25).then(|| TIMER_PERIODS_S[rng.random_range(0..TIMER_PERIODS_S.len())]);
            Plan {
                timer,
                weight: weight_d.sample(rng),
                amp: rng.random_range(0.3..0.9),
                peak_h: 14.0 + rng.random_range(-3.0..3.0),
                weekend: rng.random_range(0.6..0.85),
                median_s: med_d.sample(rng).exp().clamp(0.003, 300.0),
                sigma: rng.random_range(0.2..1.0),
            }
        })
        .collect()
}

fn duration(rng: &mut StdRng, p: &Plan) -> f32 {
    let d = LogNormal::new(p.median_s.ln(), p.sigma).unwrap().sample(rng);
    d.clamp(0.001, 600.0) as f32
}

/// Timer invocations: their volume is fixed by the period (stretched by 1/scale, so `scale`
/// multiplies their rate too). Returns how many were added.
fn timers(rng: &mut StdRng, plans: &[Plan], scale: f64, inv: &mut Vec<Invocation>) -> f64 {
    let mut total = 0.0;
    for (f, p) in plans.iter().enumerate() {
        if let Some(period) = p.timer.map(|x| x / scale) {
            let mut t = rng.random_range(0.0..period);
            while t < (MINUTES * 60) as f64 {
                let jitter = rng.random_range(0.0..0.5);
                inv.push(Invocation { func: f as u32, start: t + jitter, duration: duration(rng, p) });
                t += period;
                total += 1.0;
            }
        }
    }
    total
}

/// Per-minute rate modulation of a Poisson function: diurnal × weekly × bursts.
fn modulation(rng: &mut StdRng, p: &Plan) -> Vec<f64> {
    let mut m = vec![0.0f64; MINUTES];
    for (i, v) in m.iter_mut().enumerate() {
        let h = (i % 1440) as f64 / 60.0;
        let day = i / 1440;
        let diurnal = 1.0 + p.amp * (std::f64::consts::TAU * (h - p.peak_h) / 24.0 + std::f64::consts::FRAC_PI_2).sin();
        let weekly = if day % 7 == 0 || day % 7 == 6 { p.weekend } else { 1.0 };
        *v = diurnal * weekly;
    }
    let bursts = Poisson::new(0.5 * DAYS as f64).unwrap().sample(rng) as usize;
    for _ in 0..bursts {
        let start = rng.random_range(0..MINUTES);
        let len = rng.random_range(2..=30);
        let mult = rng.random_range(3.0..15.0);
        for v in m.iter_mut().skip(start).take(len) {
            *v *= mult;
        }
    }
    m
}

/// Invocations of one Poisson function expecting `expected` over the trace; at least one.
fn poisson(rng: &mut StdRng, f: usize, p: &Plan, expected: f64, inv: &mut Vec<Invocation>) {
    let m = modulation(rng, p);
    let k = expected / m.iter().sum::<f64>();
    let before = inv.len();
    for (i, &v) in m.iter().enumerate() {
        let lambda = k * v;
        if lambda <= 0.0 {
            continue;
        }
        let n = if lambda < 1e-9 { 0 } else { Poisson::new(lambda).unwrap().sample(rng) as usize };
        for _ in 0..n {
            let t = 60.0 * i as f64 + rng.random_range(0.0..60.0);
            inv.push(Invocation { func: f as u32, start: t, duration: duration(rng, p) });
        }
    }
    if inv.len() == before {
        // Every function of the trace is invoked at least once.
        let t = rng.random_range(0.0..(MINUTES * 60) as f64);
        inv.push(Invocation { func: f as u32, start: t, duration: duration(rng, p) });
    }
}

/// Generate the synthetic trace. Deterministic for a given `(seed, scale)`.
pub fn generate(seed: u64, scale: f64) -> Trace {
    let scale = if scale.is_finite() && scale > 0.0 { scale } else { 1.0 };
    let mut rng = StdRng::seed_from_u64(seed);
    let apps: Vec<String> = (0..APPS).map(|_| hex_name(&mut rng)).collect();
    let funcs = functions(&mut rng);
    let plans = plans(&mut rng);
    let mut inv: Vec<Invocation> = Vec::new();
    let timer_total = timers(&mut rng, &plans, scale, &mut inv);
    // Poisson functions share the rest of the target volume by weight.
    let target = (INVOCATIONS * scale - timer_total).max(INVOCATIONS * scale * 0.1);
    let poisson_funcs: Vec<usize> = (0..FUNCS).filter(|&f| plans[f].timer.is_none()).collect();
    let wsum: f64 = poisson_funcs.iter().map(|&f| plans[f].weight).sum();
    for &f in &poisson_funcs {
        poisson(&mut rng, f, &plans[f], target * plans[f].weight / wsum, &mut inv);
    }
    inv.sort_by(|a, b| a.start.total_cmp(&b.start));
    let n = inv.len();
    Trace {
        source: format!("synthetic:seed={seed},scale={scale}"),
        apps,
        funcs,
        inv,
        report: LoadReport { rows: n, kept: n, ..Default::default() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_trace_meets_its_calibration_targets() {
        let scale = 0.1;
        let t = generate(7, scale);
        // Counts.
        assert_eq!(t.apps.len(), APPS);
        assert_eq!(t.funcs.len(), FUNCS);
        assert_eq!(t.days(), DAYS);
        let mut per_func = vec![0usize; FUNCS];
        for i in &t.inv {
            per_func[i.func as usize] += 1;
        }
        assert!(per_func.iter().all(|&c| c > 0), "every function invoked");
        let apps_used: std::collections::HashSet<u32> = t.funcs.iter().map(|f| f.app).collect();
        assert_eq!(apps_used.len(), APPS);
        let n = t.inv.len() as f64;
        let want = INVOCATIONS * scale;
        assert!((n - want).abs() / want < 0.25, "volume {n} vs {want}");
        // Heavy tail: the busiest 10 % of functions carry most invocations.
        let mut sorted = per_func.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let top: usize = sorted[..FUNCS / 10].iter().sum();
        assert!(top as f64 / n > 0.6, "top-10% share {}", top as f64 / n);
        assert!((sorted[FUNCS / 2] as f64) < n / FUNCS as f64 / 3.0, "median far below mean");
        // Diurnal: afternoon (12–18 UTC) busier than night (0–6 UTC).
        let (mut day, mut night) = (0.0, 0.0);
        for i in &t.inv {
            let h = (i.start % 86_400.0) / 3600.0;
            if (12.0..18.0).contains(&h) {
                day += 1.0;
            } else if h < 6.0 {
                night += 1.0;
            }
        }
        assert!(day / night > 1.5, "day/night ratio {}", day / night);
        // Weekly: weekdays busier than weekend days.
        let mut by_dow = [0.0; 7];
        for i in &t.inv {
            by_dow[((i.start / 86_400.0) as usize) % 7] += 1.0;
        }
        let weekend = (by_dow[0] + by_dow[6]) / 2.0;
        let weekday = by_dow[1..6].iter().sum::<f64>() / 5.0;
        assert!(weekday > weekend * 1.1, "weekday {weekday} weekend {weekend}");
        // Durations: sub-second median, heavy tail.
        let mut d: Vec<f32> = t.inv.iter().map(|i| i.duration).collect();
        d.sort_by(f32::total_cmp);
        let med = d[d.len() / 2];
        assert!(med > 0.05 && med < 3.0, "median duration {med}");
        assert!(d[d.len() * 99 / 100] > 5.0 * med, "p99 duration {}", d[d.len() * 99 / 100]);
    }

    #[test]
    fn same_seed_same_trace_other_seed_other_trace() {
        let a = generate(3, 0.02);
        let b = generate(3, 0.02);
        let c = generate(4, 0.02);
        assert_eq!(a.inv, b.inv);
        assert_eq!(a.funcs, b.funcs);
        assert_ne!(a.inv.len(), c.inv.len());
    }
}
