//! The learned policy on the test days, through hdrl-infer: the hierarchy's schedule, the
//! LSTM's forecasts and pre-warm targets, and int8 against f32 agreement.

use anyhow::Result;
use hdrl_infer::features::{TacticalContext, TacticalObs, WINDOW};
use hdrl_infer::hierarchy::prewarm_target;
use hdrl_infer::{Hierarchy, Precision, Provider, Window as InferWindow};

use crate::data::series;
use crate::data::windows::EncodedSeries;
use crate::data::workload::HOUR_S;
use crate::evaluate::baselines::placement::Schedule;
use crate::evaluate::simulate::{EvalCtx, STEP_S};
use crate::sim::Placement;
use crate::sim::tables::{Tables, default_placement};

/// The DQN's provider of every function on days `[start_day, days)`, `[f][day]` (AWS before
/// `start_day`, and on day 0, which has no history): each day's choice reads the strategic
/// observation under the previous day's provider, as the hierarchy runs.
///
/// # Errors
/// A model error (missing model, non-finite output).
pub fn dqn_providers<P: Precision>(
    h: &Hierarchy<P>,
    tab: &Tables,
    sim: &crate::sim::Sim,
    start_day: usize,
    days: usize,
) -> Result<Vec<Vec<Provider>>> {
    let mut out = Vec::with_capacity(tab.profiles.len());
    for (f, prof) in tab.profiles.iter().enumerate() {
        let app = prof.app_context();
        let mut prov = vec![Provider::Aws; days];
        let mut p = Provider::Aws;
        for (d, slot) in prov.iter_mut().enumerate().take(days).skip(start_day.max(1)) {
            let (s, c) = (tab.strategic_obs(f, d, p), tab.carbon_obs(sim, d * 24));
            p = h.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("DQN: {e}"))?.0;
            *slot = p;
        }
        out.push(prov);
    }
    Ok(out)
}

/// The tactical observation of function `f` before hour `hr` as the hierarchy sees it for
/// `chosen`: the last hour's metrics on the placement it ran on (`prev`), and with no placement
/// before (the first hour played) the metrics of its default placement and the rank
/// [`hdrl_infer::features::ELSEWHERE`], as a gateway's tracker shows a function's first decision.
fn seen(tab: &Tables, f: usize, hr: usize, prev: Option<Placement>, chosen: Provider) -> TacticalObs {
    let ran = prev.unwrap_or_else(|| default_placement(&tab.profiles[f], chosen));
    tab.tactical_obs(f, hr - 1, ran).seen_on(prev.map(|pl| pl.provider), chosen)
}

impl EvalCtx<'_> {
    /// The hierarchy's placements: the DQN picks each function's provider per day (from the
    /// validation days on, so the first test day has a history), the PPO (when `tactical`)
    /// its region and tier per hour; otherwise home region and the default tier.
    ///
    /// # Errors
    /// A model error (missing model, non-finite output).
    pub fn hierarchy_schedule<P: Precision>(
        &self,
        h: &Hierarchy<P>,
        start_day: usize,
        tactical: bool,
    ) -> Result<Schedule> {
        self.hierarchy_schedule_with(h, start_day, tactical, None)
    }

    /// [`EvalCtx::hierarchy_schedule`], with the provider of every function and day taken from
    /// `providers[f][day]` instead of the DQN when given (to tell the layers' shares of a gap
    /// apart: another strategic choice under the same tactical policy).
    ///
    /// # Errors
    /// A model error (missing model, non-finite output).
    pub fn hierarchy_schedule_with<P: Precision>(
        &self,
        h: &Hierarchy<P>,
        start_day: usize,
        tactical: bool,
        providers: Option<&[Vec<Provider>]>,
    ) -> Result<Schedule> {
        let tab = self.tab;
        let days = self.hours.1.div_ceil(24);
        let first = start_day.max(1);
        let provs = match providers {
            Some(given) => given
                .iter()
                .map(|row| (0..days).map(|d| if d >= first { row[d] } else { Provider::Aws }).collect())
                .collect(),
            None => dqn_providers(h, tab, self.sim, start_day, days)?,
        };
        let mut out = Vec::with_capacity(tab.profiles.len());
        for ((f, prof), prov) in tab.profiles.iter().enumerate().zip(&provs) {
            let app = prof.app_context();
            let mut prev: Option<Placement> = None;
            let mut row = Vec::with_capacity(self.hours.1 - self.hours.0);
            for hr in self.hours.0..self.hours.1 {
                let p = prov[hr / 24];
                let pl = if tactical {
                    let obs = seen(tab, f, hr, prev, p);
                    let trend = tab.strategic_obs(f, hr / 24, p).volume_trend;
                    let ctx = TacticalContext { provider: p, volume_trend: trend };
                    let c = h
                        .choose_placement(&obs, &ctx, &app, &tab.carbon_obs(self.sim, hr))
                        .map_err(|e| anyhow::anyhow!("PPO: {e}"))?;
                    Placement::new(p, c.region as usize, c.memory_tier as usize)
                } else {
                    default_placement(prof, p)
                };
                row.push(pl);
                prev = Some(pl);
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
                    EncodedSeries::new(enc, &series::operational(&inv[a..b], &self.tab.profiles[f], t0, STEP_S, steps))
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
                let (f, _) =
                    h.forecast(&InferWindow::from_steps(&s.x[k..t])).map_err(|e| anyhow::anyhow!("LSTM: {e}"))?;
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
            part.iter().map(|&f| Ok((f, one(series[f].as_ref().expect("filtered"), &mut cache)?))).collect()
        };
        std::thread::scope(|sc| -> Result<()> {
            let a = sc.spawn(|| run(halves.0));
            let b = run(halves.1)?;
            let a = a.join().map_err(|_| anyhow::anyhow!("forecast thread panicked"))??;
            for (f, v) in a.into_iter().chain(b) {
                results[f] = Some(v);
            }
            Ok(())
        })?;
        Ok(results.into_iter().map(|r| r.unwrap_or_else(|| vec![0.0; steps])).collect())
    }

    /// Top-action agreement of two hierarchies (f32 and int8) on the test days' inputs:
    /// DQN over every function-day with traffic (every provider context), PPO over every
    /// function-hour with traffic (both given the f32 schedule's context).
    ///
    /// # Errors
    /// A model error.
    pub fn agreement<P: Precision, Q: Precision>(
        &self,
        a: &Hierarchy<P>,
        b: &Hierarchy<Q>,
        sched: &Schedule,
    ) -> Result<(f64, f64)> {
        let tab = self.tab;
        let (mut same, mut n) = (0usize, 0usize);
        for (f, prof) in tab.profiles.iter().enumerate() {
            let app = prof.app_context();
            for d in self.hours.0 / 24..self.hours.1.div_ceil(24) {
                if tab.day[f][d][0].totals.n == 0 {
                    continue;
                }
                let c = tab.carbon_obs(self.sim, d * 24);
                for p in Provider::ALL {
                    let s = tab.strategic_obs(f, d, p);
                    let (pa, _) = a.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let (pb, _) = b.choose_provider(&s, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                    same += (pa == pb) as usize;
                    n += 1;
                }
            }
        }
        let dqn = same as f64 / n.max(1) as f64;
        let (mut same, mut n) = (0usize, 0usize);
        for (f, row) in sched.iter().enumerate() {
            let app = tab.profiles[f].app_context();
            for (k, hr) in (self.hours.0..self.hours.1).enumerate() {
                if tab.hour[f][hr].n == 0 {
                    continue;
                }
                let obs = seen(tab, f, hr, k.checked_sub(1).map(|j| row[j]), row[k].provider);
                let ctx = TacticalContext { provider: row[k].provider, volume_trend: 0.0 };
                let c = tab.carbon_obs(self.sim, hr);
                let ca = a.choose_placement(&obs, &ctx, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                let cb = b.choose_placement(&obs, &ctx, &app, &c).map_err(|e| anyhow::anyhow!("{e}"))?;
                same += (ca.action == cb.action) as usize;
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
                let mut w = InferWindow::from_steps(&s.x[..WINDOW]);
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
}
