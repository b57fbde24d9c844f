//! Per-interval tables the training environments step through: for every function-hour the
//! reward of each of the 72 placements, and for every app-day the daily statistics under each
//! provider. Built once from the trace with the simulator's per-invocation model, so an
//! environment step is a lookup (PPO needs ≥ 100 k steps/s).
//!
//! Cold starts in the tables come from a pool simulation per function and provider at its
//! default placement (home region, 1024 MB or the smallest tier that fits) with the provider's
//! keep-alive; the evaluation re-simulates every placement exactly. Carbon is the hour's
//! intensity of each placement's region; rewards use the simulator's (derived) bounds.

use hdrl_infer::Provider;
use hdrl_infer::features::{CarbonObs, DayFacts, StrategicObs, TacticalObs};
use hdrl_infer::placement::smallest_tier_fitting;
use hdrl_infer::telemetry::{LatencyHistogram, derived_load};

use crate::data::trace::{Invocation, Trace};
use crate::data::workload::{DAY_S, HOUR_S, Hourly, Profile};
use crate::sim::{Placement, Pool, Sim, Totals, cold_quantile};

/// Placements per function-hour: 3 providers × 24 tactical actions.
pub const PLACEMENTS: usize = 72;

/// Statistics of one function-hour that do not depend on the placement.
#[derive(Clone, Copy, Debug, Default)]
pub struct HourStats {
    /// Invocations.
    pub n: u32,
    /// Sum of reference durations, s.
    pub sum_d: f32,
    /// Cold starts at the default placement of each provider.
    pub cold: [u16; 3],
    /// The same when the hour starts with an empty pool (a move).
    pub cold_moved: [u16; 3],
}

/// What a gateway's telemetry would measure of one function-hour on one placement (the pool
/// warm from the hour before): the same estimators as `hdrl_infer::Telemetry`'s.
#[derive(Clone, Copy, Debug, Default)]
pub struct HourObs {
    /// 95th-percentile end-to-end latency, ms (`LatencyHistogram`'s estimate).
    pub p95_ms: f32,
    /// Mean number in flight: end-to-end latencies summed over the hour / 3600 s.
    pub conc: f32,
    /// Mean billed cost per invocation × 10⁶, USD.
    pub cost_per_m: f32,
}

/// Daily statistics of one app under one provider (default region and tier).
#[derive(Clone, Copy, Debug, Default)]
pub struct DayStats {
    /// Totals over the day.
    pub totals: Totals,
    /// Latency percentiles p50, p95, p99, ms.
    pub latency_pct: [f32; 3],
    /// Peak invocations in one minute.
    pub peak_per_min: f32,
}

/// Memory tier of the default placement when the function needs less: 1024 MB.
pub const DEFAULT_TIER: usize = 3;

/// The default (fixed) placement of a function on a provider: its home region, 1024 MB or the
/// smallest tier that fits if that is larger.
pub fn default_placement(p: &Profile, provider: Provider) -> Placement {
    Placement::new(provider, p.home_region as usize, smallest_tier_fitting(p.memory_need_mb).max(DEFAULT_TIER))
}

/// All tables of a trace.
pub struct Tables {
    /// Function profiles.
    pub profiles: Vec<Profile>,
    /// Hours covered.
    pub hours: usize,
    /// Days covered.
    pub days: usize,
    /// `[f][h]` statistics.
    pub hour: Vec<Vec<HourStats>>,
    /// `[f][h][placement]` reward (0 for empty hours), the pool warm from the hour before.
    pub reward: Vec<f32>,
    /// The same when the placement changed at the start of the hour: the new pool starts
    /// empty, so every instance the hour needs starts cold ([`ColdFlags::moved`]).
    pub reward_moved: Vec<f32>,
    /// `[f][h][placement]` what the hour's telemetry shows (zeros for empty hours).
    pub hour_obs: Vec<HourObs>,
    /// Per function and provider, the region and tier with the best training-hours reward.
    pub tactical_best: Vec<[Placement; 3]>,
    /// `[function][day][provider]` statistics, on the function's `tactical_best` placement.
    pub day: Vec<Vec<[DayStats; 3]>>,
    /// Functions of each app.
    pub app_funcs: Vec<Vec<usize>>,
    /// Cold-start flags of every invocation: [`cold_flags`].
    pub cold: ColdFlags,
}

impl Tables {
    /// Build the tables with the simulator's reward bounds (a few seconds for the full 2 M-invocation
    /// trace). `cold` is [`cold_flags`] of the same trace; `train_hours` bounds the hours used to
    /// pick [`Tables::tactical_best`].
    pub fn build(
        sim: &Sim,
        t: &Trace,
        profiles: Vec<Profile>,
        hourly: &Hourly,
        cold: ColdFlags,
        train_hours: (usize, usize),
    ) -> Self {
        let hours = hourly.hours;
        let days = hours.div_ceil(24);
        let (hour, reward, reward_moved, hour_obs) = hour_tables(sim, &profiles, hourly, &cold);
        let tactical_best = tactical_best(&profiles, &hour, &reward, hours, train_hours);
        let mut app_funcs = vec![Vec::new(); t.apps.len()];
        for (f, p) in profiles.iter().enumerate() {
            app_funcs[p.app as usize].push(f);
        }
        let day = (0..profiles.len())
            .map(|f| day_stats(sim, &profiles, hourly, &cold.stay, &tactical_best, f, days))
            .collect();
        Self { profiles, hours, days, hour, reward, reward_moved, hour_obs, tactical_best, day, app_funcs, cold }
    }

    /// Reward of placement index `k` ([`Placement::index_for`] the function's home) for
    /// function `f` in hour `h`.
    pub fn reward_at(&self, f: usize, h: usize, k: usize) -> f32 {
        self.reward[(f * self.hours + h) * PLACEMENTS + k]
    }

    /// Reward of placement index `k` for function `f` in hour `h` when the previous hour ran
    /// on `prev` (a move starts an empty pool).
    pub fn reward_after(&self, f: usize, h: usize, k: usize, prev: Placement) -> f32 {
        let home = self.profiles[f].home_region;
        let i = (f * self.hours + h) * PLACEMENTS + k;
        if Placement::from_index(k, home) == prev { self.reward[i] } else { self.reward_moved[i] }
    }

    /// The tactical observation of function `f` after running hour `h` on `pl`: what a
    /// gateway's telemetry shows of that hour (`hdrl_infer::Telemetry::tactical`, with the same
    /// estimators: p95 from its latency histogram, mean in-flight from end-to-end latencies,
    /// mean billed cost, memory and CPU from [`derived_load`]).
    pub fn tactical_obs(&self, f: usize, h: usize, pl: Placement) -> TacticalObs {
        let prof = &self.profiles[f];
        let hs = self.hour.get(f).and_then(|v| v.get(h)).copied().unwrap_or_default();
        if hs.n == 0 {
            return self.placed(f, pl);
        }
        let n = hs.n as f64;
        let o = self.hour_obs[(f * self.hours + h) * PLACEMENTS + pl.index_for(prof.home_region)];
        let cold_frac = hs.cold[pl.provider as usize] as f64 / n;
        let (memory, cpu) = derived_load(o.conc as f64, true, prof.memory_need_mb as f64, prof.cpu_frac as f64);
        TacticalObs {
            latency_ms: o.p95_ms,
            cost_usd_per_m: o.cost_per_m,
            request_rate: (n / HOUR_S) as f32,
            memory_used_mb: memory as f32,
            cpu_util: cpu as f32,
            queue_depth: o.conc,
            cold_start_prob: cold_frac as f32,
            ..self.placed(f, pl)
        }
    }

    /// An empty tactical observation that says only where function `f` runs.
    fn placed(&self, f: usize, pl: Placement) -> TacticalObs {
        let home = self.profiles[f].home_region;
        TacticalObs {
            region_rank: hdrl_infer::placement::rank_of_region(home, pl.region as usize) as u8,
            memory_tier: pl.tier,
            ..Default::default()
        }
    }

    /// What a carbon API tells a decision at the start of trace hour `h`: every region's
    /// intensity this hour and its mean over the 24 hours before.
    pub fn carbon_obs(&self, sim: &Sim, h: usize) -> CarbonObs {
        let c = &sim.carbon;
        CarbonObs {
            now: Provider::ALL.map(|p| std::array::from_fn(|s| c.at_hour(p, s, h) as f32)),
            past_day: Provider::ALL.map(|p| std::array::from_fn(|s| c.past_day_mean(p, s, h) as f32)),
        }
    }

    /// The strategic observation of function `f` on day `d` (from days `d−3 … d−1`) while on
    /// `provider`.
    pub fn strategic_obs(&self, f: usize, d: usize, provider: Provider) -> StrategicObs {
        let p = provider as usize;
        let hist: Vec<DayFacts> = (d.saturating_sub(3)..d)
            .map(|x| {
                let s = &self.day[f][x][p];
                let n = s.totals.n;
                DayFacts {
                    invocations: n as f64,
                    cost_usd_per_m: if n > 0 { s.totals.cost_usd / n as f64 * 1e6 } else { 0.0 },
                    latency_pct: s.latency_pct,
                    peak_per_min: s.peak_per_min,
                }
            })
            .collect();
        StrategicObs::from_days(&hist)
    }

    /// The reward of running function `f` on `provider` for day `d` on its `tactical_best`
    /// placement: the mean hourly reward over the day's hours with traffic (the score a policy
    /// is judged by), 0 for a day without traffic.
    pub fn day_reward(&self, f: usize, d: usize, provider: Provider) -> f32 {
        let k = self.tactical_best[f][provider as usize].index_for(self.profiles[f].home_region);
        let (mut sum, mut n) = (0.0f64, 0usize);
        for h in (d * 24..(d + 1) * 24).filter(|&h| h < self.hours && self.hour[f][h].n > 0) {
            sum += self.reward_at(f, h, k) as f64;
            n += 1;
        }
        if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
    }
}

/// Cold-start flag of every invocation (in `Hourly::by_func` order), per function and provider,
/// on the provider's default placement with its own keep-alive.
#[derive(Clone, Debug, Default)]
pub struct ColdFlags {
    /// The placement kept: the pool carries over from hour to hour.
    pub stay: Vec<[Vec<bool>; 3]>,
    /// The placement new at every hour: the pool starts empty at each hour's start (what a move
    /// to another placement costs: every instance the hour needs starts cold).
    pub moved: Vec<[Vec<bool>; 3]>,
}

/// Simulate the pools of every function and provider, once carrying over and once emptied at
/// every hour start.
pub fn cold_flags(sim: &Sim, profiles: &[Profile], hourly: &Hourly) -> ColdFlags {
    let run = |reset: bool| -> Vec<[Vec<bool>; 3]> {
        profiles
            .iter()
            .enumerate()
            .map(|(f, prof)| {
                let inv = &hourly.by_func[f];
                Provider::ALL.map(|p| {
                    let pl = default_placement(prof, p);
                    let mut pool = Pool::new(pl, Pool::provider_window(pl));
                    let mut tot = Totals::default();
                    let mut hour = usize::MAX;
                    inv.iter()
                        .enumerate()
                        .map(|(k, i)| {
                            let h = (i.start / HOUR_S) as usize;
                            if reset && h != hour {
                                pool = Pool::new(pl, Pool::provider_window(pl));
                                hour = h;
                            }
                            pool.serve(sim, prof, i.start, i.duration as f64, cold_quantile(f, k), &mut tot).cold
                        })
                        .collect()
                })
            })
            .collect()
    };
    ColdFlags { stay: run(false), moved: run(true) }
}

/// Totals of some invocations of function `f` (one function-hour, say), the first of them its
/// `first`-th, on a placement, cold where `cold` says. A cold invocation pays the placement's
/// cold-start latency at the invocation's common random quantile, as in the exact simulation.
/// When `latency` is given, every invocation's end-to-end latency is also counted into it (the
/// telemetry's p95 estimator).
#[allow(clippy::too_many_arguments)]
pub fn hour_totals(
    sim: &Sim,
    f: usize,
    first: usize,
    pl: Placement,
    inv: &[Invocation],
    cold: &[bool],
    prof: &Profile,
    mut latency: Option<&mut LatencyHistogram>,
) -> Totals {
    let mut tot = Totals::default();
    for (j, (i, &c)) in inv.iter().zip(cold).enumerate() {
        let cold_ms = if c { sim.cold_ms(pl, cold_quantile(f, first + j)) } else { 0.0 };
        let o = sim.invocation(prof, pl, i.duration as f64, cold_ms, i.start);
        if let Some(h) = latency.as_deref_mut() {
            h.record(o.latency_ms);
        }
        tot.add(&o);
    }
    tot
}

/// Per function and hour: the statistics, and the reward of every placement staying (the
/// pool warm from the hour before) and moved (an empty pool).
#[allow(clippy::type_complexity)]
fn hour_tables(
    sim: &Sim,
    profiles: &[Profile],
    hourly: &Hourly,
    cold: &ColdFlags,
) -> (Vec<Vec<HourStats>>, Vec<f32>, Vec<f32>, Vec<HourObs>) {
    let (nf, hours) = (profiles.len(), hourly.hours);
    let mut hour = vec![vec![HourStats::default(); hours]; nf];
    let mut reward = vec![0.0f32; nf * hours * PLACEMENTS];
    let mut reward_moved = vec![0.0f32; nf * hours * PLACEMENTS];
    let mut hour_obs = vec![HourObs::default(); nf * hours * PLACEMENTS];
    for (f, prof) in profiles.iter().enumerate() {
        let placements: Vec<Placement> = Placement::all_for(prof.home_region).collect();
        for (h, &(a, b)) in hourly.idx[f].iter().enumerate().take(hours) {
            let inv = hourly.get(f, h);
            if inv.is_empty() {
                continue;
            }
            let mut hs = HourStats { n: inv.len() as u32, ..Default::default() };
            hs.sum_d = inv.iter().map(|i| i.duration).sum();
            let count = |flags: &[bool]| flags[a as usize..b as usize].iter().filter(|&&c| c).count() as u16;
            for p in 0..3 {
                hs.cold[p] = count(&cold.stay[f][p]);
                hs.cold_moved[p] = count(&cold.moved[f][p]);
            }
            hour[f][h] = hs;
            let base = (f * hours + h) * PLACEMENTS;
            for (k, pl) in placements.iter().enumerate() {
                let (p, r) = (pl.provider as usize, a as usize..b as usize);
                let mut latency = LatencyHistogram::new();
                let stay =
                    hour_totals(sim, f, a as usize, *pl, inv, &cold.stay[f][p][r.clone()], prof, Some(&mut latency));
                reward[base + k] = sim.reward(&stay).total;
                hour_obs[base + k] = HourObs {
                    p95_ms: latency.quantile(0.95) as f32,
                    conc: (stay.latency_ms / 1000.0 / HOUR_S) as f32,
                    cost_per_m: (stay.cost_usd / stay.n.max(1) as f64 * 1e6) as f32,
                };
                let moved = hour_totals(sim, f, a as usize, *pl, inv, &cold.moved[f][p][r], prof, None);
                reward_moved[base + k] = sim.reward(&moved).total;
            }
        }
    }
    (hour, reward, reward_moved, hour_obs)
}

/// What a competent tactical layer would run each function on, per provider: the region and
/// tier with the best reward summed over the training hours. The strategic layer is trained
/// on days run this way, so it values a provider as the hierarchy will use it.
fn tactical_best(
    profiles: &[Profile],
    hour: &[Vec<HourStats>],
    reward: &[f32],
    hours: usize,
    train_hours: (usize, usize),
) -> Vec<[Placement; 3]> {
    profiles
        .iter()
        .enumerate()
        .map(|(f, prof)| {
            Provider::ALL.map(|p| {
                let score = |a: usize| -> f64 {
                    let k = p as usize * hdrl_infer::placement::TACTICAL_ACTIONS + a;
                    (train_hours.0..train_hours.1.min(hours))
                        .filter(|&h| hour[f][h].n > 0)
                        .map(|h| reward[(f * hours + h) * PLACEMENTS + k] as f64)
                        .sum()
                };
                let mask = hdrl_infer::placement::allowed_actions(prof.memory_need_mb);
                (0..hdrl_infer::placement::TACTICAL_ACTIONS)
                    .filter(|&a| mask[a])
                    .max_by(|&a, &b| score(a).total_cmp(&score(b)))
                    .map(|a| Placement::from_action(p, a, prof.home_region))
                    .unwrap_or_else(|| default_placement(prof, p))
            })
        })
        .collect()
}

/// Day statistics of function `f` on each provider, on its `tactical_best` placement.
fn day_stats(
    sim: &Sim,
    profiles: &[Profile],
    hourly: &Hourly,
    cold: &[[Vec<bool>; 3]],
    best: &[[Placement; 3]],
    f: usize,
    days: usize,
) -> Vec<[DayStats; 3]> {
    let mut out = vec![[DayStats::default(); 3]; days];
    let prof = &profiles[f];
    for p in 0..Provider::ALL.len() {
        let pl = best[f][p];
        for (d, slot) in out.iter_mut().enumerate() {
            let (t0, t1) = (d as f64 * DAY_S, (d + 1) as f64 * DAY_S);
            let mut tot = Totals::default();
            let mut lat = LatencyHistogram::new();
            let mut per_min = vec![0u32; 1440];
            let inv = &hourly.by_func[f];
            let first = inv.partition_point(|i| i.start < t0);
            for (k, i) in inv.iter().enumerate().skip(first).take_while(|(_, i)| i.start < t1) {
                let cold_ms = if cold[f][p][k] { sim.cold_ms(pl, cold_quantile(f, k)) } else { 0.0 };
                let o = sim.invocation(prof, pl, i.duration as f64, cold_ms, i.start);
                tot.add(&o);
                lat.record(o.latency_ms);
                per_min[(((i.start - t0) / 60.0) as usize).min(1439)] += 1;
            }
            slot[p] = DayStats {
                totals: tot,
                // The telemetry's estimator (a gateway keeps a histogram, not the latencies).
                latency_pct: [0.5, 0.95, 0.99].map(|q| lat.quantile(q) as f32),
                peak_per_min: per_min.iter().copied().max().unwrap_or(0) as f32,
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::workload::{Split, profiles};

    #[test]
    fn tables_agree_with_direct_simulation() {
        let sim = Sim::new().unwrap();
        let t = crate::data::synth::generate(5, 0.01);
        let split = Split::for_days(t.days());
        let mem = crate::data::trace::load_memory_str(crate::data::refdata::AZURE2019_MEMORY).unwrap();
        let hourly = Hourly::new(&t);
        let prof = profiles(&t, &split, &mem);
        let cold = cold_flags(&sim, &prof, &hourly);
        let tab = Tables::build(&sim, &t, prof, &hourly, cold, (0, split.train.1 * 24));
        assert_eq!(tab.hours, 14 * 24);
        // Find a busy function-hour and recompute one placement's reward by hand (all warm
        // except the recorded cold starts, with mean cold latency).
        let (f, h) = (0..t.funcs.len())
            .flat_map(|f| (0..tab.hours).map(move |h| (f, h)))
            .max_by_key(|&(f, h)| tab.hour[f][h].n)
            .unwrap();
        let inv = hourly.get(f, h);
        assert!(inv.len() > 5);
        let total_n: u64 = (0..t.funcs.len()).flat_map(|f| tab.hour[f].iter()).map(|s| s.n as u64).sum();
        assert_eq!(total_n as usize, t.inv.len());
        let day_n: u64 = tab.day.iter().flat_map(|d| d.iter()).map(|d| d[0].totals.n).sum();
        assert_eq!(day_n as usize, t.inv.len());
        // Rewards are finite and within bounds everywhere.
        assert!(tab.reward.iter().all(|r| r.is_finite() && r.abs() <= 10.0));
        // An hour that starts with an empty pool (a move) has at least one cold start and never
        // fewer than the same hour on a warm pool; so its reward is never higher.
        for f in 0..t.funcs.len() {
            for hs in tab.hour[f].iter().filter(|s| s.n > 0) {
                for p in 0..3 {
                    assert!(hs.cold_moved[p] >= hs.cold[p].max(1), "{hs:?}");
                }
            }
        }
        assert!(tab.reward_moved.iter().zip(&tab.reward).all(|(m, r)| m <= r));
        // A placement below the memory need violates the SLA for every invocation.
        let prof = tab.profiles[f];
        if prof.memory_need_mb > 128.0 {
            let k = Placement::new(Provider::Aws, prof.home_region as usize, 0);
            let idx = k.index_for(prof.home_region);
            assert!(tab.reward_at(f, h, idx) < -8.0);
        }
        let obs = tab.tactical_obs(f, h, default_placement(&prof, Provider::Gcp));
        assert!((obs.request_rate - inv.len() as f32 / 3600.0).abs() < 1e-6);
        let s = tab.strategic_obs(f, 5, Provider::Aws);
        assert!(s.daily_invocations > 0.0 && s.latency_p99_ms >= s.latency_p50_ms);
    }
}
