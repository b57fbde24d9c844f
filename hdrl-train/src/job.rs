//! `hdrl run`: synth (or load) → split → train DQN, PPO, LSTM → export f32 + int8 → evaluate
//! on the test days → report with plots. Wall time per stage is measured and printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::{F32, Hierarchy, I8, Model};

use crate::baselines;
use crate::eval::{Ctx, KeepAlive, PolicyResult, hybrid_histogram};
use crate::export::{self, Exported, ProvenanceInfo};
use crate::forecast;
use crate::pipeline::{self, Data, RunConfig};
use crate::plots::{self, Line, Panel};
use crate::report::{Int8Report, Report, iso8601, markdown};
use crate::run::{Progress, unix_now, write_atomic, write_json};
use crate::workload::{DAY_S, HOUR_S};

/// Inputs of a run.
pub struct RunArgs {
    /// A trace file (either Azure format); the synthetic trace when absent.
    pub trace: Option<PathBuf>,
    /// A per-minute (Azure 2019 format) file for the second forecasting dataset; the embedded
    /// real 100-function sample when absent.
    pub series: Option<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Settings.
    pub cfg: RunConfig,
    /// `--quick`.
    pub quick: bool,
    /// Hide progress bars.
    pub quiet: bool,
}

struct Clock {
    t: Instant,
    wall: BTreeMap<String, f64>,
    progress: Progress,
}

impl Clock {
    fn stage(&mut self, name: &str) {
        let dt = self.t.elapsed().as_secs_f64();
        self.progress.println(format!("[{:>7.1} s] {name}", dt));
        self.wall.insert(name.to_string(), dt);
        self.t = Instant::now();
    }
}

/// Write the three models in both precisions plus both bundles; returns file sizes.
pub fn write_models(dir: &Path, ex: &Exported, enc: &hdrl_infer::EncoderConfig, info: &ProvenanceInfo) -> Result<BTreeMap<String, u64>> {
    let mut sizes = BTreeMap::new();
    let (d, p, l) = (ex.dqn.payload(), ex.ppo.payload(), ex.lstm.payload());
    let (d8, p8, l8) = (ex.dqn8.payload(), ex.ppo8.payload(), ex.lstm8.payload());
    let files: Vec<(&str, Vec<hdrl_infer::ModelRecord<'_>>)> = vec![
        ("dqn.f32.hdrl", vec![hdrl_infer::Dqn::<F32>::record(&d)]),
        ("ppo.f32.hdrl", vec![hdrl_infer::ActorCritic::<F32>::record(&p)]),
        ("lstm.f32.hdrl", vec![hdrl_infer::Forecaster::<F32>::record(&l)]),
        ("dqn.int8.hdrl", vec![hdrl_infer::Dqn::<I8>::record(&d8)]),
        ("ppo.int8.hdrl", vec![hdrl_infer::ActorCritic::<I8>::record(&p8)]),
        ("lstm.int8.hdrl", vec![hdrl_infer::Forecaster::<I8>::record(&l8)]),
        (
            "bundle.f32.hdrl",
            vec![hdrl_infer::Dqn::<F32>::record(&d), hdrl_infer::ActorCritic::<F32>::record(&p), hdrl_infer::Forecaster::<F32>::record(&l)],
        ),
        (
            "bundle.int8.hdrl",
            vec![hdrl_infer::Dqn::<I8>::record(&d8), hdrl_infer::ActorCritic::<I8>::record(&p8), hdrl_infer::Forecaster::<I8>::record(&l8)],
        ),
    ];
    for (name, recs) in files {
        let bytes = export::bundle_bytes(enc, info, &recs)?;
        write_atomic(&dir.join(name), &bytes)?;
        sizes.insert(format!("models/{name}"), bytes.len() as u64);
    }
    Ok(sizes)
}

fn last<T>(v: &[T], f: impl Fn(&T) -> f64) -> f64 {
    v.last().map(f).unwrap_or(f64::NAN)
}

fn best<T>(v: &[T], f: impl Fn(&T) -> f64, max: bool) -> f64 {
    let it = v.iter().map(f).filter(|x| x.is_finite());
    if max { it.fold(f64::NEG_INFINITY, f64::max) } else { it.fold(f64::INFINITY, f64::min) }
}

/// Run the whole job.
///
/// # Errors
/// Any stage's error (bad trace, I/O, model errors).
pub fn run<B: AutodiffBackend>(args: &RunArgs, device: &B::Device) -> Result<Report> {
    let progress = Progress::new(args.quiet);
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    write_json(&out.join("config.json"), &args.cfg)?;
    let seed = args.cfg.seed;
    let mut clock = Clock { t: Instant::now(), wall: BTreeMap::new(), progress: progress.clone() };
    progress.println(format!("hdrl run → {} (seed {seed}{})", out.display(), if args.quick { ", quick" } else { "" }));

    // Data.
    let trace = pipeline::load_trace(args.trace.as_deref(), seed, args.cfg.scale)?;
    progress.println(format!("trace {}: {}", trace.source, trace.report));
    clock.stage("trace");
    let data = Data::new(trace)?;
    clock.stage("tables");

    // Training (checkpoints under out/checkpoints: an interrupted run resumes).
    let ck = out.join("checkpoints");
    let dqn = pipeline::train_dqn::<B>(&data, &args.cfg.dqn, seed, device, &ck, &progress)?;
    write_json(&out.join("history_dqn.json"), &dqn.history)?;
    clock.stage("train_dqn");
    let ppo = pipeline::train_ppo::<B>(&data, &args.cfg.ppo, seed, device, &ck, &progress)?;
    write_json(&out.join("history_ppo.json"), &ppo.history)?;
    clock.stage("train_ppo");
    let lstm = pipeline::train_lstm::<B>(&data, &args.cfg.lstm, seed, device, &ck, &progress)?;
    write_json(&out.join("history_lstm.json"), &lstm.history)?;
    clock.stage("train_lstm");
    let (minutes, minutes_name) = pipeline::minute_windows(&data.enc, args.series.as_deref())?;
    let lstm19 = pipeline::train_lstm_minutes::<B>(&minutes, &args.cfg.lstm2019, seed, device, &ck, &progress, "lstm2019")?;
    write_json(&out.join("history_lstm2019.json"), &lstm19.history)?;
    clock.stage("train_lstm2019");

    // Export.
    let ex = Exported::new(export::dqn(&dqn.model)?, export::ppo(&ppo.model)?, export::forecaster(&lstm.model)?);
    let info = ProvenanceInfo {
        trace: data.trace.source.clone(),
        seed,
        git_rev: pipeline::git_rev(),
        note: format!("hdrl-train {} run{}", env!("CARGO_PKG_VERSION"), if args.quick { " --quick" } else { "" }),
        metrics: vec![
            ("dqn_val_reward".into(), best(&dqn.history, |r| r.val_reward, true) as f32),
            ("ppo_val_reward".into(), best(&ppo.history, |r| r.val_reward, true) as f32),
            ("lstm_val_loss".into(), best(&lstm.history, |r| r.val_loss, false) as f32),
        ],
    };
    let models_dir = out.join("models");
    let mut sizes = write_models(&models_dir, &ex, &data.enc, &info)?;
    let f19 = export::forecaster(&lstm19.model)?;
    let b19 = export::bundle_bytes(&data.enc, &ProvenanceInfo { trace: minutes_name.clone(), ..info.clone() }, &[hdrl_infer::Forecaster::<F32>::record(&f19.payload())])?;
    write_atomic(&models_dir.join("lstm2019.f32.hdrl"), &b19)?;
    sizes.insert("models/lstm2019.f32.hdrl".into(), b19.len() as u64);
    clock.stage("export");

    // Evaluation: load the exported bundles exactly as a gateway would.
    let h32 = Hierarchy::<F32>::load(&std::fs::read(models_dir.join("bundle.f32.hdrl"))?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let h8 = Hierarchy::<I8>::load(&std::fs::read(models_dir.join("bundle.int8.hdrl"))?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let test_hours = (data.split.test.0 * 24, (data.split.test.1 * 24).min(data.tab.hours));
    let ctx = Ctx { sim: &data.sim, tab: &data.tab, hourly: &data.hourly, hours: test_hours, train_hours: data.train_hours() };
    let hier = ctx.hierarchy_schedule(&h32, data.split.val.0, true)?;
    let hier8 = ctx.hierarchy_schedule(&h8, data.split.val.0, true)?;
    let strat = ctx.hierarchy_schedule(&h32, data.split.val.0, false)?;
    let series = ctx.test_series(&data.enc);
    let rates32 = ctx.lstm_forecasts(&h32, &series)?;
    let rates8 = ctx.lstm_forecasts(&h8, &series)?;
    clock.stage("eval_forecasts");
    let (t32, t8) = (ctx.targets(&rates32, &series), ctx.targets(&rates8, &series));
    let mut results: BTreeMap<String, PolicyResult> = BTreeMap::new();
    let pv = KeepAlive::Provider;
    let train_hours = data.train_hours();
    let (fixed_sched, fixed_pl) = baselines::best_fixed(&data.tab, test_hours, train_hours);
    type Run<'a> = (&'a str, baselines::Schedule, Option<&'a [Vec<u32>]>);
    let runs: Vec<Run<'_>> = vec![
        ("hierarchy", hier.clone(), Some(&t32)),
        ("hierarchy_int8", hier8, Some(&t8)),
        ("random", baselines::random(&data.tab, test_hours, seed ^ 0xBA5E), None),
        ("cheapest", baselines::cheapest(&data.sim, &data.tab, test_hours), None),
        ("fastest", baselines::fastest(&data.sim, &data.tab, test_hours, train_hours), None),
        ("greenest", baselines::greenest(&data.sim, &data.tab, test_hours), None),
        ("best_fixed", fixed_sched, None),
        ("greedy_carbon", baselines::greedy_carbon(&data.sim, &data.tab, test_hours, train_hours), None),
        ("oracle", baselines::oracle(&data.tab, test_hours), None),
        ("strategic_only", strat, None),
        ("strategic_tactical", hier.clone(), None),
    ];
    let bar = progress.bar(runs.len() as u64 + 2, "simulate");
    for (name, sched, targets) in &runs {
        results.insert(name.to_string(), ctx.simulate(sched, *targets, &pv));
        bar.inc(1);
    }
    let train_s = (data.split.train.0 as f64 * DAY_S, data.split.train.1 as f64 * DAY_S);
    results.insert("fixed_10min".into(), ctx.simulate(&hier, None, &KeepAlive::Fixed(600.0)));
    bar.inc(1);
    let hybrid = hybrid_histogram(&data.tab, &data.hourly, train_s);
    results.insert("hybrid_histogram".into(), ctx.simulate(&hier, None, &KeepAlive::PerApp(hybrid)));
    bar.finish();
    clock.stage("eval_simulate");

    // Forecasting metrics.
    let mut lstm_rates = BTreeMap::new();
    lstm_rates.insert("lstm".to_string(), rates32.clone());
    lstm_rates.insert("lstm_int8".to_string(), rates8);
    let fc_trace = ctx.forecast_metrics(&series, &lstm_rates);
    let h19 = Hierarchy::<F32>::load(&b19).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut f19fn = |w: &[[f32; 5]; 12]| -> Result<f32> {
        let mut win = hdrl_infer::Window::new();
        for s in w {
            win.push(*s);
        }
        Ok(h19.forecast(&win).map_err(|e| anyhow::anyhow!("{e}"))?.0.request_rate)
    };
    let fc_19 = forecast::eval_minutes(&minutes, &mut [("lstm", &mut f19fn)])?;
    let (dqn_agree, ppo_agree) = ctx.agreement(&h32, &h8, &hier)?;
    clock.stage("eval_metrics");

    // Report.
    let m = |k: &str| results[k].metrics();
    let mut report = Report {
        trace: data.trace.source.clone(),
        trace_load: data.trace.report.clone(),
        invocations: data.trace.inv.len(),
        functions: data.trace.funcs.len(),
        apps: data.trace.apps.len(),
        days: data.trace.days(),
        split: data.split,
        seed,
        git_rev: info.git_rev.clone(),
        machine: pipeline::machine(),
        date: iso8601(unix_now()),
        quick: args.quick,
        best_fixed_placement: fixed_pl.to_string(),
        models: sizes,
        ..Default::default()
    };
    for k in ["hierarchy", "hierarchy_int8", "random", "cheapest", "fastest", "greenest", "best_fixed", "greedy_carbon", "oracle"] {
        report.policies.insert(k.into(), m(k));
    }
    report.ablation.insert("strategic_only".into(), m("strategic_only"));
    report.ablation.insert("strategic_tactical".into(), m("strategic_tactical"));
    report.ablation.insert("full".into(), m("hierarchy"));
    report.prewarm.insert("provider_keepalive".into(), m("strategic_tactical"));
    report.prewarm.insert("fixed_10min".into(), m("fixed_10min"));
    report.prewarm.insert("hybrid_histogram".into(), m("hybrid_histogram"));
    report.prewarm.insert("lstm_prewarm".into(), m("hierarchy"));
    report.int8 = Int8Report {
        dqn_agreement: dqn_agree,
        ppo_agreement: ppo_agree,
        lstm_rmse_f32: fc_trace.get("lstm").map(|x| x.rmse).unwrap_or(f64::NAN),
        lstm_rmse_int8: fc_trace.get("lstm_int8").map(|x| x.rmse).unwrap_or(f64::NAN),
        hierarchy_mean_reward: m("hierarchy_int8").mean_reward,
    };
    let mut choices: BTreeMap<String, f64> = BTreeMap::new();
    let mut n = 0.0f64;
    for (f, row) in hier.iter().enumerate() {
        let home = data.tab.profiles[f].home_region;
        for (k, pl) in row.iter().enumerate() {
            if data.tab.hour[f].get(test_hours.0 + k).is_none_or(|s| s.n == 0) {
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
    report.hierarchy_choices = choices;
    report.forecast.insert("trace".into(), fc_trace);
    report.forecast.insert("azure2019".into(), fc_19);
    let mut tr = BTreeMap::new();
    tr.insert("dqn".to_string(), BTreeMap::from([
        ("best_val_reward".to_string(), best(&dqn.history, |r| r.val_reward, true)),
        ("final_loss".to_string(), last(&dqn.history, |r| r.loss)),
        ("nan_skips".to_string(), last(&dqn.history, |r| r.nan_skips as f64)),
        ("steps_per_s".to_string(), last(&dqn.history, |r| r.sps)),
    ]));
    tr.insert("ppo".to_string(), BTreeMap::from([
        ("best_val_reward".to_string(), best(&ppo.history, |r| r.val_reward, true)),
        ("final_entropy".to_string(), last(&ppo.history, |r| r.entropy)),
        ("nan_skips".to_string(), last(&ppo.history, |r| r.nan_skips as f64)),
        ("env_steps_per_s".to_string(), last(&ppo.history, |r| r.env_sps)),
    ]));
    tr.insert("lstm".to_string(), BTreeMap::from([
        ("best_val_loss".to_string(), best(&lstm.history, |r| r.val_loss, false)),
        ("epochs".to_string(), lstm.history.len() as f64),
        ("nan_skips".to_string(), last(&lstm.history, |r| r.nan_skips as f64)),
    ]));
    tr.insert("lstm2019".to_string(), BTreeMap::from([
        ("best_val_loss".to_string(), best(&lstm19.history, |r| r.val_loss, false)),
        ("epochs".to_string(), lstm19.history.len() as f64),
    ]));
    report.training = tr;

    // Plots.
    let pts = |v: Vec<(f64, f64)>| v;
    plots::lines(&out.join("training_curves.png"), "Training curves", &[
        Panel { title: "DQN: validation reward per day", x: "environment steps", y: "mean daily reward", lines: vec![Line { label: "validation", points: pts(dqn.history.iter().map(|r| (r.step as f64, r.val_reward)).collect()) }] },
        Panel { title: "DQN: Huber loss", x: "environment steps", y: "loss", lines: vec![Line { label: "loss", points: dqn.history.iter().map(|r| (r.step as f64, r.loss)).collect() }] },
        Panel { title: "PPO: reward per hour", x: "update", y: "mean hourly reward", lines: vec![
            Line { label: "validation (greedy)", points: ppo.history.iter().map(|r| (r.update as f64, r.val_reward)).collect() },
            Line { label: "rollout (sampled)", points: ppo.history.iter().map(|r| (r.update as f64, r.rollout_reward)).collect() },
        ] },
        Panel { title: "PPO: policy entropy", x: "update", y: "nats", lines: vec![Line { label: "entropy", points: ppo.history.iter().map(|r| (r.update as f64, r.entropy)).collect() }] },
        Panel { title: "LSTM (trace): asymmetric MSE", x: "epoch", y: "loss", lines: vec![
            Line { label: "train", points: lstm.history.iter().map(|r| (r.epoch as f64, r.train_loss)).collect() },
            Line { label: "validation", points: lstm.history.iter().map(|r| (r.epoch as f64, r.val_loss)).collect() },
        ] },
        Panel { title: "LSTM (Azure 2019): asymmetric MSE", x: "epoch", y: "loss", lines: vec![
            Line { label: "train", points: lstm19.history.iter().map(|r| (r.epoch as f64, r.train_loss)).collect() },
            Line { label: "validation", points: lstm19.history.iter().map(|r| (r.epoch as f64, r.val_loss)).collect() },
        ] },
    ], 3)?;
    let names = ["hierarchy", "hierarchy_int8", "oracle", "best_fixed", "greedy_carbon", "cheapest", "fastest", "greenest", "random"];
    let ms: Vec<_> = names.iter().map(|n| &report.policies[*n]).collect();
    plots::policy_bars(&out.join("policies.png"), &names, &ms)?;
    plots::pareto(&out.join("pareto.png"), &names, &ms)?;
    // Forecast against actual: the three busiest functions, first two test hours.
    let mut busy: Vec<usize> = (0..series.len()).filter(|&f| series[f].is_some()).collect();
    busy.sort_by_key(|&f| std::cmp::Reverse(data.tab.profiles[f].train_invocations));
    let span = 480.min(rates32.first().map(|r| r.len()).unwrap_or(0));
    let panels: Vec<Panel<'_>> = busy
        .iter()
        .take(3)
        .map(|&f| {
            let s = series[f].as_ref().expect("filtered");
            let x = |k: usize| (test_hours.0 as f64 * HOUR_S + k as f64 * 15.0) / 3600.0;
            Panel {
                title: "request rate, 15-s steps",
                x: "hour of trace",
                y: "requests/s",
                lines: vec![
                    Line { label: "actual", points: (0..span).map(|k| (x(k), s.rate[k + 12] as f64)).collect() },
                    Line { label: "LSTM forecast", points: (0..span).map(|k| (x(k), rates32[f][k] as f64)).collect() },
                ],
            }
        })
        .collect();
    if !panels.is_empty() {
        plots::lines(&out.join("forecast.png"), "Forecast against actual (three busiest functions, test days)", &panels, 3)?;
    }
    let cold_line = |label: &'static str, k: &str| Line { label, points: results[k].colds_per_hour.iter().enumerate().map(|(h, &c)| (h as f64, c as f64)).collect() };
    plots::lines(&out.join("coldstarts.png"), "Cold starts over the test days", &[Panel {
        title: "cold starts per hour (hierarchy's placements)",
        x: "test hour",
        y: "cold starts",
        lines: vec![
            cold_line("provider keep-alive", "strategic_tactical"),
            cold_line("fixed 10-min keep-alive", "fixed_10min"),
            cold_line("hybrid histogram", "hybrid_histogram"),
            cold_line("LSTM pre-warming", "hierarchy"),
        ],
    }], 1)?;
    clock.stage("report");
    report.wall_s = clock.wall.clone();
    write_json(&out.join("report.json"), &report)?;
    write_atomic(&out.join("report.md"), markdown(&report).as_bytes())?;
    let total: f64 = report.wall_s.values().sum();
    progress.println(format!("done in {total:.0} s: {}", out.join("report.md").display()));
    Ok(report)
}
