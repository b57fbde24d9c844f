//! Everything `hdrl run` evaluates on the test days: the hierarchy (f32 and int8), every
//! placement baseline, the ablation, and the keep-alive and pre-warm policies on the
//! hierarchy's placements, each in one run of the exact simulation; then the forecasting
//! metrics (the run's trace and the per-minute set) and the int8 agreement.

use std::collections::BTreeMap;

use anyhow::Result;
use hdrl_infer::{F32, Hierarchy, I8, Window};

use crate::data::windows::{EncodedSeries, MinuteWindows};
use crate::data::workload::DAY_S;
use crate::evaluate::baselines::keep_alive::hybrid_histogram;
use crate::evaluate::baselines::placement::{self as baselines, Schedule};
use crate::evaluate::forecast::{ForecastMetrics, eval_minutes};
use crate::evaluate::simulate::{EvalCtx, KeepAlivePolicy, PolicyResult};
use crate::output::progress::{Progress, StageClock};
use crate::sim::{Placement, Scenario};

/// The exported models, loaded from their files exactly as a gateway would load them.
pub struct Loaded<'a> {
    /// The f32 bundle.
    pub f32: &'a Hierarchy<F32>,
    /// The int8 bundle.
    pub int8: &'a Hierarchy<I8>,
    /// The forecaster trained on the per-minute set.
    pub minutes: &'a Hierarchy<F32>,
}

/// What the test days showed.
pub struct Evaluation {
    /// Evaluated hours `[h0, h1)`.
    pub test_hours: (usize, usize),
    /// Every simulated policy by name: `hierarchy`, `hierarchy_int8`, the baselines, the
    /// ablation (`strategic_only`, `strategic_tactical`) and the keep-alive policies
    /// (`fixed_10min`, `hybrid_histogram`).
    pub results: BTreeMap<String, PolicyResult>,
    /// The f32 hierarchy's placements.
    pub hierarchy: Schedule,
    /// The best fixed placement chosen on the train days.
    pub best_fixed: Placement,
    /// The test series the forecasts were made on.
    pub series: Vec<Option<EncodedSeries>>,
    /// The f32 LSTM's rate forecast per function and test step.
    pub rates: Vec<Vec<f32>>,
    /// Forecasting metrics on the run's trace.
    pub forecast_trace: BTreeMap<String, ForecastMetrics>,
    /// Forecasting metrics on the per-minute set.
    pub forecast_minutes: BTreeMap<String, ForecastMetrics>,
    /// DQN top-action agreement, int8 against f32.
    pub dqn_agreement: f64,
    /// PPO top-action agreement, int8 against f32.
    pub ppo_agreement: f64,
}

/// The hierarchy's schedules and forecasts, f32 and int8.
struct Learned {
    hier: Schedule,
    hier8: Schedule,
    strat: Schedule,
    series: Vec<Option<EncodedSeries>>,
    rates32: Vec<Vec<f32>>,
    rates8: Vec<Vec<f32>>,
}

fn learned(ctx: &EvalCtx<'_>, sc: &Scenario, m: &Loaded<'_>) -> Result<Learned> {
    let start = sc.split.val.0;
    let hier = ctx.hierarchy_schedule(m.f32, start, true)?;
    let hier8 = ctx.hierarchy_schedule(m.int8, start, true)?;
    let strat = ctx.hierarchy_schedule(m.f32, start, false)?;
    let series = ctx.test_series(&sc.enc);
    let rates32 = ctx.lstm_forecasts(m.f32, &series)?;
    let rates8 = ctx.lstm_forecasts(m.int8, &series)?;
    Ok(Learned { hier, hier8, strat, series, rates32, rates8 })
}

/// Simulate every policy on the test days.
fn simulate_all(
    ctx: &EvalCtx<'_>,
    sc: &Scenario,
    l: &Learned,
    seed: u64,
    progress: &Progress,
) -> (BTreeMap<String, PolicyResult>, Placement) {
    let (t32, t8) = (ctx.targets(&l.rates32, &l.series), ctx.targets(&l.rates8, &l.series));
    let (tab, sim, test_hours, train_hours) = (&sc.tab, &sc.sim, ctx.hours, ctx.train_hours);
    let (fixed_sched, fixed_pl) = baselines::best_fixed(tab, test_hours, train_hours);
    type Run<'a> = (&'a str, Schedule, Option<&'a [Vec<u32>]>);
    let runs: Vec<Run<'_>> = vec![
        ("hierarchy", l.hier.clone(), Some(&t32)),
        ("hierarchy_int8", l.hier8.clone(), Some(&t8)),
        ("random", baselines::random(tab, test_hours, seed ^ 0xBA5E), None),
        ("cheapest", baselines::cheapest(sim, tab, test_hours), None),
        ("fastest", baselines::fastest(sim, tab, test_hours, train_hours), None),
        ("greenest", baselines::greenest(sim, tab, test_hours), None),
        ("best_fixed", fixed_sched, None),
        ("greedy_carbon", baselines::greedy_carbon(sim, tab, test_hours, train_hours), None),
        ("oracle", baselines::oracle(tab, test_hours), None),
        ("strategic_only", l.strat.clone(), None),
        ("strategic_tactical", l.hier.clone(), None),
    ];
    let mut results = BTreeMap::new();
    let bar = progress.bar(runs.len() as u64 + 2, "simulate");
    for (name, sched, targets) in &runs {
        results.insert(name.to_string(), ctx.simulate(sched, *targets, &KeepAlivePolicy::Provider));
        bar.inc(1);
    }
    results.insert("fixed_10min".into(), ctx.simulate(&l.hier, None, &KeepAlivePolicy::Fixed(600.0)));
    bar.inc(1);
    let train_s = (sc.split.train.0 as f64 * DAY_S, sc.split.train.1 as f64 * DAY_S);
    let hybrid = hybrid_histogram(tab, &sc.hourly, train_s);
    results.insert("hybrid_histogram".into(), ctx.simulate(&l.hier, None, &KeepAlivePolicy::PerApp(hybrid)));
    bar.finish();
    (results, fixed_pl)
}

/// Evaluate the loaded models on the scenario's test days against every baseline.
///
/// # Errors
/// A model error (missing model, non-finite output).
pub fn run(
    sc: &Scenario,
    m: &Loaded<'_>,
    minutes: &MinuteWindows,
    seed: u64,
    progress: &Progress,
    clock: &mut StageClock,
) -> Result<Evaluation> {
    let test_hours = (sc.split.test.0 * 24, (sc.split.test.1 * 24).min(sc.tab.hours));
    let ctx =
        EvalCtx { sim: &sc.sim, tab: &sc.tab, hourly: &sc.hourly, hours: test_hours, train_hours: sc.train_hours() };
    let l = learned(&ctx, sc, m)?;
    clock.stage("eval_forecasts");
    let (results, best_fixed) = simulate_all(&ctx, sc, &l, seed, progress);
    clock.stage("eval_simulate");

    let mut lstm_rates = BTreeMap::new();
    lstm_rates.insert("lstm".to_string(), l.rates32.clone());
    lstm_rates.insert("lstm_int8".to_string(), l.rates8.clone());
    let forecast_trace = ctx.forecast_metrics(&l.series, &lstm_rates);
    let mut f19 = |w: &[[f32; 5]; 12]| -> Result<f32> {
        let (f, _) = m.minutes.forecast(&Window::from_steps(w)).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(f.request_rate)
    };
    let forecast_minutes = eval_minutes(minutes, &mut [("lstm", &mut f19)])?;
    let (dqn_agreement, ppo_agreement) = ctx.agreement(m.f32, m.int8, &l.hier)?;
    clock.stage("eval_metrics");
    Ok(Evaluation {
        test_hours,
        results,
        hierarchy: l.hier,
        best_fixed,
        series: l.series,
        rates: l.rates32,
        forecast_trace,
        forecast_minutes,
        dqn_agreement,
        ppo_agreement,
    })
}
