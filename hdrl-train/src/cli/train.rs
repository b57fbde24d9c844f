//! `hdrl train`: train one learner; writes its checkpoints, history and exported weights.

use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::tensor::backend::AutodiffBackend;

use crate::algos::export::{self, Exported, ProvenanceInfo};
use crate::algos::train;
use crate::cli::config::RunConfig;
use crate::data::load::{load_trace, minute_windows};
use crate::output::files::write_json;
use crate::output::progress::Progress;
use crate::output::provenance::git_rev;
use crate::sim::Scenario;

/// Which learner `hdrl train` runs.
pub enum Which {
    /// Strategic DQN.
    Dqn,
    /// Tactical PPO.
    Ppo,
    /// Operational LSTM, on the trace or on a per-minute series file.
    Lstm {
        /// Per-minute file (Azure 2019 format).
        series: Option<PathBuf>,
        /// Its step, seconds.
        step: f64,
    },
}

/// Inputs of `hdrl train`.
pub struct TrainArgs {
    /// Learner.
    pub which: Which,
    /// Trace (synthetic when absent).
    pub trace: Option<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Settings.
    pub cfg: RunConfig,
    /// Hide progress bars.
    pub quiet: bool,
}

/// Provenance of the files `hdrl train` and `hdrl export` write.
pub fn provenance(cfg: &RunConfig, trace: &str) -> ProvenanceInfo {
    ProvenanceInfo {
        trace: trace.to_string(),
        seed: cfg.seed,
        git_rev: git_rev(),
        note: format!("hdrl-train {}", env!("CARGO_PKG_VERSION")),
        metrics: Vec::new(),
    }
}

/// Write the files of one model (f32 and int8) and say so.
fn write_one(dir: &std::path::Path, ex: &Exported, info: &ProvenanceInfo) -> Result<()> {
    for (k, v) in export::write_models(dir, ex, info)? {
        eprintln!("wrote {} ({v} bytes)", dir.join(k.trim_start_matches("models/")).display());
    }
    Ok(())
}

/// Print a learner's last validation score beside the rules' scores on the same days.
fn say_validation(name: &str, last: Option<f64>, refs: &[(String, f64)]) {
    if let Some(v) = last {
        eprintln!("{name}: validation reward {v:.4} (last update)");
    }
    for (k, v) in refs {
        eprintln!("{name}: validation reward {v:.4} ({k})");
    }
}

/// Train one learner.
///
/// # Errors
/// Bad trace or series, I/O.
pub fn train<B: AutodiffBackend>(a: &TrainArgs, device: &B::Device) -> Result<()> {
    let p = Progress::new(a.quiet);
    std::fs::create_dir_all(&a.out)?;
    write_json(&a.out.join("config.json"), &a.cfg)?;
    let ck = a.out.join("checkpoints");
    let models = a.out.join("models");
    let seed = a.cfg.seed;
    if let Which::Lstm { series: Some(s), step } = &a.which {
        if (*step - 60.0).abs() > 1e-9 {
            bail!("--step {step}: per-minute (Azure 2019 format) series have 60-second steps");
        }
        let enc = hdrl_infer::EncoderConfig::DEFAULT;
        let (src, name) = minute_windows(&enc, Some(s))?;
        let t = train::train_lstm_minutes::<B>(&src, &a.cfg.lstm, seed, device, &ck, &p, "lstm_series")?;
        write_json(&a.out.join("history_lstm_series.json"), &t.history)?;
        let ex = Exported::new(export::hierarchy(None, None, Some(export::forecaster(&t.model)?), enc));
        let bytes32 = export::bundle_bytes(&ex.f32, &[hdrl_infer::ModelKind::Lstm], &provenance(&a.cfg, &name))?;
        let bytes8 = export::bundle_bytes(&ex.int8, &[hdrl_infer::ModelKind::Lstm], &provenance(&a.cfg, &name))?;
        for (file, bytes) in [("lstm_series.f32.hdrl", bytes32), ("lstm_series.int8.hdrl", bytes8)] {
            crate::output::files::write_atomic(&models.join(file), &bytes)?;
            eprintln!("wrote {} ({} bytes)", models.join(file).display(), bytes.len());
        }
        return Ok(());
    }
    let trace = load_trace(a.trace.as_deref(), seed, a.cfg.scale)?;
    p.println(format!("trace {}: {}", trace.source, trace.report));
    let d = Scenario::with(trace, &a.cfg.scenario)?;
    write_json(&a.out.join("reward_bounds.json"), &d.sim.bounds)?;
    let info = provenance(&a.cfg, &d.trace.source);
    let ex = match &a.which {
        Which::Dqn => {
            let t = train::train_dqn::<B>(&d, &a.cfg.dqn, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_dqn.json"), &t.history)?;
            say_validation("dqn", t.history.last().map(|r| r.val_reward), &t.references);
            export::hierarchy(Some(export::dqn(&t.model)?), None, None, d.enc)
        }
        Which::Ppo => {
            let t = train::train_ppo::<B>(&d, &a.cfg.ppo, None, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_ppo.json"), &t.history)?;
            write_json(&a.out.join("history_ppo_cloning.json"), &t.cloning)?;
            say_validation("ppo", t.history.last().map(|r| r.val_reward), &t.references);
            export::hierarchy(None, Some(export::ppo(&t.model)?), None, d.enc)
        }
        Which::Lstm { .. } => {
            let t = train::train_lstm::<B>(&d, &a.cfg.lstm, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_lstm.json"), &t.history)?;
            export::hierarchy(None, None, Some(export::forecaster(&t.model)?), d.enc)
        }
    };
    let mut ex = Exported::new(ex);
    ex.set_context(&d.sim);
    write_one(&models, &ex, &info)
}
