//! `hdrl run`: synthesise (or load) → split → baselines → for each training seed: train DQN,
//! PPO, LSTM → export f32 + int8 → evaluate on the test days → one report over the seeds, with
//! plots. Wall time per stage is measured and printed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::backend::{AutodiffBackend, Backend};
use hdrl_infer::{F32, Hierarchy, I8, ModelKind};

use crate::algos::export::{self, Exported, ProvenanceInfo};
use crate::algos::{dqn, lstm, ppo, train};
use crate::cli::config::RunConfig;
use crate::data::load::{load_trace, minute_windows};
use crate::data::windows::MinuteWindows;
use crate::evaluate::suite::{self, Learned, Loaded};
use crate::output::files::{write_atomic, write_json};
use crate::output::progress::{Progress, StageClock};
use crate::output::provenance::git_rev;
use crate::report::figures;
use crate::report::markdown::markdown;
use crate::report::summary::{Histories, Report, RunInfo, SeedRun, best};
use crate::sim::Scenario;

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

/// The four learners of one seed, trained.
struct Trained<B: Backend> {
    dqn: dqn::Trained<B>,
    ppo: ppo::Trained<B>,
    lstm: lstm::Trained<B>,
    lstm_minutes: lstm::Trained<B>,
}

impl<B: Backend> Trained<B> {
    fn histories(&self) -> Histories<'_> {
        Histories {
            dqn: &self.dqn.history,
            ppo: &self.ppo.history,
            lstm: &self.lstm.history,
            lstm_minutes: &self.lstm_minutes.history,
            dqn_references: &self.dqn.references,
            ppo_references: &self.ppo.references,
            ppo_cloning: &self.ppo.cloning,
        }
    }
}

/// Where one seed writes, and its seed.
struct SeedDir<'a> {
    dir: PathBuf,
    seed: u64,
    args: &'a RunArgs,
}

/// Train every learner (checkpoints under `<dir>/checkpoints`: an interrupted run resumes),
/// writing each history.
fn train_all<B: AutodiffBackend>(
    s: &SeedDir<'_>,
    sc: &Scenario,
    minutes: &MinuteWindows,
    device: &B::Device,
    p: &Progress,
    clock: &mut StageClock,
) -> Result<Trained<B::InnerBackend>> {
    let (dir, cfg, seed) = (&s.dir, &s.args.cfg, s.seed);
    let ck = dir.join("checkpoints");
    let dqn = train::train_dqn::<B>(sc, &cfg.dqn, seed, device, &ck, p)?;
    write_json(&dir.join("history_dqn.json"), &dqn.history)?;
    clock.stage("train_dqn");
    // The DQN's daily providers on the training days, for the PPO's DAgger round on them.
    let providers = if cfg.ppo.bc.dagger_dqn {
        let h = export::hierarchy(Some(export::dqn(&dqn.model)?), None, None, sc.enc);
        Some(crate::evaluate::hierarchy::dqn_providers(&h, &sc.tab, &sc.sim, 1, sc.split.train.1)?)
    } else {
        None
    };
    let ppo = train::train_ppo::<B>(sc, &cfg.ppo, providers.as_deref(), seed, device, &ck, p)?;
    write_json(&dir.join("history_ppo.json"), &ppo.history)?;
    write_json(&dir.join("history_ppo_cloning.json"), &ppo.cloning)?;
    clock.stage("train_ppo");
    let lstm = train::train_lstm::<B>(sc, &cfg.lstm, seed, device, &ck, p)?;
    write_json(&dir.join("history_lstm.json"), &lstm.history)?;
    clock.stage("train_lstm");
    let lstm_minutes = train::train_lstm_minutes::<B>(minutes, &cfg.lstm2019, seed, device, &ck, p, "lstm2019")?;
    write_json(&dir.join("history_lstm2019.json"), &lstm_minutes.history)?;
    clock.stage("train_lstm2019");
    Ok(Trained { dqn, ppo, lstm, lstm_minutes })
}

/// Export every model of a seed (f32 and int8, alone and bundled, and the per-minute
/// forecaster, each with the scenario's encoder constants and reward bounds); returns the git
/// revision written and `<prefix>models/<file>` → bytes.
fn export_all<B: Backend>(
    s: &SeedDir<'_>,
    sc: &Scenario,
    t: &Trained<B>,
    minutes_name: &str,
) -> Result<(String, BTreeMap<String, u64>)> {
    let mut ex = Exported::all(
        export::dqn(&t.dqn.model)?,
        export::ppo(&t.ppo.model)?,
        export::forecaster(&t.lstm.model)?,
        sc.enc,
    );
    ex.set_context(&sc.sim);
    let info = ProvenanceInfo {
        trace: sc.trace.source.clone(),
        seed: s.seed,
        git_rev: git_rev(),
        note: format!("hdrl-train {} run{}", env!("CARGO_PKG_VERSION"), if s.args.quick { " --quick" } else { "" }),
        metrics: vec![
            ("dqn_val_reward".into(), best(&t.dqn.history, |r| r.val_reward, true) as f32),
            ("ppo_val_reward".into(), best(&t.ppo.history, |r| r.val_reward, true) as f32),
            ("lstm_val_loss".into(), best(&t.lstm.history, |r| r.val_loss, false) as f32),
        ],
    };
    write_json(&s.dir.join("reward_bounds.json"), &sc.sim.bounds)?;
    let dir = s.dir.join("models");
    let mut sizes = export::write_models(&dir, &ex, &info)?;
    let mut minutes = export::hierarchy(None, None, Some(export::forecaster(&t.lstm_minutes.model)?), sc.enc);
    export::set_context(&mut minutes, &sc.sim);
    let info19 = ProvenanceInfo { trace: minutes_name.to_string(), ..info.clone() };
    let b19 = export::bundle_bytes(&minutes, &[ModelKind::Lstm], &info19)?;
    write_atomic(&dir.join("lstm2019.f32.hdrl"), &b19)?;
    sizes.insert("models/lstm2019.f32.hdrl".into(), b19.len() as u64);
    let prefix = s.dir.strip_prefix(&s.args.out).ok().filter(|p| !p.as_os_str().is_empty());
    let sizes =
        sizes.into_iter().map(|(k, v)| (prefix.map_or(k.clone(), |p| format!("{}/{k}", p.display())), v)).collect();
    Ok((info.git_rev, sizes))
}

/// Load a bundle file exactly as a gateway would.
pub fn load<P: hdrl_infer::Precision>(path: &Path) -> Result<Box<Hierarchy<P>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Hierarchy::<P>::load(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// One seed's learners, evaluation, git revision and exported file sizes.
type SeedResult<B> = (Trained<B>, Learned, String, BTreeMap<String, u64>);

/// Train, export and evaluate one seed.
fn one_seed<B: AutodiffBackend>(
    s: &SeedDir<'_>,
    sc: &Scenario,
    minutes: &(MinuteWindows, String),
    device: &B::Device,
    p: &Progress,
    clock: &mut StageClock,
) -> Result<SeedResult<B::InnerBackend>> {
    p.println(format!("seed {}: training into {}", s.seed, s.dir.display()));
    let trained = train_all::<B>(s, sc, &minutes.0, device, p, clock)?;
    let (rev, sizes) = export_all(s, sc, &trained, &minutes.1)?;
    clock.stage("export");
    let models = s.dir.join("models");
    let (h32, h8) = (load::<F32>(&models.join("bundle.f32.hdrl"))?, load::<I8>(&models.join("bundle.int8.hdrl"))?);
    let h19 = load::<F32>(&models.join("lstm2019.f32.hdrl"))?;
    let loaded = Loaded { f32: &h32, int8: &h8, minutes: Some(&h19) };
    let [val_h, val_e, val_6] = suite::validation(sc, &h32)?;
    p.println(format!(
        "seed {}: validation days: hierarchy {val_h:.4}, expected_best {val_e:.4} ({:+.4}), expected_best_6h {val_6:.4} ({:+.4})",
        s.seed,
        val_h - val_e,
        val_h - val_6
    ));
    write_json(
        &s.dir.join("validation.json"),
        &serde_json::json!({"hierarchy": val_h, "expected_best": val_e, "expected_best_6h": val_6}),
    )?;
    let learned = suite::learned(sc, &loaded, &minutes.0, p, clock)?;
    Ok((trained, learned, rev, sizes))
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
    let (seed, n_seeds) = (args.cfg.seed, args.cfg.seeds.max(1));
    let mut clock = StageClock::new(&progress);
    let quick = if args.quick { ", quick" } else { "" };
    progress.println(format!("hdrl run → {} (seed {seed}, {n_seeds} training seed(s){quick})", out.display()));

    let trace = load_trace(args.trace.as_deref(), seed, args.cfg.scale)?;
    progress.println(format!("trace {}: {}", trace.source, trace.report));
    clock.stage("trace");
    let sc = Scenario::with(trace, &args.cfg.scenario)?;
    let b = sc.sim.bounds;
    progress.println(format!(
        "reward bounds from the training days: cost {:.3e} USD, latency {:.0} ms, carbon {:.3e} g",
        b.max_cost_usd, b.max_latency_ms, b.max_carbon_g
    ));
    clock.stage("tables");
    let base = suite::baselines(&sc, seed, &progress);
    clock.stage("eval_baselines");
    let minutes = minute_windows(&sc.enc, args.series.as_deref())?;

    let mut done = Vec::new();
    let (mut rev, mut models) = (String::new(), BTreeMap::new());
    for s in (0..n_seeds as u64).map(|i| seed + i) {
        let dir = if n_seeds == 1 { out.clone() } else { out.join(format!("seed-{s}")) };
        let (t, l, r, m) =
            one_seed::<B>(&SeedDir { dir, seed: s, args }, &sc, &minutes, device, &progress, &mut clock)?;
        (rev, models) = (r, models.into_iter().chain(m).collect());
        done.push((s, t, l));
    }
    let runs: Vec<SeedRun<'_>> =
        done.iter().map(|(s, t, l)| SeedRun { seed: *s, learned: l, hist: Some(t.histories()) }).collect();
    let carbon = args.cfg.scenario.describe();
    let info = RunInfo { seed, git_rev: &rev, quick: args.quick, carbon, models };
    let mut report = Report::assemble(&sc, &base, &runs, info);
    figures::write_all(out, &sc, &report, &runs)?;
    clock.stage("report");
    report.wall_s = clock.wall.clone();
    write_json(&out.join("report.json"), &report)?;
    write_atomic(&out.join("report.md"), markdown(&report).as_bytes())?;
    let total: f64 = report.wall_s.values().sum();
    progress.println(format!("done in {total:.0} s: {}", out.join("report.md").display()));
    Ok(report)
}
