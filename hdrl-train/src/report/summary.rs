//! The run report: `report.json` (machine-readable) and `report.md` (tables), every number
//! from the run that writes them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::algos::dqn::DqnRecord;
use crate::algos::lstm::LstmRecord;
use crate::algos::ppo::PpoRecord;
use crate::data::trace::LoadReport;
use crate::data::workload::Split;
use crate::evaluate::baselines::placement::Schedule;
use crate::evaluate::forecast::ForecastMetrics;
use crate::evaluate::metrics::PolicyMetrics;
use crate::evaluate::suite::Evaluation;
use crate::output::files::{iso8601, unix_now};
use crate::output::provenance::machine;
use crate::sim::Scenario;

/// int8 against f32.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Int8Report {
    /// DQN top-action agreement over test app-days (every provider context).
    pub dqn_agreement: f64,
    /// PPO top-action agreement over test function-hours with traffic.
    pub ppo_agreement: f64,
    /// LSTM rate RMSE on the test days, f32 model.
    pub lstm_rmse_f32: f64,
    /// The same, int8 model.
    pub lstm_rmse_int8: f64,
    /// Mean reward of the int8 hierarchy in the same simulation.
    pub hierarchy_mean_reward: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Trace name.
    pub trace: String,
    /// What loading it found.
    pub trace_load: LoadReport,
    /// Invocations in the trace.
    pub invocations: usize,
    /// Functions.
    pub functions: usize,
    /// Apps.
    pub apps: usize,
    /// Days.
    pub days: usize,
    /// Split (0-based day ranges, end exclusive).
    pub split: Split,
    /// Seed.
    pub seed: u64,
    /// Git revision.
    pub git_rev: String,
    /// CPU and cores.
    pub machine: String,
    /// UTC time the report was written (ISO 8601).
    pub date: String,
    /// `--quick` run.
    pub quick: bool,
    /// Policies on the test days.
    pub policies: BTreeMap<String, PolicyMetrics>,
    /// The best fixed placement chosen on train days.
    pub best_fixed_placement: String,
    /// Ablation: strategic only, + tactical, + operational.
    pub ablation: BTreeMap<String, PolicyMetrics>,
    /// Pre-warming / keep-alive policies on the hierarchy's placements.
    pub prewarm: BTreeMap<String, PolicyMetrics>,
    /// Forecasting: dataset → model → metrics.
    pub forecast: BTreeMap<String, BTreeMap<String, ForecastMetrics>>,
    /// int8 against f32.
    pub int8: Int8Report,
    /// What the f32 hierarchy chose over the test function-hours: shares of providers,
    /// region ranks (0 = home) and memory tiers.
    pub hierarchy_choices: BTreeMap<String, f64>,
    /// Final training metrics per learner.
    pub training: BTreeMap<String, BTreeMap<String, f64>>,
    /// Exported files and their sizes in bytes.
    pub models: BTreeMap<String, u64>,
    /// Wall time per stage, s.
    pub wall_s: BTreeMap<String, f64>,
}

/// The training histories a report summarises and plots.
pub struct Histories<'a> {
    /// DQN rounds.
    pub dqn: &'a [DqnRecord],
    /// PPO updates.
    pub ppo: &'a [PpoRecord],
    /// LSTM epochs on the run's trace.
    pub lstm: &'a [LstmRecord],
    /// LSTM epochs on the per-minute set.
    pub lstm_minutes: &'a [LstmRecord],
}

fn last<T>(v: &[T], f: impl Fn(&T) -> f64) -> f64 {
    v.last().map(f).unwrap_or(f64::NAN)
}

/// The best finite value of a history (largest when `max`).
pub fn best<T>(v: &[T], f: impl Fn(&T) -> f64, max: bool) -> f64 {
    let it = v.iter().map(f).filter(|x| x.is_finite());
    if max { it.fold(f64::NEG_INFINITY, f64::max) } else { it.fold(f64::INFINITY, f64::min) }
}

impl Histories<'_> {
    /// Final and best training metrics per learner.
    pub fn summary(&self) -> BTreeMap<String, BTreeMap<String, f64>> {
        let (dqn, ppo, lstm, l19) = (self.dqn, self.ppo, self.lstm, self.lstm_minutes);
        let mut tr = BTreeMap::new();
        tr.insert(
            "dqn".to_string(),
            BTreeMap::from([
                ("best_val_reward".to_string(), best(dqn, |r| r.val_reward, true)),
                ("final_loss".to_string(), last(dqn, |r| r.loss)),
                ("nan_skips".to_string(), last(dqn, |r| r.nan_skips as f64)),
                ("steps_per_s".to_string(), last(dqn, |r| r.sps)),
            ]),
        );
        tr.insert(
            "ppo".to_string(),
            BTreeMap::from([
                ("best_val_reward".to_string(), best(ppo, |r| r.val_reward, true)),
                ("final_entropy".to_string(), last(ppo, |r| r.entropy)),
                ("nan_skips".to_string(), last(ppo, |r| r.nan_skips as f64)),
                ("env_steps_per_s".to_string(), last(ppo, |r| r.env_sps)),
            ]),
        );
        tr.insert(
            "lstm".to_string(),
            BTreeMap::from([
                ("best_val_loss".to_string(), best(lstm, |r| r.val_loss, false)),
                ("epochs".to_string(), lstm.len() as f64),
                ("nan_skips".to_string(), last(lstm, |r| r.nan_skips as f64)),
            ]),
        );
        tr.insert(
            "lstm2019".to_string(),
            BTreeMap::from([
                ("best_val_loss".to_string(), best(l19, |r| r.val_loss, false)),
                ("epochs".to_string(), l19.len() as f64),
            ]),
        );
        tr
    }
}

/// Shares of providers, region ranks (0 = home) and memory tiers over the test
/// function-hours with traffic of a schedule.
pub fn choices(sc: &Scenario, sched: &Schedule, test_hours: (usize, usize)) -> BTreeMap<String, f64> {
    let mut choices: BTreeMap<String, f64> = BTreeMap::new();
    let mut n = 0.0f64;
    for (f, row) in sched.iter().enumerate() {
        let home = sc.tab.profiles[f].home_region;
        for (k, pl) in row.iter().enumerate() {
            if sc.tab.hour[f].get(test_hours.0 + k).is_none_or(|s| s.n == 0) {
                continue;
            }
            let rank = hdrl_infer::placement::rank_of_region(home, pl.region as usize);
            *choices.entry(format!("provider {}", pl.provider)).or_default() += 1.0;
            *choices.entry(format!("region rank {rank}")).or_default() += 1.0;
            *choices.entry(format!("tier {:>4} MB", pl.memory_mb())).or_default() += 1.0;
            n += 1.0;
        }
    }
    for v in choices.values_mut() {
        *v /= n.max(1.0);
    }
    choices
}

/// Where a run's report comes from, besides its evaluation and histories.
pub struct RunInfo<'a> {
    /// Seed.
    pub seed: u64,
    /// Git revision.
    pub git_rev: &'a str,
    /// `--quick`.
    pub quick: bool,
    /// Exported files and their sizes.
    pub models: BTreeMap<String, u64>,
}

impl Report {
    /// The report of a run: every table from its evaluation, histories and exports.
    pub fn assemble(sc: &Scenario, ev: &Evaluation, hist: &Histories<'_>, info: RunInfo<'_>) -> Self {
        let m = |k: &str| ev.results[k].metrics();
        let mut r = Report {
            trace: sc.trace.source.clone(),
            trace_load: sc.trace.report.clone(),
            invocations: sc.trace.inv.len(),
            functions: sc.trace.funcs.len(),
            apps: sc.trace.apps.len(),
            days: sc.trace.days(),
            split: sc.split,
            seed: info.seed,
            git_rev: info.git_rev.to_string(),
            machine: machine(),
            date: iso8601(unix_now()),
            quick: info.quick,
            best_fixed_placement: ev.best_fixed.to_string(),
            models: info.models,
            ..Default::default()
        };
        for k in [
            "hierarchy",
            "hierarchy_int8",
            "random",
            "cheapest",
            "fastest",
            "greenest",
            "best_fixed",
            "greedy_carbon",
            "oracle",
        ] {
            r.policies.insert(k.into(), m(k));
        }
        r.ablation.insert("strategic_only".into(), m("strategic_only"));
        r.ablation.insert("strategic_tactical".into(), m("strategic_tactical"));
        r.ablation.insert("full".into(), m("hierarchy"));
        r.prewarm.insert("provider_keepalive".into(), m("strategic_tactical"));
        r.prewarm.insert("fixed_10min".into(), m("fixed_10min"));
        r.prewarm.insert("hybrid_histogram".into(), m("hybrid_histogram"));
        r.prewarm.insert("lstm_prewarm".into(), m("hierarchy"));
        let fc = &ev.forecast_trace;
        r.int8 = Int8Report {
            dqn_agreement: ev.dqn_agreement,
            ppo_agreement: ev.ppo_agreement,
            lstm_rmse_f32: fc.get("lstm").map(|x| x.rmse).unwrap_or(f64::NAN),
            lstm_rmse_int8: fc.get("lstm_int8").map(|x| x.rmse).unwrap_or(f64::NAN),
            hierarchy_mean_reward: m("hierarchy_int8").mean_reward,
        };
        r.hierarchy_choices = choices(sc, &ev.hierarchy, ev.test_hours);
        r.forecast.insert("trace".into(), ev.forecast_trace.clone());
        r.forecast.insert("azure2019".into(), ev.forecast_minutes.clone());
        r.training = hist.summary();
        r
    }
}
