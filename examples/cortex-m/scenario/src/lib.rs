//! The fixed input sequence that both the Cortex-M4F firmware and the host check run, and the
//! line format the firmware prints. Sharing this crate is what makes the comparison fair:
//! both sides build the same `Observation`s from the same integer arithmetic and print them
//! through the same formatter.
//!
//! # Line format
//! One record per line, `hdrl-edge <kind>` then space-separated `key=value` fields; an
//! `error=` field, when present, is last and runs to the end of the line.
//! ```text
//! hdrl-edge begin quant=int8 seed=16 steps=24 bundle_bytes=213069
//! hdrl-edge decision step=0 provider=aws region=2 tier=3 memory_mb=1024 concurrency=4 source=warmup rate=25 memory=180 cpu=0.2 q=0.1,-0.2,0.3 prob=0.05 value=-0.1
//! hdrl-edge error step=17 error=NonFiniteInput { index: 14 }
//! hdrl-edge footprint static_ram=... stack_region=... stack_peak=...
//! hdrl-edge end status=ok
//! ```
//! Floats are printed with `{:?}`, the shortest text that parses back to the same `f32`, so
//! the host can tell bit-identical results from merely close ones.
#![no_std]
#![deny(missing_docs)]

use core::fmt::{self, Write};

use hdrl_infer::{
    AppContext, CarbonObs, Decision, ForecastSource, InferError, Observation, OperationalStep, StrategicObs,
    TacticalObs,
};

/// Seed of the fixture bundle (`hdrl_infer::fixtures::seeded_bundle`) the firmware embeds.
/// Fixture weights are untrained, so most seeds pick one provider for every input; with seed
/// 16 the sequence visits two providers, three region slots and three memory tiers.
pub const BUNDLE_SEED: u64 = 16;
/// Observations in the sequence: 15-second steps of one function. The LSTM needs 12 to fill
/// its window, so steps 11 … 23 exercise the model forecast and 0 … 10 the warm-up path.
pub const STEPS: usize = 24;
/// The step whose tactical latency is NaN: `decide` must return the same error on both sides
/// and leave the window unchanged.
pub const BAD_STEP: usize = 17;
/// Every line the firmware prints starts with this.
pub const PREFIX: &str = "hdrl-edge";

/// Observation `step` of the sequence (`step < STEPS`; larger values continue the pattern).
///
/// A function with a diurnal load around 08:00 UTC, a burst at steps 13–16, a memory need
/// that changes every 8 steps (so the tier mask is exercised), and strategic/tactical
/// statistics that change every 8 and 4 steps. Every value is a small integer times a power
/// of two or a short decimal computed in the same `f32` operations on both sides.
pub fn observation(step: usize) -> Observation {
    let i = step as f32;
    let phase = (step / 8) as f32; // "day"
    let hour_block = (step / 4) as f32; // "hour"
    let burst = if (13..17).contains(&step) { 6.0 } else { 1.0 };
    let rate = (20.0 + 5.0 * (step % 4) as f32) * burst;

    let strategic = StrategicObs {
        cost_usd_per_m: 2.5 + 1.25 * phase,
        cost_trend: 0.05 - 0.1 * phase,
        latency_p50_ms: 80.0 + 20.0 * phase,
        latency_p95_ms: 240.0 + 60.0 * phase,
        latency_p99_ms: 600.0 + 150.0 * phase,
        daily_invocations: 1.5e6 * (1.0 + phase),
        daily_invocations_cv: 0.25 + 0.125 * phase,
        peak_to_mean: 3.0 + phase,
        volume_trend: -0.25 + 0.25 * phase,
    };
    let app = AppContext {
        mean_duration_ms: 120.0 + 40.0 * phase,
        memory_need_mb: [300.0, 900.0, 2_500.0][(step / 8) % 3],
        home_region: (step / 8 % 4) as u8,
        sla_ms: 1_000.0,
        cpu_share: 0.5 + 0.125 * phase,
    };
    let mut tactical = TacticalObs {
        latency_ms: 200.0 + 25.0 * hour_block,
        cost_usd_per_m: 2.0 + 0.5 * hour_block,
        request_rate: 22.5 + 10.0 * hour_block,
        memory_used_mb: 180.0 + 32.0 * hour_block,
        cpu_util: 0.125 + 0.0625 * hour_block,
        queue_depth: 1.0 + hour_block,
        cold_start_prob: 0.125 - 0.015625 * hour_block,
        region_rank: (step / 4 % 4) as u8,
        memory_tier: (step / 4 % 6) as u8,
    };
    if step == BAD_STEP {
        tactical.latency_ms = f32::NAN;
    }
    let step_obs = OperationalStep {
        request_rate: rate,
        memory_used_mb: 180.0 + 3.0 * i,
        cpu_util: 0.2 + 0.02 * (step % 10) as f32,
        queue_depth: rate * 0.125,
        hour_of_day: 8.0 + i * (15.0 / 3600.0),
    };
    // Carbon falls through the "day" at every slot, faster at the windy ones (slot 2).
    let carbon = CarbonObs {
        now: core::array::from_fn(|p| {
            core::array::from_fn(|r| 420.0 - 110.0 * phase - 12.5 * (p + r) as f32 * hour_block)
        }),
        past_day: core::array::from_fn(|p| core::array::from_fn(|r| 400.0 - 100.0 * phase - 25.0 * (p * 4 + r) as f32)),
    };
    Observation { strategic, app, tactical, carbon, step: step_obs }
}

/// The `begin` line.
///
/// # Errors
/// Whatever `out` reports.
pub fn write_begin(out: &mut impl Write, quant: &str, seed: u64, bundle_bytes: usize) -> fmt::Result {
    write!(out, "{PREFIX} begin quant={quant} seed={seed} steps={STEPS} bundle_bytes={bundle_bytes}")
}

/// The line of one step: a `decision` or the `error` `decide` returned.
///
/// # Errors
/// Whatever `out` reports.
pub fn write_step(out: &mut impl Write, step: usize, result: &Result<Decision, InferError>) -> fmt::Result {
    let d = match result {
        Ok(d) => d,
        Err(e) => return write!(out, "{PREFIX} error step={step} error={e:?}"),
    };
    let source = match d.forecast_source {
        ForecastSource::Model => "model",
        ForecastSource::WarmingUp => "warmup",
    };
    write!(
        out,
        "{PREFIX} decision step={step} provider={} region={} tier={} memory_mb={} concurrency={} \
         source={source} rate={:?} memory={:?} cpu={:?} q={:?},{:?},{:?} prob={:?} value={:?}",
        d.provider,
        d.region,
        d.memory_tier,
        d.memory_mb,
        d.concurrency,
        d.forecast.request_rate,
        d.forecast.memory_used_mb,
        d.forecast.cpu_util,
        d.q_values[0],
        d.q_values[1],
        d.q_values[2],
        d.tactical_prob,
        d.value,
    )
}
