//! JSON form of a raw observation for `hdrl decide`, and the decision it prints.

use hdrl_infer::{AppContext, Decision, Observation, OperationalStep, StrategicObs, TacticalObs};
use serde::{Deserialize, Serialize};

/// One 15-second step (requests/s, MB, 0–1, in-flight, hour of day UTC).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepJson {
    /// Requests per second.
    pub request_rate: f32,
    /// Memory in use, MB.
    pub memory_used_mb: f32,
    /// CPU utilisation 0–1.
    pub cpu_util: f32,
    /// In-flight requests.
    pub queue_depth: f32,
    /// Hour of day, UTC.
    pub hour_of_day: f32,
}

impl From<StepJson> for OperationalStep {
    fn from(s: StepJson) -> Self {
        OperationalStep { request_rate: s.request_rate, memory_used_mb: s.memory_used_mb, cpu_util: s.cpu_util, queue_depth: s.queue_depth, hour_of_day: s.hour_of_day }
    }
}

/// The observation, field names and units as in `hdrl_infer::Observation`; every field
/// optional (0 by default). `history` (oldest first) pre-fills the LSTM window.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObservationJson {
    /// USD per million invocations, multi-day mean.
    pub cost_usd_per_m: f32,
    /// Relative day-over-day cost change.
    pub cost_trend: f32,
    /// Latency p50, ms.
    pub latency_p50_ms: f32,
    /// Latency p95, ms.
    pub latency_p95_ms: f32,
    /// Latency p99, ms.
    pub latency_p99_ms: f32,
    /// Grid carbon intensity, gCO2e/kWh.
    pub carbon_g_per_kwh: f32,
    /// Invocations per day.
    pub daily_invocations: f32,
    /// Coefficient of variation of daily invocations.
    pub daily_invocations_cv: f32,
    /// Peak-to-mean ratio.
    pub peak_to_mean: f32,
    /// Relative day-over-day volume change.
    pub volume_trend: f32,
    /// Mean duration, ms.
    pub mean_duration_ms: f32,
    /// Memory need, MB.
    pub memory_need_mb: f32,
    /// Home region slot 0–3.
    pub home_region: u8,
    /// SLA, ms.
    pub sla_ms: f32,
    /// Last-hour p95 latency, ms.
    pub hour_latency_ms: f32,
    /// Last-hour cost, USD per million invocations.
    pub hour_cost_usd_per_m: f32,
    /// Last-hour request rate, requests/s.
    pub hour_request_rate: f32,
    /// Last-hour memory in use, MB.
    pub hour_memory_used_mb: f32,
    /// Last-hour CPU utilisation.
    pub hour_cpu_util: f32,
    /// Last-hour mean in-flight requests.
    pub hour_queue_depth: f32,
    /// Last-hour cold-start fraction.
    pub hour_cold_start_prob: f32,
    /// The latest 15-second step.
    pub step: StepJson,
    /// Earlier steps, oldest first.
    pub history: Vec<StepJson>,
}

impl ObservationJson {
    /// The hdrl-infer observation.
    pub fn observation(&self) -> Observation {
        Observation {
            strategic: StrategicObs {
                cost_usd_per_m: self.cost_usd_per_m,
                cost_trend: self.cost_trend,
                latency_p50_ms: self.latency_p50_ms,
                latency_p95_ms: self.latency_p95_ms,
                latency_p99_ms: self.latency_p99_ms,
                carbon_g_per_kwh: self.carbon_g_per_kwh,
                daily_invocations: self.daily_invocations,
                daily_invocations_cv: self.daily_invocations_cv,
                peak_to_mean: self.peak_to_mean,
                volume_trend: self.volume_trend,
            },
            app: AppContext { mean_duration_ms: self.mean_duration_ms, memory_need_mb: self.memory_need_mb, home_region: self.home_region, sla_ms: self.sla_ms },
            tactical: TacticalObs {
                latency_ms: self.hour_latency_ms,
                cost_usd_per_m: self.hour_cost_usd_per_m,
                request_rate: self.hour_request_rate,
                memory_used_mb: self.hour_memory_used_mb,
                cpu_util: self.hour_cpu_util,
                queue_depth: self.hour_queue_depth,
                cold_start_prob: self.hour_cold_start_prob,
            },
            step: self.step.into(),
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
