//! Everything a run evaluates on the test days, each policy in one run of the exact
//! simulation: every non-learned placement baseline once ([`baselines`]), and for each trained
//! bundle ([`learned`]) the hierarchy in f32 and int8, its ablation, the keep-alive and
//! pre-warm policies on its placements, its forecasts and the int8 agreement.

use std::collections::BTreeMap;

use anyhow::Result;
use hdrl_infer::{F32, Hierarchy, I8, Window};

use crate::data::windows::{EncodedSeries, MinuteWindows};
use crate::data::workload::HOUR_S;
use crate::evaluate::baselines::keep_alive::hybrid_histogram;
use crate::evaluate::baselines::placement::{self as baselines, Schedule};
use crate::evaluate::forecast::{ClassMetrics, eval_minutes};
use crate::evaluate::simulate::{EvalCtx, KeepAlivePolicy, PolicyResult};
use crate::output::progress::{Progress, StageClock};
use crate::sim::{Placement, Scenario};

/// The placement baselines, in report order: the hindsight oracles, the careful engineer's
/// rule, the single rules, random.
pub const BASELINES: [&str; 10] = [
    "oracle_hourly",
    "oracle",
    "expected_best",
    "expected_best_6h",
    "best_fixed",
    "fastest",
    "greedy_carbon",
    "cheapest",
    "greenest",
    "random",
];

/// The test days of a scenario as an evaluation context.
pub fn context(sc: &Scenario) -> EvalCtx<'_> {
    EvalCtx { sim: &sc.sim, tab: &sc.tab, hourly: &sc.hourly, hours: sc.test_hours(), train_hours: sc.train_hours() }
}

/// The f32 hierarchy's, `expected_best`'s and `expected_best_6h`'s mean reward on the
/// validation days (provider keep-alive, no pre-warming): the figures to choose training
/// settings by, never the test days'. The DQN's daily choices start on the first validation
/// day, as on the test days.
///
/// # Errors
/// A model error.
pub fn validation(sc: &Scenario, h: &Hierarchy<F32>) -> Result<[f64; 3]> {
    let hours = (sc.split.val.0 * 24, sc.split.val.1 * 24);
    let ctx = EvalCtx { sim: &sc.sim, tab: &sc.tab, hourly: &sc.hourly, hours, train_hours: sc.train_hours() };
    let hier = ctx.hierarchy_schedule(h, sc.split.val.0, true)?;
    let (sim, tab, est) = (&sc.sim, &sc.tab, sc.estimates());
    let rule = baselines::expected_best(sim, tab, est, hours);
    let ahead = baselines::expected_best_ahead(sim, tab, est, hours, baselines::LOOKAHEAD_HOURS);
    let reward = |s: &Schedule| ctx.simulate(s, None, &KeepAlivePolicy::Provider).metrics().mean_reward;
    Ok([reward(&hier), reward(&rule), reward(&ahead)])
}

/// What the non-learned placement policies achieved.
pub struct Baselines {
    /// Result by name ([`BASELINES`]).
    pub results: BTreeMap<String, PolicyResult>,
    /// The best fixed placement chosen on the training days.
    pub best_fixed: Placement,
}

/// Run every placement baseline on the test days (provider keep-alive, no pre-warming).
/// Estimates come from the training days only; `seed` draws the random policy.
pub fn baselines(sc: &Scenario, seed: u64, progress: &Progress) -> Baselines {
    let ctx = context(sc);
    let (tab, sim, hours) = (&sc.tab, &sc.sim, ctx.hours);
    let est = sc.estimates();
    let (fixed, best_fixed) = baselines::best_fixed(tab, hours, ctx.train_hours);
    let schedules: Vec<(&str, Schedule)> = vec![
        ("oracle_hourly", baselines::oracle_hourly(tab, hours)),
        ("oracle", baselines::oracle(tab, hours)),
        ("expected_best", baselines::expected_best(sim, tab, est, hours)),
        ("expected_best_6h", baselines::expected_best_ahead(sim, tab, est, hours, baselines::LOOKAHEAD_HOURS)),
        ("best_fixed", fixed),
        ("fastest", baselines::fastest(tab, est, hours)),
        ("greedy_carbon", baselines::greedy_carbon(sim, tab, est, hours)),
        ("cheapest", baselines::cheapest(tab, est, hours)),
        ("greenest", baselines::greenest(sim, tab, est, hours)),
        ("random", baselines::random(tab, hours, seed ^ 0xBA5E)),
    ];
    let bar = progress.bar(schedules.len() as u64, "baselines");
    let mut results = BTreeMap::new();
    for (name, sched) in schedules {
        results.insert(name.to_string(), ctx.simulate(&sched, None, &KeepAlivePolicy::Provider));
        bar.inc(1);
    }
    bar.finish();
    Baselines { results, best_fixed }
}

/// The exported models, loaded from their files exactly as a gateway would.
pub struct Loaded<'a> {
    /// The f32 bundle.
    pub f32: &'a Hierarchy<F32>,
    /// The int8 bundle (its quantisation).
    pub int8: &'a Hierarchy<I8>,
    /// The forecaster trained on the per-minute set, when there is one.
    pub minutes: Option<&'a Hierarchy<F32>>,
}

/// What the test days showed of one trained bundle.
pub struct Learned {
    /// Results by name: `hierarchy`, `hierarchy_int8`, the ablation (`strategic_only`,
    /// `strategic_tactical`) and the keep-alive policies on the hierarchy's placements
    /// (`fixed_10min`, `hybrid_histogram`).
    pub results: BTreeMap<String, PolicyResult>,
    /// The f32 hierarchy's placements.
    pub hierarchy: Schedule,
    /// The test series the forecasts were made on.
    pub series: Vec<Option<EncodedSeries>>,
    /// The f32 LSTM's rate forecast per function and test step.
    pub rates: Vec<Vec<f32>>,
    /// Forecasting metrics on the run's trace, overall and per activity class.
    pub forecast_trace: ClassMetrics,
    /// Forecasting metrics on the per-minute set's test functions (empty without a
    /// per-minute forecaster).
    pub forecast_minutes: ClassMetrics,
    /// DQN top-action agreement, int8 against f32.
    pub dqn_agreement: f64,
    /// PPO top-action agreement, int8 against f32.
    pub ppo_agreement: f64,
}

/// The hierarchy's schedules and forecasts, f32 and int8.
struct Plans {
    hier: Schedule,
    hier8: Schedule,
    strat: Schedule,
    series: Vec<Option<EncodedSeries>>,
    rates32: Vec<Vec<f32>>,
    rates8: Vec<Vec<f32>>,
}

fn plans(ctx: &EvalCtx<'_>, sc: &Scenario, m: &Loaded<'_>) -> Result<Plans> {
    let start = sc.split.val.0;
    let hier = ctx.hierarchy_schedule(m.f32, start, true)?;
    let hier8 = ctx.hierarchy_schedule(m.int8, start, true)?;
    let strat = ctx.hierarchy_schedule(m.f32, start, false)?;
    let series = ctx.test_series(&m.f32.encoder);
    let rates32 = ctx.lstm_forecasts(m.f32, &series)?;
    let rates8 = ctx.lstm_forecasts(m.int8, &series)?;
    Ok(Plans { hier, hier8, strat, series, rates32, rates8 })
}

/// A simulation to run: name, schedule, pre-warm targets, keep-alive.
type Run<'a> = (&'a str, &'a Schedule, Option<&'a [Vec<u32>]>, KeepAlivePolicy);

/// Simulate the learned policies and the keep-alive policies on their placements.
fn simulate_learned(
    ctx: &EvalCtx<'_>,
    sc: &Scenario,
    p: &Plans,
    progress: &Progress,
) -> BTreeMap<String, PolicyResult> {
    let (t32, t8) = (ctx.targets(&p.rates32, &p.series), ctx.targets(&p.rates8, &p.series));
    let units: Vec<Vec<usize>> = (0..sc.tab.profiles.len()).map(|f| vec![f]).collect();
    let hybrid = hybrid_histogram(&units, &sc.hourly, ctx.hours.1 as f64 * HOUR_S);
    let runs: Vec<Run<'_>> = vec![
        ("hierarchy", &p.hier, Some(&t32), KeepAlivePolicy::Provider),
        ("hierarchy_int8", &p.hier8, Some(&t8), KeepAlivePolicy::Provider),
        ("strategic_only", &p.strat, None, KeepAlivePolicy::Provider),
        ("strategic_tactical", &p.hier, None, KeepAlivePolicy::Provider),
        ("fixed_10min", &p.hier, None, KeepAlivePolicy::Fixed(600.0)),
        ("hybrid_histogram", &p.hier, None, KeepAlivePolicy::PerFunction(hybrid)),
    ];
    let bar = progress.bar(runs.len() as u64, "simulate");
    let mut results = BTreeMap::new();
    for (name, sched, targets, keep) in runs {
        results.insert(name.to_string(), ctx.simulate(sched, targets, &keep));
        bar.inc(1);
    }
    bar.finish();
    results
}

/// Evaluate one trained bundle on the scenario's test days.
///
/// # Errors
/// A model error (missing model, non-finite output).
pub fn learned(
    sc: &Scenario,
    m: &Loaded<'_>,
    minutes: &MinuteWindows,
    progress: &Progress,
    clock: &mut StageClock,
) -> Result<Learned> {
    let ctx = context(sc);
    let p = plans(&ctx, sc, m)?;
    clock.stage("eval_forecasts");
    let results = simulate_learned(&ctx, sc, &p, progress);
    clock.stage("eval_simulate");
    let mut lstm_rates = BTreeMap::new();
    lstm_rates.insert("lstm".to_string(), p.rates32.clone());
    lstm_rates.insert("lstm_int8".to_string(), p.rates8.clone());
    let forecast_trace = ctx.forecast_metrics(&p.series, &lstm_rates);
    let forecast_minutes = match m.minutes {
        Some(h) => {
            let mut f = |w: &[[f32; 5]; 12]| -> Result<f32> {
                let (f, _) = h.forecast(&Window::from_steps(w)).map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(f.request_rate)
            };
            eval_minutes(minutes, &mut [("lstm", &mut f)])?
        }
        None => BTreeMap::new(),
    };
    let (dqn_agreement, ppo_agreement) = ctx.agreement(m.f32, m.int8, &p.hier)?;
    clock.stage("eval_metrics");
    Ok(Learned {
        results,
        hierarchy: p.hier,
        series: p.series,
        rates: p.rates32,
        forecast_trace,
        forecast_minutes,
        dqn_agreement,
        ppo_agreement,
    })
}
