//! The stages shared by `hdrl train`, `hdrl export` and `hdrl run`: load or synthesise the
//! trace, split, build the simulator tables, train each learner, export.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::EncoderConfig;
use serde::{Deserialize, Serialize};

use crate::algos::dqn::{self, DqnConfig};
use crate::algos::lstm::{self, ForecastConfig};
use crate::algos::ppo::{self, PpoConfig};
use crate::env::{StrategicEnv, TacticalEnv};
use crate::forecast::{MinuteWindows, TraceWindows};
use crate::refdata;
use crate::run::Progress;
use crate::sim::Sim;
use crate::tables::Tables;
use crate::trace::{self, Format, Trace};
use crate::workload::{DAY_S, Hourly, Split, profiles};

/// Every setting of a run, written to `config.json` before training starts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    /// Seed of everything (trace synthesis, initialisation, exploration, sampling).
    pub seed: u64,
    /// Scale of the synthetic trace (1 = the real trace's ≈ 2 M invocations).
    pub scale: f64,
    /// DQN settings.
    pub dqn: DqnConfig,
    /// PPO settings.
    pub ppo: PpoConfig,
    /// LSTM settings (the run's trace).
    pub lstm: ForecastConfig,
    /// LSTM settings (the real Azure 2019 sample).
    pub lstm2019: ForecastConfig,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            scale: 1.0,
            dqn: DqnConfig::default(),
            ppo: PpoConfig::default(),
            lstm: ForecastConfig::default(),
            lstm2019: ForecastConfig { batches_per_epoch: 8, val_windows: 512, ..ForecastConfig::default() },
        }
    }
}

impl RunConfig {
    /// The one-minute smoke settings of `--quick`.
    pub fn quick() -> Self {
        let mut c = Self { scale: 0.05, ..Self::default() };
        c.dqn.steps = 600;
        c.dqn.round = 200;
        c.dqn.warmup = 100;
        c.dqn.eps_decay_steps = 200.0;
        c.ppo.updates = 4;
        c.ppo.rollout = 512;
        c.ppo.epochs = 3;
        c.ppo.val_pairs = 60;
        c.lstm.max_epochs = 3;
        c.lstm.batches_per_epoch = 4;
        c.lstm.val_windows = 128;
        c.lstm2019.max_epochs = 2;
        c.lstm2019.batches_per_epoch = 4;
        c.lstm2019.val_windows = 128;
        c
    }

    /// Read a JSON config file; missing fields keep their defaults.
    ///
    /// # Errors
    /// Unreadable file or invalid JSON.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read config {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: invalid config", path.display()))
    }
}

/// Everything derived from the trace.
pub struct Data {
    /// The trace.
    pub trace: Trace,
    /// Temporal split.
    pub split: Split,
    /// Invocations by function and hour.
    pub hourly: Hourly,
    /// The simulator.
    pub sim: Sim,
    /// Training tables.
    pub tab: Tables,
    /// Encoder constants stored with the models.
    pub enc: EncoderConfig,
}

/// Load a trace file in either format, or synthesise the default.
///
/// # Errors
/// Unreadable or invalid trace.
pub fn load_trace(path: Option<&Path>, seed: u64, scale: f64) -> Result<Trace> {
    match path {
        None => Ok(crate::synth::generate(seed, scale)),
        Some(p) => match trace::detect(p)? {
            Format::Azure2021 => trace::load_2021(p),
            Format::Azure2019 => {
                let pm = trace::load_2019(p)?;
                let d = companion(p, "durations").map(|c| trace::load_durations_str(&c)).transpose()?.unwrap_or_default();
                Ok(trace::per_minute_to_trace(&pm, &d, seed))
            }
        },
    }
}

/// A 2019 companion file next to an invocations file (`durations.csv`, `memory.csv`), or
/// the embedded sample's when the file is the embedded sample's name.
fn companion(p: &Path, kind: &str) -> Option<String> {
    let dir = p.parent()?;
    std::fs::read_to_string(dir.join(format!("{kind}.csv"))).ok()
}

impl Data {
    /// Build everything from a trace.
    ///
    /// # Errors
    /// Reference data does not parse.
    pub fn new(trace: Trace) -> Result<Self> {
        let split = Split::for_days(trace.days());
        let mem = trace::load_memory_str(refdata::AZURE2019_MEMORY)?;
        let hourly = Hourly::new(&trace);
        let sim = Sim::new()?;
        let tab = Tables::build(&sim, &trace, profiles(&trace, &split, &mem), &hourly, (split.train.0 * 24, split.train.1 * 24));
        Ok(Self { trace, split, hourly, sim, tab, enc: EncoderConfig::DEFAULT })
    }

    /// Training hours.
    pub fn train_hours(&self) -> (usize, usize) {
        (self.split.train.0 * 24, self.split.train.1 * 24)
    }
}

/// Train the strategic DQN; checkpoints under `dir/dqn`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_dqn<B: AutodiffBackend>(d: &Data, cfg: &DqnConfig, seed: u64, device: &B::Device, dir: &Path, p: &Progress) -> Result<dqn::Trained<B::InnerBackend>> {
    let mut env = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.train, seed ^ 1);
    let val = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.val, seed ^ 2);
    dqn::train::<B>(cfg, &mut env, &val, d.split.val, seed, device, &dir.join("dqn"), p)
}

/// Train the tactical PPO; checkpoints under `dir/ppo`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_ppo<B: AutodiffBackend>(d: &Data, cfg: &PpoConfig, seed: u64, device: &B::Device, dir: &Path, p: &Progress) -> Result<ppo::Trained<B::InnerBackend>> {
    let mut env = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.train, cfg.n_envs, seed ^ 3);
    let val = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.val, 1, seed ^ 4);
    ppo::train::<B>(cfg, &mut env, &val, seed, device, &dir.join("ppo"), p)
}

/// Train the LSTM on the run's trace (15-s steps); checkpoints under `dir/lstm`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_lstm<B: AutodiffBackend>(d: &Data, cfg: &ForecastConfig, seed: u64, device: &B::Device, dir: &Path, p: &Progress) -> Result<lstm::Trained<B::InnerBackend>> {
    let tr = (d.split.train.0 as f64 * DAY_S, d.split.train.1 as f64 * DAY_S);
    let va = (d.split.val.0 as f64 * DAY_S, d.split.val.1 as f64 * DAY_S);
    let src = TraceWindows::new(d.enc, &d.hourly.by_func, &d.tab.profiles, crate::eval::STEP_S, tr, va);
    lstm::train::<B, _>(cfg, &src, seed, device, &dir.join("lstm"), p, "lstm")
}

/// A per-minute (Azure 2019 format) series set with its companions: a file, or the embedded
/// real 100-function sample.
///
/// # Errors
/// Unreadable or invalid files.
pub fn minute_windows(enc: &EncoderConfig, series: Option<&Path>) -> Result<(MinuteWindows, String)> {
    let (pm, dur, mem, name) = match series {
        Some(p) => {
            let pm = trace::load_2019(p)?;
            let dur = companion(p, "durations").map(|c| trace::load_durations_str(&c)).transpose()?.unwrap_or_default();
            let mem = companion(p, "memory").map(|c| trace::load_memory_str(&c)).transpose()?.unwrap_or_default();
            (pm, dur, mem, p.display().to_string())
        }
        None => (
            trace::load_2019_str(refdata::AZURE2019_INVOCATIONS, "azure2019-100")?,
            trace::load_durations_str(refdata::AZURE2019_DURATIONS)?,
            trace::load_memory_str(refdata::AZURE2019_MEMORY)?,
            "azure2019-100 (embedded real sample)".to_string(),
        ),
    };
    let dur_ms: HashMap<String, f64> = dur
        .iter()
        .map(|d| {
            let mean = d.points.iter().find(|p| p.0 == 50.0).map(|p| p.1).unwrap_or(1000.0);
            (d.func.clone(), mean)
        })
        .collect();
    let mem_mb: HashMap<String, f64> = mem.into_iter().collect();
    Ok((MinuteWindows::new(enc, &pm, &dur_ms, &mem_mb), name))
}

/// Train the LSTM on per-minute series (first 80 % of each series); checkpoints under `dir/<name>`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_lstm_minutes<B: AutodiffBackend>(src: &MinuteWindows, cfg: &ForecastConfig, seed: u64, device: &B::Device, dir: &Path, p: &Progress, name: &str) -> Result<lstm::Trained<B::InnerBackend>> {
    lstm::train::<B, _>(cfg, src, seed, device, &dir.join(name), p, name)
}

/// Git revision of the working tree, or `unknown`.
pub fn git_rev() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// CPU model and core count of this machine.
pub fn machine() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{model}, {cores} cores")
}

/// Default output directory: `runs/<UTC timestamp>`.
pub fn default_out() -> PathBuf {
    PathBuf::from("runs").join(format!("{}", crate::run::unix_now()))
}
