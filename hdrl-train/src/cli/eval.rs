//! `hdrl eval`: a saved bundle on any trace's test days against every baseline, estimated from
//! that trace's training days and scored with the bundle's own reward bounds. Writes the same
//! report and plots as `hdrl run`, without the training sections.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use hdrl_infer::{AnyHierarchy, F32, Hierarchy, I8, Kernels, ModelKind};

use crate::cli::config::RunConfig;
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

/// An f32 hierarchy and its int8 quantisation.
type Pair = (Box<Hierarchy<F32>>, Box<Hierarchy<I8>>);

/// The f32 hierarchy and its int8 quantisation, from a bundle in either precision (an int8
/// bundle is evaluated as both, its agreement then being 100 % by construction).
fn hierarchies(bytes: &[u8]) -> Result<Pair> {
    match AnyHierarchy::load(bytes).map_err(|e| anyhow::anyhow!("{e}"))? {
        AnyHierarchy::F32(h) => {
            let mut q = Hierarchy::<I8>::boxed(Kernels::detect());
            q.quantize_from(&h);
            Ok((h, q))
        }
        AnyHierarchy::I8(_) => bail!(
            "hdrl eval needs the f32 bundle (it evaluates the f32 models and their int8 quantisation side by side); pass bundle.f32.hdrl"
        ),
    }
}

/// Evaluate a bundle.
///
/// # Errors
/// An unreadable or incomplete bundle, a bad trace, I/O.
pub fn eval(a: &EvalArgs) -> Result<Report> {
    let progress = Progress::new(a.quiet);
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    let bytes = std::fs::read(&a.bundle).with_context(|| format!("cannot read {}", a.bundle.display()))?;
    let (h32, h8) = hierarchies(&bytes).with_context(|| a.bundle.display().to_string())?;
    for kind in ModelKind::ALL {
        if !h32.has(kind) {
            bail!("{}: holds no {kind} model; hdrl eval needs all three (bundle.f32.hdrl)", a.bundle.display());
        }
    }
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
