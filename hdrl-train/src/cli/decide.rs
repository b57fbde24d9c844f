//! `hdrl decide`: one decision of a bundle for an observation given as JSON (the field names
//! of the C struct `hdrl_observation`), printed as JSON.

use std::path::Path;

use anyhow::{Context, Result};
use hdrl_infer::{AppContext, CarbonObs, Decision, Observation, OperationalStep, StrategicObs, TacticalObs};
use serde::{Deserialize, Serialize};

use crate::cli::eval_forecast::load_any;

/// One 15-second step, with the names of the `step_*` fields of `hdrl_observation`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepJson {
    /// Requests per second.
    pub step_request_rate: f32,
    /// Memory in use, MB.
    pub step_memory_used_mb: f32,
    /// CPU utilisation 0–1.
    pub step_cpu_util: f32,
    /// In-flight requests.
    pub step_queue_depth: f32,
    /// Hour of day, UTC.
    pub step_hour_of_day: f32,
}

impl From<StepJson> for OperationalStep {
    fn from(s: StepJson) -> Self {
        OperationalStep {
            request_rate: s.step_request_rate,
            memory_used_mb: s.step_memory_used_mb,
            cpu_util: s.step_cpu_util,
            queue_depth: s.step_queue_depth,
            hour_of_day: s.step_hour_of_day,
        }
    }
}

/// The observation, field for field the C struct `hdrl_observation` (same names, units and
/// meaning, documented in `include/hdrl.h`); every field optional (0 by default). `history`
/// (oldest first, each entry with the `step_*` names) pre-fills the LSTM window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObservationJson {
    /// USD per million invocations, multi-day mean.
    pub strategic_cost_usd_per_m: f32,
    /// Relative day-over-day cost change.
    pub strategic_cost_trend: f32,
    /// Latency p50, ms.
    pub strategic_latency_p50_ms: f32,
    /// Latency p95, ms.
    pub strategic_latency_p95_ms: f32,
    /// Latency p99, ms.
    pub strategic_latency_p99_ms: f32,
    /// Invocations per day.
    pub strategic_daily_invocations: f32,
    /// Coefficient of variation of daily invocations.
    pub strategic_daily_invocations_cv: f32,
    /// Peak-to-mean ratio.
    pub strategic_peak_to_mean: f32,
    /// Relative day-over-day volume change.
    pub strategic_volume_trend: f32,
    /// Mean duration, ms.
    pub app_mean_duration_ms: f32,
    /// Memory need, MB.
    pub app_memory_need_mb: f32,
    /// Home region slot 0–3.
    pub app_home_region: u8,
    /// SLA, ms.
    pub app_sla_ms: f32,
    /// CPU-bound share of the execution, 0–1.
    pub app_cpu_share: f32,
    /// Last-hour p95 latency, ms.
    pub tactical_latency_ms: f32,
    /// Last-hour cost, USD per million invocations.
    pub tactical_cost_usd_per_m: f32,
    /// Last-hour request rate, requests/s.
    pub tactical_request_rate: f32,
    /// Last-hour memory in use, MB.
    pub tactical_memory_used_mb: f32,
    /// Last-hour CPU utilisation.
    pub tactical_cpu_util: f32,
    /// Last-hour mean in-flight requests.
    pub tactical_queue_depth: f32,
    /// Last-hour cold-start fraction.
    pub tactical_cold_start_prob: f32,
    /// Distance rank of the region the function ran in (0 = home).
    pub tactical_region_rank: u8,
    /// Memory tier index it ran on (0 = 128 MB … 5 = 3008 MB).
    pub tactical_memory_tier: u8,
    /// The latest step: requests per second.
    pub step_request_rate: f32,
    /// The latest step: memory in use, MB.
    pub step_memory_used_mb: f32,
    /// The latest step: CPU utilisation 0–1.
    pub step_cpu_util: f32,
    /// The latest step: in-flight requests.
    pub step_queue_depth: f32,
    /// The latest step: hour of day, UTC.
    pub step_hour_of_day: f32,
    /// This hour's grid carbon intensity, gCO2e/kWh, `[provider][region slot]`.
    pub carbon_now_g_per_kwh: [[f32; 4]; 3],
    /// The past 24 hours' mean intensity, same layout.
    pub carbon_past_day_g_per_kwh: [[f32; 4]; 3],
    /// Earlier steps, oldest first.
    pub history: Vec<StepJson>,
}

impl ObservationJson {
    /// The hdrl-infer observation.
    pub fn observation(&self) -> Observation {
        Observation {
            strategic: StrategicObs {
                cost_usd_per_m: self.strategic_cost_usd_per_m,
                cost_trend: self.strategic_cost_trend,
                latency_p50_ms: self.strategic_latency_p50_ms,
                latency_p95_ms: self.strategic_latency_p95_ms,
                latency_p99_ms: self.strategic_latency_p99_ms,
                daily_invocations: self.strategic_daily_invocations,
                daily_invocations_cv: self.strategic_daily_invocations_cv,
                peak_to_mean: self.strategic_peak_to_mean,
                volume_trend: self.strategic_volume_trend,
            },
            app: AppContext {
                mean_duration_ms: self.app_mean_duration_ms,
                memory_need_mb: self.app_memory_need_mb,
                home_region: self.app_home_region,
                sla_ms: self.app_sla_ms,
                cpu_share: self.app_cpu_share,
            },
            tactical: TacticalObs {
                latency_ms: self.tactical_latency_ms,
                cost_usd_per_m: self.tactical_cost_usd_per_m,
                request_rate: self.tactical_request_rate,
                memory_used_mb: self.tactical_memory_used_mb,
                cpu_util: self.tactical_cpu_util,
                queue_depth: self.tactical_queue_depth,
                cold_start_prob: self.tactical_cold_start_prob,
                region_rank: self.tactical_region_rank,
                memory_tier: self.tactical_memory_tier,
            },
            carbon: CarbonObs { now: self.carbon_now_g_per_kwh, past_day: self.carbon_past_day_g_per_kwh },
            step: StepJson {
                step_request_rate: self.step_request_rate,
                step_memory_used_mb: self.step_memory_used_mb,
                step_cpu_util: self.step_cpu_util,
                step_queue_depth: self.step_queue_depth,
                step_hour_of_day: self.step_hour_of_day,
            }
            .into(),
        }
    }
}

/// A decision as JSON.
#[derive(Clone, Debug, Serialize)]
pub struct DecisionJson {
    /// `aws`, `azure` or `gcp`.
    pub provider: String,
    /// Concrete region.
    pub region: String,
    /// Region slot.
    pub region_slot: u8,
    /// Memory, MB.
    pub memory_mb: u16,
    /// Q-values of AWS, Azure, GCP.
    pub q_values: [f32; 3],
    /// Probability of the chosen region × tier.
    pub tactical_prob: f32,
    /// Critic value.
    pub value: f32,
    /// Forecast next-step rate, requests/s.
    pub forecast_request_rate: f32,
    /// Forecast memory, MB.
    pub forecast_memory_used_mb: f32,
    /// Forecast CPU.
    pub forecast_cpu_util: f32,
    /// `model` or `warming_up`.
    pub forecast_source: String,
    /// Warm instances to keep for the next 15 s.
    pub concurrency: u32,
}

impl From<&Decision> for DecisionJson {
    fn from(d: &Decision) -> Self {
        Self {
            provider: d.provider.name().into(),
            region: d.provider.region_name(d.region as usize).into(),
            region_slot: d.region,
            memory_mb: d.memory_mb,
            q_values: d.q_values,
            tactical_prob: d.tactical_prob,
            value: d.value,
            forecast_request_rate: d.forecast.request_rate,
            forecast_memory_used_mb: d.forecast.memory_used_mb,
            forecast_cpu_util: d.forecast.cpu_util,
            forecast_source: match d.forecast_source {
                hdrl_infer::ForecastSource::Model => "model".into(),
                hdrl_infer::ForecastSource::WarmingUp => "warming_up".into(),
            },
            concurrency: d.concurrency,
        }
    }
}

/// `hdrl decide`.
///
/// # Errors
/// Unreadable bundle, invalid JSON, or an observation the encoder rejects.
pub fn decide(model: &Path, json: &str) -> Result<()> {
    let o: ObservationJson = serde_json::from_str(json).context("invalid observation JSON")?;
    let obs = o.observation();
    let mut w = hdrl_infer::Window::new();
    let h = load_any(model)?;
    for s in &o.history {
        h.observe(&mut w, &(*s).into()).map_err(|e| anyhow::anyhow!("history: {e}"))?;
    }
    let d = h.decide(&mut w, &obs).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&DecisionJson::from(&d))?);
    Ok(())
}
