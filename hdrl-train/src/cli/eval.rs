//! `hdrl eval`: a saved bundle on any trace's test days against every baseline, estimated from
//! that trace's training days and scored with the bundle's own reward bounds. Writes the same
//! report and plots as `hdrl run`, without the training sections.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use hdrl_infer::{AnyHierarchy, F32, Hierarchy, I8, Kernels, ModelKind};

use crate::cli::config::RunConfig;
use crate::cli::eval_forecast::load_any;
use crate::data::load::{load_trace, minute_windows};
use crate::evaluate::suite::{self, Loaded};
use crate::output::files::{write_atomic, write_json};
use crate::output::progress::{Progress, StageClock};
use crate::output::provenance::git_rev;
use crate::report::figures;
use crate::report::markdown::markdown;
use crate::report::summary::{Report, RunInfo, SeedRun};
use crate::sim::{Scenario, ScenarioConfig};

/// Inputs of `hdrl eval`.
pub struct EvalArgs {
    /// The bundle.
    pub bundle: PathBuf,
    /// A trace file (either Azure format); the synthetic trace when absent.
    pub trace: Option<PathBuf>,
    /// A per-minute file for the second forecasting dataset.
    pub series: Option<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Settings (seed and scale of the synthetic trace, carbon).
    pub cfg: RunConfig,
    /// Hide progress bars.
    pub quiet: bool,
}

/// A bundle that holds all three models in f32, as `hdrl eval` (the f32 models and their int8
/// quantisation side by side) and the ONNX export need; `command` names the caller in errors.
///
/// # Errors
/// An unreadable file, an int8 bundle, a bundle without all three models.
pub fn load_f32_bundle(path: &Path, command: &str) -> Result<Box<Hierarchy<F32>>> {
    let h = match load_any(path)? {
        AnyHierarchy::F32(h) => h,
        AnyHierarchy::I8(_) => {
            bail!("{}: an int8 bundle; {command} needs the f32 bundle (pass bundle.f32.hdrl)", path.display())
        }
    };
    for kind in ModelKind::ALL {
        if !h.has(kind) {
            bail!("{}: holds no {kind} model; {command} needs all three (bundle.f32.hdrl)", path.display());
        }
    }
    Ok(h)
}

/// Evaluate a bundle.
///
/// # Errors
/// An unreadable or incomplete bundle, a bad trace, I/O.
pub fn eval(a: &EvalArgs) -> Result<Report> {
    let progress = Progress::new(a.quiet);
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let h32 = load_f32_bundle(&a.bundle, "hdrl eval")?;
    let mut h8 = Hierarchy::<I8>::boxed(Kernels::detect());
    h8.quantize_from(&h32);
    let mut clock = StageClock::new(&progress);
    let seed = a.cfg.seed;
    let trace = load_trace(a.trace.as_deref(), seed, a.cfg.scale)?;
    progress.println(format!("trace {}: {}", trace.source, trace.report));
    clock.stage("trace");
    let scfg = ScenarioConfig { bounds: Some(h32.reward_bounds), ..a.cfg.scenario.clone() };
    let sc = Scenario::with(trace, &scfg)?;
    clock.stage("tables");
    let base = suite::baselines(&sc, seed, &progress);
    clock.stage("eval_baselines");
    let minutes = minute_windows(&sc.enc, a.series.as_deref())?;
    let loaded = Loaded { f32: &h32, int8: &h8, minutes: None };
    let learned = suite::learned(&sc, &loaded, &minutes.0, &progress, &mut clock)?;
    let runs = [SeedRun { seed: 0, learned: &learned, hist: None }];
    let info = RunInfo {
        seed,
        git_rev: &git_rev(),
        quick: false,
        carbon: a.cfg.scenario.describe(),
        models: Default::default(),
    };
    let mut report = Report::assemble(&sc, &base, &runs, info);
    report.seeds.clear();
    figures::write_all(&a.out, &sc, &report, &runs)?;
    clock.stage("report");
    report.wall_s = clock.wall.clone();
    write_json(&a.out.join("report.json"), &report)?;
    write_atomic(&a.out.join("report.md"), markdown(&report).as_bytes())?;
    progress.println(format!("{} on {}: {}", a.bundle.display(), sc.trace.source, a.out.join("report.md").display()));
    Ok(report)
}
