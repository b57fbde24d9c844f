//! `hdrl`: the command line. Parsing and dispatch only; picks the burn backend by flag and
//! cargo feature.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::backend::{Autodiff, NdArray};
use clap::{Parser, Subcommand, ValueEnum};
use hdrl_train::cli;
use hdrl_train::cli::config::{self, RunConfig};
use hdrl_train::cli::run::RunArgs;
use hdrl_train::data::carbon::CarbonMode;

#[derive(Parser)]
#[command(name = "hdrl", version, about = "Learned multi-cloud serverless placement: train, evaluate, export")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Learner {
    Dqn,
    Ppo,
    Lstm,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Trace file (Azure 2021 `app,func,end_timestamp,duration` or Azure 2019 per-minute);
    /// the embedded synthetic trace when absent.
    #[arg(long)]
    trace: Option<PathBuf>,
    /// Output directory (default runs/<unix time>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of everything.
    #[arg(long)]
    seed: Option<u64>,
    /// Scale of the synthetic trace (1 = about 2 M invocations).
    #[arg(long)]
    scale: Option<f64>,
    /// Grid carbon intensity: `hourly` (Electricity Maps 2022, each invocation charged its
    /// region's hour) or `static` (each zone's 2022 annual mean).
    #[arg(long)]
    carbon: Option<CarbonMode>,
    /// Calendar instant of trace time 0 for hourly carbon, `2022-MM-DDTHH:00Z`.
    #[arg(long)]
    carbon_origin: Option<String>,
    /// JSON config file (see config.json in any run directory); flags override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// One-minute smoke run with tiny budgets.
    #[arg(long)]
    quick: bool,
    /// `cpu` (burn-ndarray) or `cuda` / `cuda:N` (build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Train all three learners, evaluate on the test days against the baselines, export f32
    /// and int8 weights, write report.md / report.json / plots.
    Run {
        #[command(flatten)]
        common: Common,
        /// Per-minute file (Azure 2019 format) for the second forecasting dataset; the
        /// embedded real 100-function sample when absent.
        #[arg(long)]
        series: Option<PathBuf>,
        /// Training seeds (each trains and evaluates its own learners on the same trace;
        /// learned rows are reported as mean ± 95 % CI).
        #[arg(long)]
        seeds: Option<usize>,
    },
    /// Evaluate a saved bundle on any trace's test days against every baseline (estimated from
    /// that trace's training days), with the bundle's reward bounds: the same tables and plots
    /// as `hdrl run`, without training.
    Eval {
        /// Bundle with all three models, f32 (its int8 quantisation is evaluated beside it) or
        /// int8.
        #[arg(long)]
        bundle: PathBuf,
        #[command(flatten)]
        common: Common,
        /// Per-minute file (Azure 2019 format) for the second forecasting dataset.
        #[arg(long)]
        series: Option<PathBuf>,
    },
    /// Write the synthetic trace in the Azure Functions 2021 format.
    Synth {
        /// Output CSV.
        #[arg(long)]
        out: PathBuf,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scale (1 = about 2 M invocations).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Load a trace, validate it and write the prepared data (Parquet, CSV, metadata.json).
    Prepare {
        /// Trace file (either format); the synthetic trace when absent.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Bin width of the per-function series, seconds.
        #[arg(long, default_value_t = 15.0)]
        step: f64,
        /// Seed (synthetic trace and 2019 duration sampling).
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Train one learner; writes its checkpoints, history and exported weights.
    Train {
        /// Which learner.
        learner: Learner,
        #[command(flatten)]
        common: Common,
        /// LSTM only: train on a per-minute file (Azure 2019 format) instead of the trace.
        #[arg(long)]
        series: Option<PathBuf>,
        /// LSTM only: step of `--series`, seconds (per-minute files: 60).
        #[arg(long, default_value_t = 60.0)]
        step: f64,
    },
    /// Re-export weight files from a run directory's checkpoints (f32, int8, bundle), and/or
    /// write the f32 networks as ONNX models (opset 17) with `--onnx DIR`.
    Export {
        /// Run directory (with checkpoints/ and config.json).
        #[arg(long, required_unless_present = "bundle", conflicts_with = "bundle")]
        run: Option<PathBuf>,
        /// An f32 bundle to write as ONNX (instead of a run directory; needs `--onnx`).
        #[arg(long, requires = "onnx")]
        bundle: Option<PathBuf>,
        /// Output directory of the weight files (default <run>/models).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write dqn.onnx, ppo.onnx, lstm.onnx and examples.json (seeded inputs and
        /// hdrl-infer's outputs) into this directory.
        #[arg(long)]
        onnx: Option<PathBuf>,
    },
    /// Evaluate a saved forecaster and the forecasting baselines on the test functions of any
    /// Azure 2019 per-minute file (15 % of the functions, the last 20 % of their minutes),
    /// overall and per activity class.
    EvalForecast {
        /// Weight file holding an LSTM (e.g. models/lstm2019.f32.hdrl).
        #[arg(long)]
        model: PathBuf,
        /// Per-minute file.
        #[arg(long)]
        series: PathBuf,
        /// Also write the metrics as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Print one decision of a bundle for an observation (JSON file or inline JSON).
    Decide {
        /// Bundle (f32 or int8).
        #[arg(long)]
        model: PathBuf,
        /// Observation: a JSON file, or a JSON object inline.
        #[arg(long)]
        observation: String,
    },
}

fn config(c: &Common) -> Result<RunConfig> {
    let mut cfg = match &c.config {
        Some(p) => RunConfig::from_file(p)?,
        None if c.quick => RunConfig::quick(),
        None => RunConfig::default(),
    };
    if let Some(s) = c.seed {
        cfg.seed = s;
    }
    if let Some(s) = c.scale {
        cfg.scale = s;
    }
    if let Some(m) = c.carbon {
        cfg.scenario.carbon = m;
    }
    if let Some(o) = &c.carbon_origin {
        hdrl_train::data::carbon::hour_of_2022(o)?;
        cfg.scenario.carbon_origin = o.clone();
    }
    Ok(cfg)
}

enum Device {
    Cpu,
    #[cfg(feature = "cuda")]
    Cuda(usize),
}

fn device(s: &str) -> Result<Device> {
    match s {
        "cpu" => Ok(Device::Cpu),
        d if d.starts_with("cuda") => {
            #[cfg(feature = "cuda")]
            {
                let i =
                    d.strip_prefix("cuda").and_then(|r| r.strip_prefix(':')).map(str::parse).transpose()?.unwrap_or(0);
                Ok(Device::Cuda(i))
            }
            #[cfg(not(feature = "cuda"))]
            bail!("device {d}: this binary was built without CUDA; rebuild with `--features cuda`")
        }
        d => bail!("unknown device {d}: use cpu or cuda[:N]"),
    }
}

/// Call a backend-generic function with the backend the device selects.
macro_rules! with_backend {
    ($dev:expr, $($f:ident)::+ ( $($arg:expr),* )) => {
        match $dev {
            Device::Cpu => $($f)::+::<Autodiff<NdArray>>($($arg,)* &Default::default()),
            #[cfg(feature = "cuda")]
            Device::Cuda(i) => $($f)::+::<Autodiff<burn::backend::Cuda>>($($arg,)* &burn::backend::cuda::CudaDevice::new(i)),
        }
    };
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Run { common, series, seeds } => {
            let mut cfg = config(&common)?;
            if let Some(n) = seeds {
                anyhow::ensure!(n >= 1, "--seeds must be at least 1");
                cfg.seeds = n;
            }
            let args = RunArgs {
                trace: common.trace.clone(),
                series,
                out: common.out.clone().unwrap_or_else(config::default_out),
                cfg,
                quick: common.quick,
                quiet: common.quiet,
            };
            with_backend!(device(&common.device)?, cli::run::run(&args)).map(|_| ())
        }
        Cmd::Eval { bundle, common, series } => {
            let cfg = config(&common)?;
            let args = cli::eval::EvalArgs {
                bundle,
                trace: common.trace.clone(),
                series,
                out: common.out.clone().unwrap_or_else(config::default_out),
                cfg,
                quiet: common.quiet,
            };
            cli::eval::eval(&args).map(|_| ())
        }
        Cmd::Synth { out, seed, scale } => cli::synth::synth(&out, seed, scale),
        Cmd::Prepare { trace, out, step, seed } => cli::prepare::prepare(trace.as_deref(), &out, step, seed),
        Cmd::Train { learner, common, series, step } => {
            let cfg = config(&common)?;
            let out = common.out.clone().unwrap_or_else(config::default_out);
            let which = match learner {
                Learner::Dqn => cli::train::Which::Dqn,
                Learner::Ppo => cli::train::Which::Ppo,
                Learner::Lstm => cli::train::Which::Lstm { series, step },
            };
            let args = cli::train::TrainArgs { which, trace: common.trace.clone(), out, cfg, quiet: common.quiet };
            with_backend!(device(&common.device)?, cli::train::train(&args))
        }
        Cmd::Export { run, bundle, out, onnx } => {
            let bundle = match (run, bundle) {
                (Some(run), _) => cli::export::export_run(&run, out.as_deref())?
                    .join(hdrl_train::algos::export::file_name(&hdrl_infer::ModelKind::ALL, hdrl_infer::Quant::F32)),
                (None, Some(b)) => b,
                (None, None) => anyhow::bail!("hdrl export needs --run DIR or --bundle FILE"),
            };
            match onnx {
                Some(dir) => cli::export::export_onnx(&bundle, &dir),
                None => Ok(()),
            }
        }
        Cmd::EvalForecast { model, series, json } => {
            cli::eval_forecast::eval_forecast(&model, &series, json.as_deref())
        }
        Cmd::Decide { model, observation } => {
            let text = if observation.trim_start().starts_with('{') {
                observation
            } else {
                std::fs::read_to_string(&observation)
                    .with_context(|| format!("cannot read observation {observation}"))?
            };
            cli::decide::decide(&model, &text)
        }
    }
}
