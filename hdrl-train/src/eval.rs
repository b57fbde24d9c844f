//! Evaluation on the test days: every policy runs through the same exact simulation
//! (per-invocation, instance pools, common random numbers for cold-start latencies), and the
//! metrics come from that run only.

use std::collections::BTreeMap;

use anyhow::Result;
use hdrl_infer::features::{TacticalContext, WINDOW};
use hdrl_infer::hierarchy::{mask_small_tiers, prewarm_target};
use hdrl_infer::{Hierarchy, Precision, Provider, Window as InferWindow};
use serde::Serialize;

use crate::baselines::Schedule;
use crate::env::OperationalEnv;
use crate::forecast::{Accum, Baseline, EncodedSeries, ForecastMetrics};
use crate::series;
use crate::sim::{Placement, Pool, Sim, Totals, Window};
use crate::tables::{Tables, default_placement};
use crate::workload::{DAY_S, HOUR_S, Hourly, Profile};

/// Seconds per operational step.
pub const STEP_S: f64 = 15.0;
const STEPS_PER_HOUR: usize = 240;

/// The platform's keep-alive behaviour in a simulation.
#[derive(Clone, Debug)]
pub enum KeepAlive {
    /// Each provider's own keep-alive.
    Provider,
    /// A fixed keep-alive for everyone, seconds.
    Fixed(f64),
    /// Per-app pre-warm and keep-alive windows (hybrid histogram policy).
    PerApp(Vec<Window>),
}

impl KeepAlive {
    fn window(&self, prof: &Profile, pl: Placement) -> Window {
        match self {
            Self::Provider => Pool::provider_window(pl),
            Self::Fixed(s) => Window::keep(*s),
            Self::PerApp(w) => w
                .get(prof.app as usize)
                .copied()
                .unwrap_or_else(|| Pool::provider_window(pl)),
        }
    }
}

/// What a policy achieved over the test days.
#[derive(Clone, Debug, Default)]
pub struct PolicyResult {
    /// Sums.
    pub totals: Totals,
    /// Every invocation's latency, ms.
    pub latencies: Vec<f32>,
    /// Reward of every function-hour with traffic or pre-warm cost.
    pub interval_rewards: Vec<f32>,
    /// Cold starts per test hour.
    pub colds_per_hour: Vec<u64>,
}

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
            if l.is_empty() {
                0.0
            } else {
                l[((l.len() - 1) as f64 * q).round() as usize] as f64
            }
        };
        PolicyMetrics {
            mean_reward: if self.interval_rewards.is_empty() {
                0.0
            } else {
                self.interval_rewards.iter().map(|&r| r as f64).sum::<f64>()
                    / self.interval_rewards.len() as f64
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

/// Everything evaluation needs.
pub struct Ctx<'a> {
    /// Simulator.
    pub sim: &'a Sim,
    /// Tables (profiles, hour statistics, rewards).
    pub tab: &'a Tables,
    /// Invocations by function.
    pub hourly: &'a Hourly,
    /// Evaluated hours `[h0, h1)` (the test days).
    pub hours: (usize, usize),
    /// Training hours (estimates for baselines).
    pub train_hours: (usize, usize),
}

impl Ctx<'_> {
    fn steps(&self) -> usize {
        (self.hours.1 - self.hours.0) * STEPS_PER_HOUR
    }

    /// Run a schedule through the exact simulation. `targets[f][k]` (if given) is the number
    /// of instances the operational layer holds warm in test step `k`.
    pub fn simulate(
        &self,
        schedule: &Schedule,
        targets: Option<&[Vec<u32>]>,
        keep: &KeepAlive,
    ) -> PolicyResult {
        let nh = self.hours.1 - self.hours.0;
        let t0 = self.hours.0 as f64 * HOUR_S;
        let mut out = PolicyResult {
            colds_per_hour: vec![0; nh],
            ..Default::default()
        };
        for (f, sched) in schedule.iter().enumerate() {
            let prof = self.tab.profiles[f];
            let inv = &self.hourly.by_func[f];
            let first = inv.partition_point(|i| i.start < t0);
            let last = inv.partition_point(|i| i.start < self.hours.1 as f64 * HOUR_S);
            let tf = targets.map(|t| &t[f]);
            let any_prewarm = tf.is_some_and(|t| t.iter().any(|&x| x > 0));
            if first == last && !any_prewarm {
                continue;
            }
            let mut env = OperationalEnv::new(
                self.sim,
                f,
                prof,
                inv,
                sched[0],
                keep.window(&prof, sched[0]),
                t0,
                STEP_S,
                self.steps(),
            );
            let mut hour = Totals::default();
            for k in 0..self.steps() {
                let h = k / STEPS_PER_HOUR;
                if k % STEPS_PER_HOUR == 0 {
                    env.set_placement(sched[h], keep.window(&prof, sched[h]));
                }
                let target = tf.map(|t| t[k]).unwrap_or(0);
                let (tot, _) = env.step_with(target, &mut out.latencies);
                out.colds_per_hour[h] += tot.colds;
                hour.merge(&tot);
                if (k + 1) % STEPS_PER_HOUR == 0 {
                    if hour.n > 0 || hour.cost_usd > 0.0 {
                        out.interval_rewards.push(
                            self.sim
                                .reward(&Totals {
                                    n: hour.n.max(1),
                                    ..hour
                                })
                                .total,
                        );
                    }
                    hour = Totals::default();
                }
            }
            out.totals.merge(&env.totals);
        }
        out
    }

    /// The hierarchy's placements: the DQN picks each app's provider per day (from the
    /// validation days on, so the first test day has a history), the PPO (when `tactical`)
    /// each function's region and tier per hour; otherwise home region and smallest fitting
    /// tier.
    ///
    /// # Errors
    /// A model error (missing model, non-finite output).
    pub fn hierarchy_schedule<P: Precision>(
        &self,
        h: &Hierarchy<P>,
        start_day: usize,
        tactical: bool,
    ) -> Result<Schedule> {
        let tab = self.tab;
        let days = self.hours.1.div_ceil(24);
        let mut prov = vec![vec![Provider::Aws; days]; tab.app_funcs.len()];
        for (app, row) in prov.iter_mut().enumerate() {
            let ctx = tab.app_context(app);
            let mut p = Provider::Aws;
            for (d, slot) in row.iter_mut().enumerate().take(days).skip(start_day.max(1)) {
                let s = tab.strategic_obs(self.sim, app, d, p);
                let q = h
                    .q_values(&s, &ctx)
                    .map_err(|e| anyhow::anyhow!("DQN: {e}"))?;
                p = Provider::from_index(hdrl_infer::math::argmax(&q)).unwrap_or(Provider::Aws);
                *slot = p;
            }
        }
        let mut out = Vec::with_capacity(tab.profiles.len());
        for (f, prof) in tab.profiles.iter().enumerate() {
            let app = prof.app as usize;
            let mut prev = default_placement(prof, prov[app][self.hours.0 / 24]);
            let mut row = Vec::with_capacity(self.hours.1 - self.hours.0);
            for hr in self.hours.0..self.hours.1 {
                let p = prov[app][hr / 24];
                let pl = if tactical {
                    let obs = tab.tactical_obs(self.sim, f, hr - 1, prev);
                    let trend = tab.strategic_obs(self.sim, app, hr / 24, p).volume_trend;
                    let (mut logits, _) = h
                        .policy(
                            &obs,
                            &TacticalContext {
                                provider: p,
                                volume_trend: trend,
                                sla_ms: prof.sla_ms,
                            },
                        )
                        .map_err(|e| anyhow::anyhow!("PPO: {e}"))?;
                    mask_small_tiers(&mut logits, prof.memory_need_mb);
                    Placement::from_action(p, hdrl_infer::math::argmax(&logits), prof.home_region)
                } else {
                    default_placement(prof, p)
                };
                row.push(pl);
                prev = pl;
            }
            out.push(row);
        }
        Ok(out)
    }

    /// The operational series of every function from 12 steps before the test start, encoded
    /// with `enc` (only functions with traffic in that span get a series).
    pub fn test_series(&self, enc: &hdrl_infer::EncoderConfig) -> Vec<Option<EncodedSeries>> {
        let t0 = self.hours.0 as f64 * HOUR_S - WINDOW as f64 * STEP_S;
        let steps = self.steps() + WINDOW;
        (0..self.tab.profiles.len())
            .map(|f| {
                let inv = &self.hourly.by_func[f];
                let a = inv.partition_point(|i| i.start < t0 - 900.0);
                let b = inv.partition_point(|i| i.start < t0 + steps as f64 * STEP_S);
                (b > a).then(|| {
                    EncodedSeries::new(
                        enc,
                        &series::operational(&inv[a..b], &self.tab.profiles[f], t0, STEP_S, steps),
                    )
                })
            })
            .collect()
    }

    /// The LSTM's rate forecast for every function and test step (requests/s), on two threads.
    ///
    /// # Errors
    /// A model error.
    pub fn lstm_forecasts<P: Precision>(
        &self,
        h: &Hierarchy<P>,
        series: &[Option<EncodedSeries>],
    ) -> Result<Vec<Vec<f32>>> {
        let steps = self.steps();
        // Idle windows (no traffic in the 12 steps) differ only in their hour features, which
        // depend on the time of day alone: one forecast per start time serves every function.
        let one = |s: &EncodedSeries, quiet_cache: &mut std::collections::HashMap<u32, f32>| -> Result<Vec<f32>> {
            let mut out = Vec::with_capacity(steps);
            for k in 0..steps {
                let t = k + WINDOW;
                let quiet = s.x[k..t].iter().all(|x| x[0] == 0.0 && x[1] == 0.0 && x[2] == 0.0 && x[3] == 0.0);
                let key = s.x[k][4].to_bits();
                if let Some(&r) = quiet.then(|| quiet_cache.get(&key)).flatten() {
                    out.push(r);
                    continue;
                }
                let mut w = InferWindow::new();
                for x in &s.x[k..t] {
                    w.push(*x);
                }
                let (f, _) = h.forecast(&w).map_err(|e| anyhow::anyhow!("LSTM: {e}"))?;
                if quiet {
                    quiet_cache.insert(key, f.request_rate);
                }
                out.push(f.request_rate);
            }
            Ok(out)
        };
        let idx: Vec<usize> = (0..series.len()).filter(|&f| series[f].is_some()).collect();
        let mut results: Vec<Option<Vec<f32>>> = vec![None; series.len()];
        let halves = idx.split_at(idx.len() / 2);
        let run = |part: &[usize]| -> Result<Vec<(usize, Vec<f32>)>> {
            let mut cache = std::collections::HashMap::new();
            part.iter()
                .map(|&f| Ok((f, one(series[f].as_ref().expect("filtered"), &mut cache)?)))
                .collect()
        };
        std::thread::scope(|sc| -> Result<()> {
            let a = sc.spawn(|| run(halves.0));
            let b = run(halves.1)?;
            let a = a
                .join()
                .map_err(|_| anyhow::anyhow!("forecast thread panicked"))??;
            for (f, v) in a.into_iter().chain(b) {
                results[f] = Some(v);
            }
            Ok(())
        })?;
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| vec![0.0; steps]))
            .collect())
    }

    /// Top-action agreement of two hierarchies (f32 and int8) on the test days' inputs:
    /// DQN over every app-day, PPO over every function-hour with traffic (both given the
    /// f32 schedule's context).
    ///
    /// # Errors
    /// A model error.
    pub fn agreement<P: Precision, Q: Precision>(&self, a: &Hierarchy<P>, b: &Hierarchy<Q>, sched: &Schedule) -> Result<(f64, f64)> {
        let tab = self.tab;
        let (mut same, mut n) = (0usize, 0usize);
        for app in 0..tab.app_funcs.len() {
            let ctx = tab.app_context(app);
            for d in self.hours.0 / 24..self.hours.1.div_ceil(24) {
                for p in Provider::ALL {
                    let s = tab.strategic_obs(self.sim, app, d, p);
                    let qa = a.q_values(&s, &ctx).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let qb = b.q_values(&s, &ctx).map_err(|e| anyhow::anyhow!("{e}"))?;
                    same += (hdrl_infer::math::argmax(&qa) == hdrl_infer::math::argmax(&qb)) as usize;
                    n += 1;
                }
            }
        }
        let dqn = same as f64 / n.max(1) as f64;
        let (mut same, mut n) = (0usize, 0usize);
        for (f, row) in sched.iter().enumerate() {
            let prof = &tab.profiles[f];
            for (k, hr) in (self.hours.0..self.hours.1).enumerate() {
                if tab.hour[f][hr].n == 0 {
                    continue;
                }
                let prev = if k == 0 { row[0] } else { row[k - 1] };
                let obs = tab.tactical_obs(self.sim, f, hr - 1, prev);
                let ctx = TacticalContext { provider: row[k].provider, volume_trend: 0.0, sla_ms: prof.sla_ms };
                let (mut la, _) = a.policy(&obs, &ctx).map_err(|e| anyhow::anyhow!("{e}"))?;
                let (mut lb, _) = b.policy(&obs, &ctx).map_err(|e| anyhow::anyhow!("{e}"))?;
                mask_small_tiers(&mut la, prof.memory_need_mb);
                mask_small_tiers(&mut lb, prof.memory_need_mb);
                same += (hdrl_infer::math::argmax(&la) == hdrl_infer::math::argmax(&lb)) as usize;
                n += 1;
            }
        }
        Ok((dqn, same as f64 / n.max(1) as f64))
    }

    /// Pre-warm targets from rate forecasts: hdrl-infer's `prewarm_target` on the same windows
    /// the forecasts came from, capped by an operator guard: never more than the function's
    /// peak 15-s concurrency on the training days plus one.
    pub fn targets(&self, rates: &[Vec<f32>], series: &[Option<EncodedSeries>]) -> Vec<Vec<u32>> {
        let (t0, t1) = (self.train_hours.0 as f64 * HOUR_S, self.train_hours.1 as f64 * HOUR_S);
        let train_steps = ((t1 - t0) / STEP_S) as usize;
        rates
            .iter()
            .zip(&self.tab.profiles)
            .zip(series)
            .enumerate()
            .map(|(f, ((r, p), s))| {
                let Some(s) = s else { return vec![0; r.len()] };
                let peak = series::bin(&self.hourly.by_func[f], t0, STEP_S, train_steps)
                    .iter()
                    .map(|b| b.busy_s as f64 / STEP_S)
                    .fold(0.0, f64::max);
                let cap = peak.ceil() as u32 + 1;
                let mut w = InferWindow::new();
                for x in &s.x[..WINDOW] {
                    w.push(*x);
                }
                r.iter()
                    .enumerate()
                    .map(|(k, &rate)| {
                        if k > 0 {
                            w.push(s.x[k + WINDOW - 1]);
                        }
                        prewarm_target(&w, rate, p.mean_duration_s * 1000.0).min(cap)
                    })
                    .collect()
            })
            .collect()
    }

    /// Forecast metrics on the test steps: the LSTM (given its forecasts) and every baseline.
    pub fn forecast_metrics(
        &self,
        series: &[Option<EncodedSeries>],
        lstm: &BTreeMap<String, Vec<Vec<f32>>>,
    ) -> BTreeMap<String, ForecastMetrics> {
        let train = (
            self.train_hours.0 as f64 * HOUR_S,
            self.train_hours.1 as f64 * HOUR_S,
        );
        let season = (DAY_S / STEP_S) as usize;
        let mut acc: BTreeMap<String, Accum> = BTreeMap::new();
        for (f, s) in series.iter().enumerate() {
            let Some(s) = s else { continue };
            // Training statistics from the training days (for static 2x and the MASE scale);
            // the seasonal baseline needs the day before each test step.
            let inv = &self.hourly.by_func[f];
            let prof = &self.tab.profiles[f];
            let train_steps = ((train.1 - train.0) / STEP_S) as usize;
            let tr: Vec<f32> = series::bin(inv, train.0, STEP_S, train_steps)
                .iter()
                .map(|b| b.count as f32 / STEP_S as f32)
                .collect();
            let train_mean = tr.iter().sum::<f32>() / tr.len().max(1) as f32;
            let hist_t0 = self.hours.0 as f64 * HOUR_S - DAY_S;
            let hist: Vec<f32> = series::bin(inv, hist_t0, STEP_S, season + self.steps())
                .iter()
                .map(|b| b.count as f32 / STEP_S as f32)
                .collect();
            let _ = prof;
            let mut ewma = 0.0f32;
            for k in 0..self.steps() {
                let t = season + k; // index into `hist` of test step k
                let actual = hist[t];
                for b in Baseline::ALL {
                    let fc = b.forecast(&hist, t, train_mean, season, ewma);
                    acc.entry(b.key().to_string()).or_default().add(fc, actual);
                }
                for (name, rates) in lstm {
                    acc.entry(name.clone())
                        .or_default()
                        .add(rates[f][k], actual);
                }
                ewma = 0.3 * actual + 0.7 * ewma;
            }
            for a in acc.values_mut() {
                a.add_naive(&tr);
            }
            let _ = s;
        }
        acc.into_iter().map(|(k, v)| (k, v.finish())).collect()
    }
}

/// Shahrad et al.'s hybrid histogram policy (ATC 2020), per app from the train days: idle
/// times between an app's consecutive invocations in 1-minute bins up to 4 hours; pre-warm
/// window at the 5th percentile (−10 % margin), keep-alive to the 99th (+10 % margin). Apps
/// with fewer than 10 idle times or more than half beyond 4 hours fall back to a time-series
/// forecast of the next idle time (an AR(1) on log idle times standing in for the paper's
/// ARIMA): pre-warm at 85 % of the forecast, keep alive for 30 % of it.
pub fn hybrid_histogram(tab: &Tables, hourly: &Hourly, train: (f64, f64)) -> Vec<Window> {
    let napps = tab.app_funcs.len();
    (0..napps)
        .map(|app| {
            let mut spans: Vec<(f64, f64)> = tab.app_funcs[app]
                .iter()
                .flat_map(|&f| hourly.by_func[f].iter())
                .filter(|i| i.start >= train.0 && i.start < train.1)
                .map(|i| (i.start, i.start + i.duration as f64))
                .collect();
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut idle = Vec::new();
            let mut end = f64::NEG_INFINITY;
            for (s, e) in spans {
                if s > end && end.is_finite() {
                    idle.push(s - end);
                }
                end = end.max(e);
            }
            let oob = idle.iter().filter(|&&x| x > 4.0 * 3600.0).count();
            if idle.len() < 10 || oob * 2 > idle.len() {
                let logs: Vec<f64> = idle.iter().map(|x| x.max(1.0).ln()).collect();
                let next = ar1_forecast(&logs).map(f64::exp).unwrap_or(600.0);
                return Window {
                    prewarm_s: 0.85 * next,
                    keep_s: 0.3 * next,
                };
            }
            let mut bins = [0usize; 240];
            for &x in idle.iter().filter(|&&x| x <= 4.0 * 3600.0) {
                bins[((x / 60.0) as usize).min(239)] += 1;
            }
            let total: usize = bins.iter().sum();
            let pct = |q: f64| -> usize {
                let mut c = 0;
                for (b, &n) in bins.iter().enumerate() {
                    c += n;
                    if c as f64 >= q * total as f64 {
                        return b;
                    }
                }
                239
            };
            let head = pct(0.05);
            let tail = pct(0.99);
            let prewarm = if head == 0 {
                0.0
            } else {
                head as f64 * 60.0 * 0.9
            };
            let keep = ((tail + 1) as f64 * 60.0 * 1.1 - prewarm).max(60.0);
            Window {
                prewarm_s: prewarm,
                keep_s: keep,
            }
        })
        .collect()
}

/// One-step forecast of an AR(1) fitted by least squares (mean-reverting); `None` with fewer
/// than 3 points.
pub fn ar1_forecast(x: &[f64]) -> Option<f64> {
    if x.len() < 3 {
        return x.last().copied();
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for w in x.windows(2) {
        num += (w[0] - mean) * (w[1] - mean);
        den += (w[0] - mean).powi(2);
    }
    let phi = if den > 0.0 {
        (num / den).clamp(-0.99, 0.99)
    } else {
        0.0
    };
    Some(mean + phi * (x[x.len() - 1] - mean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ar1_recovers_a_mean_reverting_series() {
        let x: Vec<f64> = (0..200)
            .map(|i| if i % 2 == 0 { 1.0 } else { 3.0 })
            .collect();
        let f = ar1_forecast(&x).unwrap();
        assert!((f - 1.0).abs() < 0.1, "{f}");
        assert_eq!(ar1_forecast(&[5.0]), Some(5.0));
    }
}
