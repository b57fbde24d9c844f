//! The run report: `report.json` (machine-readable) and `report.md` (tables), every number
//! from the run that writes them.

use std::collections::BTreeMap;

use hdrl_infer::RewardBounds;
use serde::Serialize;

use crate::algos::bc::BcRecord;
use crate::algos::dqn::DqnRecord;
use crate::algos::lstm::LstmRecord;
use crate::algos::ppo::PpoRecord;
use crate::data::trace::LoadReport;
use crate::data::workload::Split;
use crate::evaluate::baselines::placement::Schedule;
use crate::evaluate::forecast::{ALL, CLASSES, ClassMetrics, ForecastMetrics};
use crate::evaluate::metrics::PolicyMetrics;
use crate::evaluate::objectives::{ObjectiveWorth, worth};
use crate::evaluate::stats::{PairedDiff, Unit, average, paired_bootstrap};
use crate::evaluate::suite::{Baselines, Learned};
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

/// A learned row: the mean over training seeds, the half-width of each metric's 95 % CI
/// (NaN with one seed), and each seed's mean reward.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SeedSummary {
    /// Mean over seeds.
    pub mean: PolicyMetrics,
    /// Half-width of the 95 % confidence interval of each mean (Student's t over seeds).
    pub ci95: PolicyMetrics,
    /// Mean reward of each seed.
    pub per_seed_reward: Vec<f64>,
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
    /// Base seed (trace synthesis, baselines).
    pub seed: u64,
    /// Training seeds of the learned rows.
    pub seeds: Vec<u64>,
    /// Git revision.
    pub git_rev: String,
    /// CPU and cores.
    pub machine: String,
    /// UTC time the report was written (ISO 8601).
    pub date: String,
    /// `--quick` run.
    pub quick: bool,
    /// Carbon intensities used (`hourly` or `static`) and the instant of trace time 0.
    pub carbon: String,
    /// The reward bounds everything was scored with (derived from the training days, or a
    /// bundle's).
    pub reward_bounds: RewardBounds,
    /// What each objective is worth on the test days.
    pub objective_worth: ObjectiveWorth,
    /// Policies on the test days: learned rows are means over seeds.
    pub policies: BTreeMap<String, PolicyMetrics>,
    /// Learned rows with their confidence intervals and per-seed rewards.
    pub learned: BTreeMap<String, SeedSummary>,
    /// Hierarchy minus each baseline: mean reward difference, paired bootstrap 95 % CI over
    /// test function-days (the hierarchy averaged over seeds).
    pub versus: BTreeMap<String, PairedDiff>,
    /// The best fixed placement chosen on train days.
    pub best_fixed_placement: String,
    /// Ablation: strategic only, + tactical, + operational (means over seeds).
    pub ablation: BTreeMap<String, PolicyMetrics>,
    /// What each layer adds: `tactical` (strategic_tactical − strategic_only) and
    /// `operational` (full − strategic_tactical), paired over function-days.
    pub ablation_steps: BTreeMap<String, PairedDiff>,
    /// Pre-warming / keep-alive policies on the hierarchy's placements (means over seeds).
    pub prewarm: BTreeMap<String, PolicyMetrics>,
    /// Forecasting: dataset → model → metrics (learned models: means over seeds).
    pub forecast: BTreeMap<String, BTreeMap<String, ForecastMetrics>>,
    /// int8 against f32 (means over seeds).
    pub int8: Int8Report,
    /// What the f32 hierarchy chose over the test function-hours: shares of providers,
    /// region ranks (0 = home) and memory tiers (means over seeds).
    pub hierarchy_choices: BTreeMap<String, f64>,
    /// Final training metrics: seed → learner → metric.
    pub training: BTreeMap<String, BTreeMap<String, BTreeMap<String, f64>>>,
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
    /// Rules scored on the DQN's validation function-days, by name.
    pub dqn_references: &'a [(String, f64)],
    /// Rules scored on the PPO's validation function-days, by name.
    pub ppo_references: &'a [(String, f64)],
    /// The behaviour-cloning epochs before PPO's first update.
    pub ppo_cloning: &'a [BcRecord],
}

/// `rule: expected_best` → `val_rule_expected_best`: a summary key for a reference score.
fn reference_key(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!("val_{}", words.join("_"))
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
        let refs = |v: &[(String, f64)]| v.iter().map(|(k, x)| (reference_key(k), *x)).collect::<Vec<_>>();
        let mut d = BTreeMap::from([
            ("best_val_reward".to_string(), best(dqn, |r| r.val_reward, true)),
            ("final_val_reward".to_string(), last(dqn, |r| r.val_reward)),
            ("final_loss".to_string(), last(dqn, |r| r.loss)),
            ("nan_skips".to_string(), last(dqn, |r| r.nan_skips as f64)),
            ("steps_per_s".to_string(), last(dqn, |r| r.sps)),
        ]);
        d.extend(refs(self.dqn_references));
        tr.insert("dqn".to_string(), d);
        let mut p = BTreeMap::from([
            ("best_val_reward".to_string(), best(ppo, |r| r.val_reward, true)),
            ("final_val_reward".to_string(), last(ppo, |r| r.val_reward)),
            ("update0_val_reward".to_string(), ppo.first().map(|r| r.val_reward).unwrap_or(f64::NAN)),
            ("final_entropy".to_string(), last(ppo, |r| r.entropy)),
            ("nan_skips".to_string(), last(ppo, |r| r.nan_skips as f64)),
            ("env_steps_per_s".to_string(), last(ppo, |r| r.env_sps)),
        ]);
        p.extend(refs(self.ppo_references));
        if let Some(c) = self.ppo_cloning.last() {
            p.insert("clone_val_accuracy".to_string(), c.val_accuracy);
        }
        tr.insert("ppo".to_string(), p);
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

/// Where a run's report comes from, besides its evaluations and histories.
pub struct RunInfo<'a> {
    /// Base seed.
    pub seed: u64,
    /// Git revision.
    pub git_rev: &'a str,
    /// `--quick`.
    pub quick: bool,
    /// Carbon setting, for the record.
    pub carbon: String,
    /// Exported files and their sizes.
    pub models: BTreeMap<String, u64>,
}

/// One training seed's evaluation and histories.
pub struct SeedRun<'a> {
    /// Training seed.
    pub seed: u64,
    /// Its bundle on the test days.
    pub learned: &'a Learned,
    /// Its training histories (none when evaluating a saved bundle).
    pub hist: Option<Histories<'a>>,
}

/// Bootstrap resamples of every paired comparison.
const RESAMPLES: usize = 2000;

/// Learned row `name` over the seeds: mean, CI, per-seed rewards.
fn summarise(runs: &[SeedRun<'_>], name: &str) -> SeedSummary {
    let ms: Vec<PolicyMetrics> = runs.iter().map(|r| r.learned.results[name].metrics()).collect();
    let refs: Vec<&PolicyMetrics> = ms.iter().collect();
    let (mean, ci95) = PolicyMetrics::mean_ci(&refs);
    SeedSummary { mean, ci95, per_seed_reward: ms.iter().map(|m| m.mean_reward).collect() }
}

/// Function-day units of a learned row, averaged over seeds.
fn learned_units(runs: &[SeedRun<'_>], name: &str) -> BTreeMap<(u32, u32), Unit> {
    average(&runs.iter().map(|r| r.learned.results[name].units()).collect::<Vec<_>>())
}

/// Forecast metrics averaged field by field over seeds.
fn mean_forecasts(maps: &[&BTreeMap<String, ForecastMetrics>]) -> BTreeMap<String, ForecastMetrics> {
    let mut out = BTreeMap::new();
    for k in maps.first().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
        let ms: Vec<&ForecastMetrics> = maps.iter().filter_map(|m| m.get(&k)).collect();
        let n = ms.len().max(1) as f64;
        let avg = |g: fn(&ForecastMetrics) -> f64| ms.iter().map(|m| g(m)).sum::<f64>() / n;
        out.insert(
            k,
            ForecastMetrics {
                rmse: avg(|m| m.rmse),
                mae: avg(|m| m.mae),
                r2: avg(|m| m.r2),
                mase: avg(|m| m.mase),
                under_rate: avg(|m| m.under_rate),
                over_ratio: avg(|m| m.over_ratio),
                n: ms.first().map_or(0, |m| m.n),
            },
        );
    }
    out
}

impl Report {
    /// The report of a run: every table from the baselines, each seed's evaluation and
    /// histories, and the exports.
    pub fn assemble(sc: &Scenario, base: &Baselines, runs: &[SeedRun<'_>], info: RunInfo<'_>) -> Self {
        let mut r = Report {
            trace: sc.trace.source.clone(),
            trace_load: sc.trace.report.clone(),
            invocations: sc.trace.inv.len(),
            functions: sc.trace.funcs.len(),
            apps: sc.trace.apps.len(),
            days: sc.trace.days(),
            split: sc.split,
            seed: info.seed,
            seeds: runs.iter().map(|r| r.seed).collect(),
            git_rev: info.git_rev.to_string(),
            machine: machine(),
            date: iso8601(unix_now()),
            quick: info.quick,
            carbon: info.carbon,
            reward_bounds: sc.sim.bounds,
            objective_worth: worth(sc, sc.test_hours()),
            best_fixed_placement: base.best_fixed.to_string(),
            models: info.models,
            ..Default::default()
        };
        for (k, v) in &base.results {
            r.policies.insert(k.clone(), v.metrics());
        }
        for name in
            ["hierarchy", "hierarchy_int8", "strategic_only", "strategic_tactical", "fixed_10min", "hybrid_histogram"]
        {
            r.learned.insert(name.to_string(), summarise(runs, name));
        }
        let mean = |k: &str| r.learned[k].mean.clone();
        r.policies.insert("hierarchy".into(), mean("hierarchy"));
        r.policies.insert("hierarchy_int8".into(), mean("hierarchy_int8"));
        r.ablation = BTreeMap::from([
            ("strategic_only".into(), mean("strategic_only")),
            ("strategic_tactical".into(), mean("strategic_tactical")),
            ("full".into(), mean("hierarchy")),
        ]);
        r.prewarm = BTreeMap::from([
            ("provider_keepalive".into(), mean("strategic_tactical")),
            ("fixed_10min".into(), mean("fixed_10min")),
            ("hybrid_histogram".into(), mean("hybrid_histogram")),
            ("lstm_prewarm".into(), mean("hierarchy")),
        ]);
        let hier = learned_units(runs, "hierarchy");
        for (k, v) in &base.results {
            r.versus.insert(k.clone(), paired_bootstrap(&hier, &v.units(), RESAMPLES, info.seed));
        }
        let (so, st) = (learned_units(runs, "strategic_only"), learned_units(runs, "strategic_tactical"));
        r.ablation_steps.insert("tactical".into(), paired_bootstrap(&st, &so, RESAMPLES, info.seed));
        r.ablation_steps.insert("operational".into(), paired_bootstrap(&hier, &st, RESAMPLES, info.seed));
        r.fill_learned_extras(sc, runs);
        r
    }

    /// Forecasts, int8 agreement, choices and training summaries, averaged over seeds.
    fn fill_learned_extras(&mut self, sc: &Scenario, runs: &[SeedRun<'_>]) {
        let n = runs.len().max(1) as f64;
        // Datasets `trace` and `azure2019` (the per-minute set's test functions) overall, then
        // `<dataset>, <class> functions` per activity class.
        for (ds, get) in [
            ("trace", (|l: &Learned| &l.forecast_trace) as fn(&Learned) -> &ClassMetrics),
            ("azure2019", |l: &Learned| &l.forecast_minutes),
        ] {
            for class in CLASSES {
                let maps: Vec<_> = runs.iter().filter_map(|r| get(r.learned).get(class)).collect();
                if maps.is_empty() {
                    continue;
                }
                let name = if class == ALL { ds.to_string() } else { format!("{ds}, {class} functions") };
                self.forecast.insert(name, mean_forecasts(&maps));
            }
        }
        let fc = &self.forecast["trace"];
        self.int8 = Int8Report {
            dqn_agreement: runs.iter().map(|r| r.learned.dqn_agreement).sum::<f64>() / n,
            ppo_agreement: runs.iter().map(|r| r.learned.ppo_agreement).sum::<f64>() / n,
            lstm_rmse_f32: fc.get("lstm").map(|x| x.rmse).unwrap_or(f64::NAN),
            lstm_rmse_int8: fc.get("lstm_int8").map(|x| x.rmse).unwrap_or(f64::NAN),
            hierarchy_mean_reward: self.learned["hierarchy_int8"].mean.mean_reward,
        };
        for run in runs {
            for (k, v) in choices(sc, &run.learned.hierarchy, sc.test_hours()) {
                *self.hierarchy_choices.entry(k).or_default() += v / n;
            }
            if let Some(h) = &run.hist {
                self.training.insert(format!("seed {}", run.seed), h.summary());
            }
        }
    }
}
