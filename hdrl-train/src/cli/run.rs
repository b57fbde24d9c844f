//! `hdrl run`: synthesise (or load) → split → train DQN, PPO, LSTM → export f32 + int8 →
//! evaluate on the test days → report with plots. Wall time per stage is measured and printed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::{F32, Hierarchy, I8, ModelKind};

use crate::algos::export::{self, Exported, ProvenanceInfo};
use crate::algos::{dqn, lstm, ppo, train};
use crate::cli::config::RunConfig;
use crate::data::load::{load_trace, minute_windows};
use crate::data::windows::MinuteWindows;
use crate::evaluate::suite::{self, Loaded};
use crate::output::files::{write_atomic, write_json};
use crate::output::progress::{Progress, StageClock};
use crate::output::provenance::git_rev;
use crate::report::figures;
use crate::report::markdown::markdown;
use crate::report::summary::{Histories, Report, RunInfo, best};
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

/// The four learners, trained.
struct Trained<B: burn::tensor::backend::Backend> {
    dqn: dqn::Trained<B>,
    ppo: ppo::Trained<B>,
    lstm: lstm::Trained<B>,
    lstm_minutes: lstm::Trained<B>,
    minutes: MinuteWindows,
    minutes_name: String,
}

impl<B: burn::tensor::backend::Backend> Trained<B> {
    fn histories(&self) -> Histories<'_> {
        Histories {
            dqn: &self.dqn.history,
            ppo: &self.ppo.history,
            lstm: &self.lstm.history,
            lstm_minutes: &self.lstm_minutes.history,
        }
    }
}

/// Train every learner (checkpoints under `out/checkpoints`: an interrupted run resumes),
/// writing each history next to the report.
fn train_all<B: AutodiffBackend>(
    args: &RunArgs,
    sc: &Scenario,
    device: &B::Device,
    p: &Progress,
    clock: &mut StageClock,
) -> Result<Trained<B::InnerBackend>> {
    let (out, cfg, seed) = (&args.out, &args.cfg, args.cfg.seed);
    let ck = out.join("checkpoints");
    let dqn = train::train_dqn::<B>(sc, &cfg.dqn, seed, device, &ck, p)?;
    write_json(&out.join("history_dqn.json"), &dqn.history)?;
    clock.stage("train_dqn");
    let ppo = train::train_ppo::<B>(sc, &cfg.ppo, seed, device, &ck, p)?;
    write_json(&out.join("history_ppo.json"), &ppo.history)?;
    clock.stage("train_ppo");
    let lstm = train::train_lstm::<B>(sc, &cfg.lstm, seed, device, &ck, p)?;
    write_json(&out.join("history_lstm.json"), &lstm.history)?;
    clock.stage("train_lstm");
    let (minutes, minutes_name) = minute_windows(&sc.enc, args.series.as_deref())?;
    let lstm_minutes = train::train_lstm_minutes::<B>(&minutes, &cfg.lstm2019, seed, device, &ck, p, "lstm2019")?;
    write_json(&out.join("history_lstm2019.json"), &lstm_minutes.history)?;
    clock.stage("train_lstm2019");
    Ok(Trained { dqn, ppo, lstm, lstm_minutes, minutes, minutes_name })
}

/// Export every model (f32 and int8, alone and bundled, and the per-minute forecaster);
/// returns the provenance written and `models/<file>` → bytes.
fn export_all<B: burn::tensor::backend::Backend>(
    args: &RunArgs,
    sc: &Scenario,
    t: &Trained<B>,
) -> Result<(ProvenanceInfo, std::collections::BTreeMap<String, u64>)> {
    let ex = Exported::all(
        export::dqn(&t.dqn.model)?,
        export::ppo(&t.ppo.model)?,
        export::forecaster(&t.lstm.model)?,
        sc.enc,
    );
    let info = ProvenanceInfo {
        trace: sc.trace.source.clone(),
        seed: args.cfg.seed,
        git_rev: git_rev(),
        note: format!("hdrl-train {} run{}", env!("CARGO_PKG_VERSION"), if args.quick { " --quick" } else { "" }),
        metrics: vec![
            ("dqn_val_reward".into(), best(&t.dqn.history, |r| r.val_reward, true) as f32),
            ("ppo_val_reward".into(), best(&t.ppo.history, |r| r.val_reward, true) as f32),
            ("lstm_val_loss".into(), best(&t.lstm.history, |r| r.val_loss, false) as f32),
        ],
    };
    let dir = args.out.join("models");
    let mut sizes = export::write_models(&dir, &ex, &info)?;
    let minutes = export::hierarchy(None, None, Some(export::forecaster(&t.lstm_minutes.model)?), sc.enc);
    let b19 = export::bundle_bytes(
        &minutes,
        &[ModelKind::Lstm],
        &ProvenanceInfo { trace: t.minutes_name.clone(), ..info.clone() },
    )?;
    write_atomic(&dir.join("lstm2019.f32.hdrl"), &b19)?;
    sizes.insert("models/lstm2019.f32.hdrl".into(), b19.len() as u64);
    Ok((info, sizes))
}

/// Load a bundle file exactly as a gateway would.
fn load<P: hdrl_infer::Precision>(path: &Path) -> Result<Box<Hierarchy<P>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Hierarchy::<P>::load(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
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
    let mut clock = StageClock::new(&progress);
    progress.println(format!("hdrl run → {} (seed {seed}{})", out.display(), if args.quick { ", quick" } else { "" }));

    let trace = load_trace(args.trace.as_deref(), seed, args.cfg.scale)?;
    progress.println(format!("trace {}: {}", trace.source, trace.report));
    clock.stage("trace");
    let sc = Scenario::new(trace)?;
    clock.stage("tables");
    let trained = train_all::<B>(args, &sc, device, &progress, &mut clock)?;
    let (info, sizes) = export_all(args, &sc, &trained)?;
    clock.stage("export");

    let models = out.join("models");
    let (h32, h8) = (load::<F32>(&models.join("bundle.f32.hdrl"))?, load::<I8>(&models.join("bundle.int8.hdrl"))?);
    let h19 = load::<F32>(&models.join("lstm2019.f32.hdrl"))?;
    let loaded = Loaded { f32: &h32, int8: &h8, minutes: &h19 };
    let ev = suite::run(&sc, &loaded, &trained.minutes, seed, &progress, &mut clock)?;

    let hist = trained.histories();
    let mut report =
        Report::assemble(&sc, &ev, &hist, RunInfo { seed, git_rev: &info.git_rev, quick: args.quick, models: sizes });
    figures::write_all(out, &sc, &report, &ev, &hist)?;
    clock.stage("report");
    report.wall_s = clock.wall.clone();
    write_json(&out.join("report.json"), &report)?;
    write_atomic(&out.join("report.md"), markdown(&report).as_bytes())?;
    let total: f64 = report.wall_s.values().sum();
    progress.println(format!("done in {total:.0} s: {}", out.join("report.md").display()));
    Ok(report)
}
