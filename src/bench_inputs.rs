//! Inputs for the latency benches and the footprint report: models (trained bundles when
//! given, seeded fixtures otherwise) and rotating sets of realistic inputs, so that no bench
//! ever feeds the same constant to a forward pass.

use hdrl_infer::features::{STRATEGIC_INPUT, TACTICAL_INPUT};
use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::rng::SplitMix64;
use hdrl_infer::{
    AppContext, CarbonObs, EncoderConfig, Observation, OperationalStep, Provider, Quant, StrategicObs, TacticalContext,
    TacticalObs,
};

/// Seed of the fixture weights every bench uses.
pub const SEED: u64 = 7;

/// Inputs per rotating set: a power of two, so the index wraps with a mask.
pub const ROTATION: usize = 64;

/// A bundle for a precision: the file named by `HDRL_BENCH_BUNDLE_F32` / `HDRL_BENCH_BUNDLE_I8`
/// when set (a trained bundle from `hdrl export`), else the seeded fixture bundle.
///
/// # Panics
/// When the environment variable names a file that cannot be read.
pub fn bundle(quant: Quant) -> (Vec<u8>, &'static str) {
    let var = match quant {
        Quant::F32 => "HDRL_BENCH_BUNDLE_F32",
        Quant::I8 => "HDRL_BENCH_BUNDLE_I8",
    };
    match std::env::var_os(var) {
        Some(path) => {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{var}={}: {e}", path.to_string_lossy()));
            (bytes, "trained")
        }
        None => (seeded_bundle(SEED, quant), "seeded"),
    }
}

/// `n` raw observations spread over the ranges a gateway sees.
pub fn observations(n: usize, seed: u64) -> Vec<Observation> {
    let mut r = SplitMix64::new(seed);
    // Log-uniform between 10^lo and 10^hi.
    let mut lu = |lo: f32, hi: f32| 10f32.powf(lo + (hi - lo) * r.unit());
    (0..n)
        .map(|i| Observation {
            strategic: StrategicObs {
                cost_usd_per_m: lu(-1.0, 3.0),
                cost_trend: lu(-2.0, 0.0) - 0.5,
                latency_p50_ms: lu(0.5, 3.0),
                latency_p95_ms: lu(1.0, 3.5),
                latency_p99_ms: lu(1.5, 4.0),
                daily_invocations: lu(0.0, 7.0),
                daily_invocations_cv: lu(-2.0, 0.5),
                peak_to_mean: lu(0.0, 2.0),
                volume_trend: lu(-2.0, 0.0) - 0.5,
            },
            app: AppContext {
                mean_duration_ms: lu(0.0, 4.0),
                memory_need_mb: lu(1.5, 3.4),
                home_region: (i % 4) as u8,
                sla_ms: lu(1.5, 4.0),
                cpu_share: lu(-0.7, 0.0),
            },
            tactical: TacticalObs {
                latency_ms: lu(0.5, 4.0),
                cost_usd_per_m: lu(-1.0, 3.0),
                request_rate: lu(-2.0, 3.0),
                memory_used_mb: lu(1.0, 3.4),
                cpu_util: lu(-2.0, 0.0),
                queue_depth: lu(-1.0, 2.0),
                cold_start_prob: lu(-3.0, 0.0),
                region_rank: (i % 4) as u8,
                memory_tier: (i % 6) as u8,
            },
            carbon: CarbonObs {
                now: core::array::from_fn(|_| core::array::from_fn(|_| lu(1.0, 2.9))),
                past_day: core::array::from_fn(|_| core::array::from_fn(|_| lu(1.0, 2.9))),
            },
            step: OperationalStep {
                request_rate: lu(-2.0, 3.0),
                memory_used_mb: lu(1.0, 3.4),
                cpu_util: lu(-2.0, 0.0),
                queue_depth: lu(-1.0, 2.0),
                hour_of_day: (i % 24) as f32 + 0.5,
            },
        })
        .collect()
}

/// Encoded DQN inputs (`STRATEGIC_INPUT` features in [0, 1]).
pub fn dqn_inputs(n: usize) -> Vec<[f32; STRATEGIC_INPUT]> {
    let e = EncoderConfig::DEFAULT;
    observations(n, 1)
        .iter()
        .map(|o| e.encode_strategic(&o.strategic, &o.app, &o.carbon).expect("finite fixture"))
        .collect()
}

/// Encoded PPO inputs (`TACTICAL_INPUT` features in [0, 1]).
pub fn ppo_inputs(n: usize) -> Vec<[f32; TACTICAL_INPUT]> {
    let e = EncoderConfig::DEFAULT;
    observations(n, 2)
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let provider = Provider::from_index(i % 3).unwrap_or(Provider::Aws);
            let ctx = TacticalContext { provider, volume_trend: o.strategic.volume_trend };
            e.encode_tactical(&o.tactical, &ctx, &o.app, &o.carbon).expect("finite fixture")
        })
        .collect()
}

/// Encoded 12-step LSTM windows.
pub fn windows(n: usize) -> Vec<[[f32; 5]; 12]> {
    let e = EncoderConfig::DEFAULT;
    let steps = observations(n + 12, 3);
    (0..n).map(|i| core::array::from_fn(|t| e.encode_step(&steps[i + t].step).expect("finite fixture"))).collect()
}
