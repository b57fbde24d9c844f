//! What a careful engineer can know about each function from its training days alone, per
//! placement: the expected cost, latency, SLA-violation probability and energy of one
//! invocation, staying on the placement and after moving to it; and the placement with the best
//! expected reward. Every placement baseline that needs estimates takes them from here, and so
//! does the behaviour-cloning teacher of the tactical layer.
//!
//! Each training invocation of the function is run on every placement (execution scaled by
//! the placement's CPU share); it starts cold with the provider's training-day cold-start
//! fraction, paying the placement's mean cold-start latency. After a move the fraction is the
//! one measured with the pool emptied at every hour start (every instance the hour needs
//! starts cold). Carbon is not estimated here: it is the energy times the intensity of the hour
//! a baseline decides for.

use hdrl_infer::Provider;
use hdrl_infer::placement::{TACTICAL_ACTIONS, allowed_actions};

use crate::data::workload::{HOUR_S, Hourly};
use crate::sim::tables::{PLACEMENTS, Tables};
use crate::sim::{Placement, Sim};

/// The expectation of one invocation of a function on one placement.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Expected {
    /// Billed USD.
    pub cost_usd: f64,
    /// End-to-end latency, ms.
    pub latency_ms: f64,
    /// Probability of an SLA violation (out of memory, or latency above the SLA).
    pub violation: f64,
    /// Energy, kWh.
    pub energy_kwh: f64,
    /// Latency in an hour that starts on this placement with an empty pool (a move), ms.
    pub moved_latency_ms: f64,
    /// Violation probability in such an hour.
    pub moved_violation: f64,
}

/// Training-day estimates of every function.
pub struct Estimates {
    /// `[f][placement index]` ([`Placement::index_for`] the function's home).
    pub per: Vec<Vec<Expected>>,
    /// `[f][provider]`: fraction of training invocations that started cold, staying and
    /// moved every hour.
    pub cold_frac: Vec<[(f64, f64); 3]>,
}

/// Fraction of invocations that started cold on each provider over the train hours, staying
/// and moved every hour (1 when the function had none).
fn cold_frac(tab: &Tables, f: usize, train_hours: (usize, usize)) -> [(f64, f64); 3] {
    let (mut n, mut c, mut m) = (0.0, [0.0; 3], [0.0; 3]);
    for h in train_hours.0..train_hours.1.min(tab.hours) {
        let s = tab.hour[f][h];
        n += s.n as f64;
        for p in 0..3 {
            c[p] += s.cold[p] as f64;
            m[p] += s.cold_moved[p] as f64;
        }
    }
    if n == 0.0 { [(1.0, 1.0); 3] } else { [0, 1, 2].map(|p| (c[p] / n, m[p] / n)) }
}

impl Estimates {
    /// Estimate from the training hours `train_hours`.
    pub fn new(sim: &Sim, tab: &Tables, hourly: &Hourly, train_hours: (usize, usize)) -> Self {
        let (t0, t1) = (train_hours.0 as f64 * HOUR_S, train_hours.1 as f64 * HOUR_S);
        let mut per = Vec::with_capacity(tab.profiles.len());
        let mut fracs = Vec::with_capacity(tab.profiles.len());
        for (f, prof) in tab.profiles.iter().enumerate() {
            let inv: Vec<_> = hourly.by_func[f].iter().filter(|i| i.start >= t0 && i.start < t1).collect();
            let cf = cold_frac(tab, f, train_hours);
            // A function without training invocations is estimated from its mean duration.
            let mean_d = [prof.mean_duration_s as f64];
            let durations: Vec<f64> =
                if inv.is_empty() { mean_d.to_vec() } else { inv.iter().map(|i| i.duration as f64).collect() };
            let row = (0..PLACEMENTS)
                .map(|k| {
                    let pl = Placement::from_index(k, prof.home_region);
                    expect(sim, prof, pl, &durations, cf[pl.provider as usize])
                })
                .collect();
            per.push(row);
            fracs.push(cf);
        }
        Self { per, cold_frac: fracs }
    }

    /// The expectation of function `f` on a placement.
    pub fn of(&self, tab: &Tables, f: usize, pl: Placement) -> Expected {
        self.per[f][pl.index_for(tab.profiles[f].home_region)]
    }

    /// The expected reward of function `f` in hour `h` on a placement, with the hour's carbon
    /// intensity of the placement's region, and the cost of a move when `moved`.
    pub fn reward(&self, sim: &Sim, tab: &Tables, f: usize, h: usize, pl: Placement, moved: bool) -> f64 {
        let e = self.of(tab, f, pl);
        let (lat, viol) = if moved { (e.moved_latency_ms, e.moved_violation) } else { (e.latency_ms, e.violation) };
        let carbon = e.energy_kwh * sim.carbon.at_hour(pl.provider, pl.region as usize, h);
        sim.bounds.reward(e.cost_usd as f32, lat as f32, carbon as f32, viol.min(1.0) as f32).total as f64
    }
}

/// Equal-probability slices of the cold-start latency distribution in a violation estimate.
const COLD_SLICES: usize = 32;

impl Estimates {
    /// The placement of provider `p` (any region, a tier that fits) with the best expected
    /// reward for function `f` in hour `h`, a move counted unless it is `prev`; and that reward.
    pub fn best_within(
        &self,
        sim: &Sim,
        tab: &Tables,
        f: usize,
        h: usize,
        p: Provider,
        prev: Option<Placement>,
    ) -> (Placement, f64) {
        self.best_within_ahead(sim, tab, f, h, p, prev, 1)
    }

    /// [`Estimates::best_within`] for a placement held `ahead` hours (≥ 1): the move's cost
    /// counted once against the expected rewards of the hours `h .. h + ahead` (within the
    /// tables; each at its hour's carbon intensity, a perfect carbon forecast), so a move that
    /// pays back over several hours is made; and that sum.
    #[allow(clippy::too_many_arguments)]
    pub fn best_within_ahead(
        &self,
        sim: &Sim,
        tab: &Tables,
        f: usize,
        h: usize,
        p: Provider,
        prev: Option<Placement>,
        ahead: usize,
    ) -> (Placement, f64) {
        let prof = &tab.profiles[f];
        let ok = allowed_actions(prof.memory_need_mb);
        let mut best: Option<(Placement, f64)> = None;
        let end = (h + ahead.max(1)).min(tab.hours.max(h + 1));
        for a in (0..TACTICAL_ACTIONS).filter(|&a| ok[a]) {
            let pl = Placement::from_action(p, a, prof.home_region);
            let r = self.reward(sim, tab, f, h, pl, prev != Some(pl));
            let score = r + (h + 1..end).map(|k| self.reward(sim, tab, f, k, pl, false)).sum::<f64>();
            if best.is_none_or(|b| score > b.1) {
                best = Some((pl, score));
            }
        }
        // `allowed_actions` never forbids every action.
        best.unwrap_or((Placement::from_action(p, 0, prof.home_region), f64::NEG_INFINITY))
    }

    /// The day rewards of the planner within each provider: `[f][d][provider]` is the mean
    /// hourly reward (over the hours of day `d` with traffic, moves counted, exact tables) of
    /// re-planning function `f`'s region and tier every hour with [`Estimates::best_within`] on
    /// that provider, starting from its default placement. What the strategic layer's choice of
    /// provider is worth when the tactical layer plans as well as the estimates can.
    pub fn planned_day_rewards(&self, sim: &Sim, tab: &Tables) -> Vec<Vec<[f32; 3]>> {
        self.plan_days(sim, tab, |f, h, pl, prev, _| {
            tab.reward_after(f, h, pl.index_for(tab.profiles[f].home_region), prev) as f64
        })
    }

    /// The same plan as [`Estimates::planned_day_rewards`], each hour scored by the reward the
    /// estimates expect of it instead of the one the day's invocations realised: the planner's
    /// own view of what each provider is worth that day, without the day's luck (which
    /// invocations started cold, which tail latencies broke the SLA). `expected_best` picks its
    /// provider by these values; a strategic learner regressing them learns that choice.
    pub fn expected_day_rewards(&self, sim: &Sim, tab: &Tables) -> Vec<Vec<[f32; 3]>> {
        self.plan_days(sim, tab, |_, _, _, _, expected| expected)
    }

    /// `[f][d][provider]`: the mean over day `d`'s hours with traffic of `score(f, h, placement,
    /// previous placement, expected reward)` along the hourly plan of [`Estimates::best_within`]
    /// on that provider, starting from its default placement.
    fn plan_days(
        &self,
        sim: &Sim,
        tab: &Tables,
        score: impl Fn(usize, usize, Placement, Placement, f64) -> f64,
    ) -> Vec<Vec<[f32; 3]>> {
        (0..tab.profiles.len())
            .map(|f| {
                let prof = &tab.profiles[f];
                (0..tab.days)
                    .map(|d| {
                        Provider::ALL.map(|p| {
                            let mut prev = crate::sim::tables::default_placement(prof, p);
                            let (mut sum, mut n) = (0.0f64, 0usize);
                            for h in (d * 24..(d + 1) * 24).filter(|&h| h < tab.hours && tab.hour[f][h].n > 0) {
                                let (pl, expected) = self.best_within(sim, tab, f, h, p, Some(prev));
                                sum += score(f, h, pl, prev, expected);
                                prev = pl;
                                n += 1;
                            }
                            if n == 0 { 0.0 } else { (sum / n as f64) as f32 }
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// The placement (any provider) with the best expected reward, as [`Estimates::best_within`].
    pub fn best(&self, sim: &Sim, tab: &Tables, f: usize, h: usize, prev: Option<Placement>) -> (Placement, f64) {
        self.best_ahead(sim, tab, f, h, prev, 1)
    }

    /// [`Estimates::best`] with the move judged over `ahead` hours
    /// ([`Estimates::best_within_ahead`] on every provider), and the summed reward.
    pub fn best_ahead(
        &self,
        sim: &Sim,
        tab: &Tables,
        f: usize,
        h: usize,
        prev: Option<Placement>,
        ahead: usize,
    ) -> (Placement, f64) {
        Provider::ALL
            .into_iter()
            .map(|p| self.best_within_ahead(sim, tab, f, h, p, prev, ahead))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((Placement::from_action(Provider::Aws, 0, tab.profiles[f].home_region), f64::NEG_INFINITY))
    }
}

/// The expectation over `durations` (reference seconds) on one placement, with cold-start
/// probability `cf` staying and `cm` after a move.
fn expect(
    sim: &Sim,
    prof: &crate::data::workload::Profile,
    pl: Placement,
    durations: &[f64],
    (cf, cm): (f64, f64),
) -> Expected {
    let (rtt, cold, sla, oom) = (sim.rtt_ms(prof, pl), sim.cold_mean_ms(pl), prof.sla_ms as f64, sim.oom(prof, pl));
    // The cold-start latency distribution at the midpoints of 32 equal-probability slices.
    let cold_q: Vec<f64> = (0..COLD_SLICES).map(|k| sim.cold_ms(pl, (k as f64 + 0.5) / COLD_SLICES as f64)).collect();
    let (mut cost, mut exec_ms, mut energy, mut v_warm, mut v_cold) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &d in durations {
        let exec = sim.exec_s(prof, pl, d);
        cost += sim.cost_usd(pl, exec);
        energy += sim.energy_kwh(prof, pl, exec);
        exec_ms += exec * 1000.0;
        let warm = rtt + exec * 1000.0;
        v_warm += (oom || warm > sla) as u8 as f64;
        // P(warm + cold latency > SLA) over the cold-start distribution, not at its mean.
        v_cold +=
            if oom { 1.0 } else { cold_q.iter().filter(|&&c| warm + c > sla).count() as f64 / COLD_SLICES as f64 };
    }
    let n = durations.len().max(1) as f64;
    let (v_warm, v_cold) = (v_warm / n, v_cold / n);
    Expected {
        cost_usd: cost / n,
        latency_ms: rtt + exec_ms / n + cf * cold,
        violation: cf * v_cold + (1.0 - cf) * v_warm,
        energy_kwh: energy / n,
        moved_latency_ms: rtt + exec_ms / n + cm * cold,
        moved_violation: cm * v_cold + (1.0 - cm) * v_warm,
    }
}
