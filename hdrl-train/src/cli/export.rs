//! `hdrl export`: re-export weight files from a run directory's checkpoints, and write the f32
//! networks as ONNX models.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use burn::backend::NdArray;
use burn::module::Module;
use burn::record::DefaultRecorder;

use crate::algos::dqn::QNet;
use crate::algos::export::{self, Exported};
use crate::algos::lstm::ForecastNet;
use crate::algos::ppo::ActorCriticNet;
use crate::cli::config::RunConfig;
use crate::cli::eval::load_f32_bundle;
use crate::cli::train::provenance;
use crate::output::onnx;

/// Export every learner whose best checkpoint a run directory holds: f32 and int8 files, and
/// both bundles when all three are present.
///
/// Returns the directory written.
///
/// # Errors
/// Missing config or checkpoints.
pub fn export_run(run: &Path, out: Option<&Path>) -> Result<PathBuf> {
    let cfg = RunConfig::from_file(&run.join("config.json"))?;
    let out = out.map(Path::to_path_buf).unwrap_or_else(|| run.join("models"));
    let dev = Default::default();
    let ck = run.join("checkpoints");
    let rec = DefaultRecorder::new();
    let info = provenance(&cfg, &format!("checkpoints of {}", run.display()));
    let enc = hdrl_infer::EncoderConfig::DEFAULT;
    let best = |name: &str| ck.join(name).join("best");
    let have = |name: &str| best(name).with_extension("mpk").exists();
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
        let m = ForecastNet::<NdArray>::new(&cfg.lstm, &dev)
            .load_file(best("lstm"), &rec, &dev)
            .context("lstm checkpoint")?;
        Some(export::forecaster(&m)?)
    } else {
        None
    };
    if dqn.is_none() && ppo.is_none() && lstm.is_none() {
        bail!("{}: no checkpoints (expected checkpoints/{{dqn,ppo,lstm}}/best.mpk)", run.display());
    }
    let bounds_file = run.join("reward_bounds.json");
    let bounds: hdrl_infer::RewardBounds = serde_json::from_slice(
        &std::fs::read(&bounds_file)
            .with_context(|| format!("cannot read {} (written by hdrl run and hdrl train)", bounds_file.display()))?,
    )
    .with_context(|| format!("{}: invalid reward bounds", bounds_file.display()))?;
    let mut ex = Exported::new(export::hierarchy(dqn, ppo, lstm, enc));
    // The price table and carbon profile come from the embedded data, as in training.
    let sim = crate::sim::Sim { bounds, ..crate::sim::Sim::new()? };
    ex.set_context(&sim);
    for (k, v) in export::write_models(&out, &ex, &info)? {
        eprintln!("wrote {} ({v} bytes)", out.join(k.trim_start_matches("models/")).display());
    }
    Ok(out)
}

/// Write the three f32 networks of a bundle as ONNX models (see [`crate::output::onnx`]).
///
/// # Errors
/// An unreadable bundle, an int8 or incomplete one, I/O.
pub fn export_onnx(bundle: &Path, dir: &Path) -> Result<()> {
    let h = load_f32_bundle(bundle, "ONNX export")?;
    for p in onnx::write_all(&h, dir)? {
        eprintln!("wrote {}", p.display());
    }
    Ok(())
}
