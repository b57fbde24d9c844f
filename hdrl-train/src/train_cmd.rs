//! `hdrl train`, `hdrl export`, `hdrl eval-forecast`, `hdrl decide`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::backend::NdArray;
use burn::module::Module;
use burn::record::DefaultRecorder;
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::{F32, Hierarchy, I8, InferError, Model, Quant};

use crate::algos::dqn::QNet;
use crate::algos::lstm::ForecastNet;
use crate::algos::ppo::ActorCriticNet;
use crate::export::{self, ProvenanceInfo};
use crate::forecast;
use crate::observation::{DecisionJson, ObservationJson};
use crate::pipeline::{self, Data, RunConfig};
use crate::run::{Progress, write_atomic, write_json};

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

fn provenance(cfg: &RunConfig, trace: &str) -> ProvenanceInfo {
    ProvenanceInfo {
        trace: trace.to_string(),
        seed: cfg.seed,
        git_rev: pipeline::git_rev(),
        note: format!("hdrl-train {}", env!("CARGO_PKG_VERSION")),
        metrics: Vec::new(),
    }
}

fn write_pair<M32: Model, M8: Model>(dir: &Path, name: &str, m32: &M32, m8: &M8, enc: &hdrl_infer::EncoderConfig, info: &ProvenanceInfo) -> Result<()> {
    for (file, payload, rec) in [
        (format!("{name}.f32.hdrl"), m32.payload(), 0),
        (format!("{name}.int8.hdrl"), m8.payload(), 1),
    ] {
        let r = if rec == 0 { M32::record(&payload) } else { M8::record(&payload) };
        let bytes = export::bundle_bytes(enc, info, &[r])?;
        write_atomic(&dir.join(&file), &bytes)?;
        eprintln!("wrote {} ({} bytes)", dir.join(&file).display(), bytes.len());
    }
    Ok(())
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
        let (src, name) = pipeline::minute_windows(&enc, Some(s))?;
        let t = pipeline::train_lstm_minutes::<B>(&src, &a.cfg.lstm, seed, device, &ck, &p, "lstm_series")?;
        write_json(&a.out.join("history_lstm_series.json"), &t.history)?;
        let ex = export::forecaster(&t.model)?;
        let mut q = Box::new(hdrl_infer::Forecaster::<I8>::ZERO);
        q.quantize_from(&ex);
        write_pair(&models, "lstm_series", &*ex, &*q, &enc, &provenance(&a.cfg, &name))?;
        return Ok(());
    }
    let trace = pipeline::load_trace(a.trace.as_deref(), seed, a.cfg.scale)?;
    p.println(format!("trace {}: {}", trace.source, trace.report));
    let d = Data::new(trace)?;
    let info = provenance(&a.cfg, &d.trace.source);
    match &a.which {
        Which::Dqn => {
            let t = pipeline::train_dqn::<B>(&d, &a.cfg.dqn, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_dqn.json"), &t.history)?;
            let ex = export::dqn(&t.model)?;
            let mut q = Box::new(hdrl_infer::Dqn::<I8>::ZERO);
            q.quantize_from(&ex);
            write_pair(&models, "dqn", &*ex, &*q, &d.enc, &info)?;
        }
        Which::Ppo => {
            let t = pipeline::train_ppo::<B>(&d, &a.cfg.ppo, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_ppo.json"), &t.history)?;
            let ex = export::ppo(&t.model)?;
            let mut q = Box::new(hdrl_infer::ActorCritic::<I8>::ZERO);
            q.quantize_from(&ex);
            write_pair(&models, "ppo", &*ex, &*q, &d.enc, &info)?;
        }
        Which::Lstm { .. } => {
            let t = pipeline::train_lstm::<B>(&d, &a.cfg.lstm, seed, device, &ck, &p)?;
            write_json(&a.out.join("history_lstm.json"), &t.history)?;
            let ex = export::forecaster(&t.model)?;
            let mut q = Box::new(hdrl_infer::Forecaster::<I8>::ZERO);
            q.quantize_from(&ex);
            write_pair(&models, "lstm", &*ex, &*q, &d.enc, &info)?;
        }
    }
    Ok(())
}

/// Export every learner whose best checkpoint a run directory holds: f32 and int8 files, and
/// both bundles when all three are present.
///
/// # Errors
/// Missing config or checkpoints.
pub fn export_run(run: &Path, out: Option<&Path>) -> Result<()> {
    let cfg = RunConfig::from_file(&run.join("config.json"))?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| run.join("models"));
    let dev = Default::default();
    let ck = run.join("checkpoints");
    let rec = DefaultRecorder::new();
    let info = provenance(&cfg, &format!("checkpoints of {}", run.display()));
    let enc = hdrl_infer::EncoderConfig::DEFAULT;
    let best = |name: &str| ck.join(name).join("best");
    let have = |name: &str| best(name).with_extension("mpk").exists();
    let mut done = 0;
    let dqn = if have("dqn") {
        let m = QNet::<NdArray>::new(&cfg.dqn, &dev).load_file(best("dqn"), &rec, &dev).context("dqn checkpoint")?;
        Some(export::dqn(&m)?)
    } else {
        None
    };
    let ppo = if have("ppo") {
        let m = ActorCriticNet::<NdArray>::new(&dev).load_file(best("ppo"), &rec, &dev).context("ppo checkpoint")?;
        Some(export::ppo(&m)?)
    } else {
        None
    };
    let lstm = if have("lstm") {
        let m = ForecastNet::<NdArray>::new(&cfg.lstm, &dev).load_file(best("lstm"), &rec, &dev).context("lstm checkpoint")?;
        Some(export::forecaster(&m)?)
    } else {
        None
    };
    if let Some(m) = &dqn {
        let mut q = Box::new(hdrl_infer::Dqn::<I8>::ZERO);
        q.quantize_from(m);
        write_pair(&out, "dqn", &**m, &*q, &enc, &info)?;
        done += 1;
    }
    if let Some(m) = &ppo {
        let mut q = Box::new(hdrl_infer::ActorCritic::<I8>::ZERO);
        q.quantize_from(m);
        write_pair(&out, "ppo", &**m, &*q, &enc, &info)?;
        done += 1;
    }
    if let Some(m) = &lstm {
        let mut q = Box::new(hdrl_infer::Forecaster::<I8>::ZERO);
        q.quantize_from(m);
        write_pair(&out, "lstm", &**m, &*q, &enc, &info)?;
        done += 1;
    }
    if let (Some(d), Some(p), Some(l)) = (dqn, ppo, lstm) {
        let ex = export::Exported::new(d, p, l);
        let sizes = crate::job::write_models(&out, &ex, &enc, &info)?;
        for (k, v) in sizes.iter().filter(|(k, _)| k.contains("bundle")) {
            eprintln!("wrote {k} ({v} bytes)");
        }
    }
    if done == 0 {
        bail!("{}: no checkpoints (expected checkpoints/{{dqn,ppo,lstm}}/best.mpk)", run.display());
    }
    Ok(())
}

enum Loaded {
    F32(Box<Hierarchy<F32>>),
    I8(Box<Hierarchy<I8>>),
}

fn load_any(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    match Hierarchy::<F32>::load(&bytes) {
        Ok(h) => Ok(Loaded::F32(h)),
        Err(InferError::WrongQuant { found: Quant::I8, .. }) => {
            Ok(Loaded::I8(Hierarchy::<I8>::load(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?))
        }
        Err(e) => bail!("{}: {e}", path.display()),
    }
}

/// `hdrl eval-forecast`.
///
/// # Errors
/// Unreadable files or a bundle without an LSTM.
pub fn eval_forecast(model: &Path, series: &Path, json: Option<&Path>) -> Result<()> {
    let loaded = load_any(model)?;
    let enc = match &loaded {
        Loaded::F32(h) => h.encoder,
        Loaded::I8(h) => h.encoder,
    };
    let (src, name) = pipeline::minute_windows(&enc, Some(series))?;
    let mut f = |w: &[[f32; 5]; 12]| -> Result<f32> {
        let mut win = hdrl_infer::Window::new();
        for s in w {
            win.push(*s);
        }
        let r = match &loaded {
            Loaded::F32(h) => h.forecast(&win),
            Loaded::I8(h) => h.forecast(&win),
        };
        Ok(r.map_err(|e| anyhow::anyhow!("{}: {e}", model.display()))?.0.request_rate)
    };
    let m = forecast::eval_minutes(&src, &mut [("lstm", &mut f)])?;
    println!("{name}: last 20 % of {} steps of {} series", src.series.first().map(|s| s.x.len()).unwrap_or(0), src.series.len());
    println!("{:<16} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}", "model", "rmse", "mae", "r2", "mase", "under", "over");
    for (k, v) in &m {
        println!("{k:<16} {:>10.4} {:>10.4} {:>8.3} {:>8.3} {:>7.1}% {:>8.3}", v.rmse, v.mae, v.r2, v.mase, 100.0 * v.under_rate, v.over_ratio);
    }
    if let Some(j) = json {
        write_json(j, &m)?;
    }
    Ok(())
}

/// `hdrl decide`.
///
/// # Errors
/// Unreadable bundle, invalid JSON, or an observation the encoder rejects.
pub fn decide(model: &Path, json: &str) -> Result<()> {
    let o: ObservationJson = serde_json::from_str(json).context("invalid observation JSON")?;
    let obs = o.observation();
    let mut w = hdrl_infer::Window::new();
    let d = match load_any(model)? {
        Loaded::F32(h) => {
            for s in &o.history {
                h.observe(&mut w, &(*s).into()).map_err(|e| anyhow::anyhow!("history: {e}"))?;
            }
            h.decide(&mut w, &obs)
        }
        Loaded::I8(h) => {
            for s in &o.history {
                h.observe(&mut w, &(*s).into()).map_err(|e| anyhow::anyhow!("history: {e}"))?;
            }
            h.decide(&mut w, &obs)
        }
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&DecisionJson::from(&d))?);
    Ok(())
}
