//! Placement baselines the evaluation compares the hierarchy with. Each returns a schedule:
//! the placement of every function in every evaluated hour. Baselines that need estimates
//! take them from the training days only ([`Estimates`]); those that care about carbon read
//! the current hour's intensity, as a deployed system would from a carbon API.

use hdrl_infer::Provider;
use hdrl_infer::placement::TACTICAL_ACTIONS;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::workload::Profile;
use crate::sim::env::action_mask;
use crate::sim::estimates::Estimates;
use crate::sim::tables::{PLACEMENTS, Tables};
use crate::sim::{Placement, Sim};

/// `schedule[f][h − h0]` for hours `[h0, h1)`.
pub type Schedule = Vec<Vec<Placement>>;

fn feasible(p: &Profile) -> Vec<Placement> {
    let mask = action_mask(p);
    Placement::all_for(p.home_region).filter(|pl| mask[pl.action_for(p.home_region)]).collect()
}

fn constant(tab: &Tables, hours: (usize, usize), pick: impl Fn(usize) -> Placement) -> Schedule {
    (0..tab.profiles.len()).map(|f| vec![pick(f); hours.1 - hours.0]).collect()
}

fn argmin(c: impl Iterator<Item = (Placement, f64)>) -> Option<Placement> {
    c.min_by(|a, b| a.1.total_cmp(&b.1)).map(|x| x.0)
}

/// The placement when no tier fits.
fn fallback(p: &Profile) -> Placement {
    crate::sim::tables::default_placement(p, Provider::Aws)
}

/// Every function at the placement that minimises `score(f, placement)` among tiers that
/// fit, in every hour.
fn minimising(tab: &Tables, hours: (usize, usize), score: impl Fn(usize, Placement) -> f64) -> Schedule {
    constant(tab, hours, |f| {
        let p = &tab.profiles[f];
        argmin(feasible(p).into_iter().map(|pl| (pl, score(f, pl)))).unwrap_or_else(|| fallback(p))
    })
}

/// Uniformly random: provider per app and day, region and tier per function and hour (among
/// tiers that fit), from a seed.
pub fn random(tab: &Tables, hours: (usize, usize), seed: u64) -> Schedule {
    let mut rng = StdRng::seed_from_u64(seed);
    let days = hours.1.div_ceil(24);
    let prov: Vec<Vec<Provider>> =
        (0..tab.app_funcs.len()).map(|_| (0..days).map(|_| Provider::ALL[rng.random_range(0..3)]).collect()).collect();
    (0..tab.profiles.len())
        .map(|f| {
            let mask = action_mask(&tab.profiles[f]);
            let allowed: Vec<usize> = (0..TACTICAL_ACTIONS).filter(|&a| mask[a]).collect();
            (hours.0..hours.1)
                .map(|h| {
                    let p = prov[tab.profiles[f].app as usize][h / 24];
                    Placement::from_action(p, allowed[rng.random_range(0..allowed.len())], tab.profiles[f].home_region)
                })
                .collect()
        })
        .collect()
}

/// Every function at the placement that minimises `score(f, h, placement)` among tiers that
/// fit, re-planned every hour.
fn minimising_hourly(tab: &Tables, hours: (usize, usize), score: impl Fn(usize, usize, Placement) -> f64) -> Schedule {
    (0..tab.profiles.len())
        .map(|f| {
            let p = &tab.profiles[f];
            let cands = feasible(p);
            (hours.0..hours.1)
                .map(|h| argmin(cands.iter().map(|&pl| (pl, score(f, h, pl)))).unwrap_or_else(|| fallback(p)))
                .collect()
        })
        .collect()
}

/// Minimum expected cost per invocation, among tiers that fit.
pub fn cheapest(tab: &Tables, est: &Estimates, hours: (usize, usize)) -> Schedule {
    minimising(tab, hours, |f, pl| est.of(tab, f, pl).cost_usd)
}

/// Minimum expected latency (RTT + execution + expected cold start), among tiers that fit.
pub fn fastest(tab: &Tables, est: &Estimates, hours: (usize, usize)) -> Schedule {
    minimising(tab, hours, |f, pl| est.of(tab, f, pl).latency_ms)
}

/// Minimum expected carbon per invocation in the current hour, among tiers that fit.
pub fn greenest(sim: &Sim, tab: &Tables, est: &Estimates, hours: (usize, usize)) -> Schedule {
    minimising_hourly(tab, hours, |f, h, pl| {
        est.of(tab, f, pl).energy_kwh * sim.carbon.at_hour(pl.provider, pl.region as usize, h)
    })
}

/// Caribou-style greedy carbon-aware placement, re-planned every hour: the placement with the
/// lowest expected carbon at the current hour's intensity whose expected latency meets the
/// function's SLA; the fastest one when none does.
pub fn greedy_carbon(sim: &Sim, tab: &Tables, est: &Estimates, hours: (usize, usize)) -> Schedule {
    (0..tab.profiles.len())
        .map(|f| {
            let p = &tab.profiles[f];
            let cands: Vec<(Placement, f64)> =
                feasible(p).into_iter().map(|pl| (pl, est.of(tab, f, pl).latency_ms)).collect();
            let fast = argmin(cands.iter().copied()).unwrap_or_else(|| fallback(p));
            (hours.0..hours.1)
                .map(|h| {
                    let carbon = |pl: Placement| {
                        est.of(tab, f, pl).energy_kwh * sim.carbon.at_hour(pl.provider, pl.region as usize, h)
                    };
                    argmin(cands.iter().filter(|c| c.1 <= p.sla_ms as f64).map(|c| (c.0, carbon(c.0)))).unwrap_or(fast)
                })
                .collect()
        })
        .collect()
}

/// The policy a careful engineer writes without learning: per function and hour, the feasible
/// placement with the best expected reward from the training-day estimates at the current
/// hour's carbon intensity, counting the cold starts a move to another placement costs.
pub fn expected_best(sim: &Sim, tab: &Tables, est: &Estimates, hours: (usize, usize)) -> Schedule {
    expected_best_ahead(sim, tab, est, hours, 1)
}

/// Hours over which `expected_best_6h` (and the PPO's teacher, `BcConfig::teacher_ahead`)
/// judges a move.
pub const LOOKAHEAD_HOURS: usize = 6;

/// [`expected_best`] with every move judged over `ahead` hours instead of one
/// ([`Estimates::best_ahead`]): the placement with the best expected reward summed over the
/// next `ahead` hours (at each hour's carbon intensity, a perfect carbon forecast), the move's
/// cold starts counted once. The one-hour rule never leaves a placement whose move costs more
/// in its first hour than that hour gains; this one does when the move pays back.
pub fn expected_best_ahead(sim: &Sim, tab: &Tables, est: &Estimates, hours: (usize, usize), ahead: usize) -> Schedule {
    (0..tab.profiles.len())
        .map(|f| {
            let mut prev: Option<Placement> = None;
            (hours.0..hours.1)
                .map(|h| {
                    let pl = est.best_ahead(sim, tab, f, h, prev, ahead).0;
                    prev = Some(pl);
                    pl
                })
                .collect()
        })
        .collect()
}

/// One provider, region and tier for everything (the tier raised to the smallest that fits
/// where needed), chosen for the best mean reward over the train days.
pub fn best_fixed(tab: &Tables, hours: (usize, usize), train_hours: (usize, usize)) -> (Schedule, Placement) {
    let all: Vec<Placement> = Placement::all_for(0).collect();
    let fit = |f: usize, pl: Placement| -> Placement {
        let min = hdrl_infer::placement::smallest_tier_fitting(tab.profiles[f].memory_need_mb);
        Placement::new(pl.provider, pl.region as usize, (pl.tier as usize).max(min))
    };
    let index = |f: usize, pl: Placement| pl.index_for(tab.profiles[f].home_region);
    let mut best = (all[0], f64::NEG_INFINITY);
    for &pl in &all {
        let (mut sum, mut n) = (0.0, 0usize);
        for f in 0..tab.profiles.len() {
            let k = index(f, fit(f, pl));
            for h in train_hours.0..train_hours.1.min(tab.hours) {
                if tab.hour[f][h].n > 0 {
                    sum += tab.reward_at(f, h, k) as f64;
                    n += 1;
                }
            }
        }
        let mean = if n == 0 { f64::NEG_INFINITY } else { sum / n as f64 };
        if mean > best.1 {
            best = (pl, mean);
        }
    }
    (constant(tab, hours, |f| fit(f, best.0)), best.0)
}

/// Hindsight oracle: for every function and day, the placement with the best sum of hourly
/// rewards (the score a policy is judged by) given that day's actual invocations, held for the
/// day. An upper reference no online policy can reach with the same information.
pub fn oracle(tab: &Tables, hours: (usize, usize)) -> Schedule {
    (0..tab.profiles.len())
        .map(|f| {
            let fallback = crate::sim::tables::default_placement(&tab.profiles[f], Provider::Aws);
            let mut row = Vec::with_capacity(hours.1 - hours.0);
            let mut h = hours.0;
            while h < hours.1 {
                let day_end = ((h / 24 + 1) * 24).min(hours.1);
                let score = |k: usize| -> f64 {
                    (h..day_end.min(tab.hours))
                        .filter(|&x| tab.hour[f][x].n > 0)
                        .map(|x| tab.reward_at(f, x, k) as f64)
                        .sum()
                };
                let any = (h..day_end.min(tab.hours)).any(|x| tab.hour[f][x].n > 0);
                let pl = if any {
                    Placement::from_index(
                        (0..PLACEMENTS).max_by(|&a, &b| score(a).total_cmp(&score(b))).unwrap_or(0),
                        tab.profiles[f].home_region,
                    )
                } else {
                    fallback
                };
                row.extend(std::iter::repeat_n(pl, day_end - h));
                h = day_end;
            }
            row
        })
        .collect()
}

/// Hindsight oracle per hour: for every function-hour, the placement with the best reward given
/// that hour's actual invocations, ignoring the cold starts of moving between hours (the
/// simulation charges them). An upper reference.
pub fn oracle_hourly(tab: &Tables, hours: (usize, usize)) -> Schedule {
    (0..tab.profiles.len())
        .map(|f| {
            let p = &tab.profiles[f];
            let mut last = crate::sim::tables::default_placement(p, Provider::Aws);
            (hours.0..hours.1)
                .map(|h| {
                    if h < tab.hours && tab.hour[f][h].n > 0 {
                        let k = (0..PLACEMENTS)
                            .max_by(|&a, &b| tab.reward_at(f, h, a).total_cmp(&tab.reward_at(f, h, b)))
                            .unwrap_or(0);
                        last = Placement::from_index(k, p.home_region);
                    }
                    last
                })
                .collect()
        })
        .collect()
}
