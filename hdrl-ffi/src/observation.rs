//! `hdrl_observation`: the raw observation of one function, as a plain C struct.

use hdrl_infer::{AppContext, CarbonObs, Observation, OperationalStep, StrategicObs, TacticalObs};

/// Everything a gateway knows about one function at one moment, in raw units.
///
/// A plain C struct owned by the caller (stack, heap, anywhere); the library only reads it
/// during a call and keeps no pointer to it. Zero-initialise it (`hdrl_observation obs =
/// {0};`) and set what you know: all zeros is a valid observation.
///
/// Field order is the input order: the index in an `HDRL_STATUS_NON_FINITE_INPUT` or
/// `HDRL_STATUS_OUT_OF_RANGE` detail is the field's position here (0 =
/// `strategic_cost_usd_per_m`, 9 = `app_mean_duration_ms`, 14 = `tactical_latency_ms`,
/// 23 = `step_request_rate`, 28 + 4·provider + slot = `carbon_now_g_per_kwh[provider][slot]`,
/// 40 + 4·provider + slot = `carbon_past_day_g_per_kwh[provider][slot]`). Every float must be
/// finite (NaN or ±infinity gives `HDRL_STATUS_NON_FINITE_INPUT`); fields marked "≥ 0" give
/// `HDRL_STATUS_OUT_OF_RANGE` when negative; values above a field's saturation point are
/// accepted and treated as that point (the bundle's encoder constants set it; the defaults
/// are given below).
///
/// Which calls read which fields: `hdrl_model_q_values` reads `strategic_*`, `app_*` and
/// `carbon_past_day_g_per_kwh`; `hdrl_model_policy` reads `tactical_*`, `app_*`,
/// `strategic_volume_trend` and `carbon_now_g_per_kwh`; `hdrl_state_observe` reads `step_*`;
/// `hdrl_decide` reads all of them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct hdrl_observation {
    /// [0] Mean cost over the last days, USD per million invocations (≥ 0; saturates at
    /// 5000).
    pub strategic_cost_usd_per_m: f32,
    /// [1] Relative day-over-day change of cost, a fraction (−1 … 1; clamped).
    pub strategic_cost_trend: f32,
    /// [2] Median end-to-end latency over the last days, ms (≥ 0; saturates at 60000).
    pub strategic_latency_p50_ms: f32,
    /// [3] 95th-percentile latency over the last days, ms (≥ 0; saturates at 60000).
    pub strategic_latency_p95_ms: f32,
    /// [4] 99th-percentile latency over the last days, ms (≥ 0; saturates at 60000).
    pub strategic_latency_p99_ms: f32,
    /// [5] Mean invocations per day (≥ 0; saturates at 1e8).
    pub strategic_daily_invocations: f32,
    /// [6] Coefficient of variation of invocations per day, a ratio (≥ 0; saturates at 10).
    pub strategic_daily_invocations_cv: f32,
    /// [7] Peak-to-mean ratio of the per-minute request rate (≥ 0; saturates at 1000).
    pub strategic_peak_to_mean: f32,
    /// [8] Relative day-over-day change of invocations, a fraction (−1 … 1; clamped). Also
    /// the tactical layer's workload trend.
    pub strategic_volume_trend: f32,
    /// [9] Mean execution time of one invocation on a 1 vCPU instance, ms (≥ 0; saturates
    /// at 600000). Also sets the suggested concurrency of a decision.
    pub app_mean_duration_ms: f32,
    /// [10] Memory the function needs, MB (≥ 0; saturates at 10240). A decision never picks a
    /// smaller memory tier when one fits.
    pub app_memory_need_mb: f32,
    /// [11] Region slot where most users are: 0 us-east, 1 us-west, 2 eu-west,
    /// 3 ap-southeast (larger values are treated as 3).
    pub app_home_region: u8,
    /// [12] Latency SLA, ms (≥ 0; saturates at 60000).
    pub app_sla_ms: f32,
    /// [13] Fraction of the execution time that is CPU-bound and speeds up with more vCPU,
    /// 0 … 1 (clamped); the rest (I/O) does not change with the memory tier.
    pub app_cpu_share: f32,
    /// [14] 95th-percentile latency over the last hour, ms (≥ 0); the policy sees it relative
    /// to `app_sla_ms` (saturating at twice the SLA).
    pub tactical_latency_ms: f32,
    /// [15] Cost over the last hour, USD per million invocations (≥ 0; saturates at 5000).
    pub tactical_cost_usd_per_m: f32,
    /// [16] Request rate over the last hour, requests per second (≥ 0; saturates at 10000).
    pub tactical_request_rate: f32,
    /// [17] Memory in use over the last hour, MB (≥ 0; saturates at 10240).
    pub tactical_memory_used_mb: f32,
    /// [18] CPU utilisation over the last hour: busy time / (instances × wall time), 0 … 1
    /// (clamped).
    pub tactical_cpu_util: f32,
    /// [19] Mean number of in-flight requests over the last hour (≥ 0; saturates at 10000).
    pub tactical_queue_depth: f32,
    /// [20] Fraction of invocations in the last hour that were cold starts, 0 … 1 (clamped).
    pub tactical_cold_start_prob: f32,
    /// [21] Where the function ran over the last hour: the region's distance rank from
    /// `app_home_region` (0 = home; 4 … 254 are treated as 3). Moving costs cold starts. 255:
    /// it ran on another provider than the one being decided for (or nowhere yet), so any
    /// placement is a move.
    pub tactical_region_rank: u8,
    /// [22] The memory tier it ran on (0 = 128 MB … 5 = 3008 MB; larger values are treated
    /// as 5).
    pub tactical_memory_tier: u8,
    /// [23] Requests per second over the latest 15-second step (≥ 0; saturates at 10000).
    pub step_request_rate: f32,
    /// [24] Memory in use at the latest step, MB (≥ 0; saturates at 10240).
    pub step_memory_used_mb: f32,
    /// [25] CPU utilisation over the latest step, 0 … 1 (clamped).
    pub step_cpu_util: f32,
    /// [26] In-flight requests at the end of the latest step (≥ 0; saturates at 10000).
    pub step_queue_depth: f32,
    /// [27] Hour of day (UTC) of the latest step, 0 … 24; fractional hours are fine, and any
    /// finite value is accepted (it is encoded as a 24-hour sine).
    pub step_hour_of_day: f32,
    /// [28–39] This hour's grid carbon intensity, gCO2e/kWh, `[provider][region slot]`
    /// (provider as `hdrl_provider`, slot as `app_home_region`; 0 … 1000, clamped), from a
    /// carbon-intensity API.
    pub carbon_now_g_per_kwh: [[f32; 4]; 3],
    /// [40–51] The mean intensity of the past 24 hours, gCO2e/kWh, same layout: the strategic
    /// layer's outlook for the day.
    pub carbon_past_day_g_per_kwh: [[f32; 4]; 3],
}

// Layout guard for the compatibility promise (49 floats, three bytes and their padding);
// smoke.c asserts the same size from the header's side.
const _: () = assert!(size_of::<hdrl_observation>() == 204);

impl From<&hdrl_observation> for Observation {
    fn from(o: &hdrl_observation) -> Self {
        Observation {
            strategic: StrategicObs {
                cost_usd_per_m: o.strategic_cost_usd_per_m,
                cost_trend: o.strategic_cost_trend,
                latency_p50_ms: o.strategic_latency_p50_ms,
                latency_p95_ms: o.strategic_latency_p95_ms,
                latency_p99_ms: o.strategic_latency_p99_ms,
                daily_invocations: o.strategic_daily_invocations,
                daily_invocations_cv: o.strategic_daily_invocations_cv,
                peak_to_mean: o.strategic_peak_to_mean,
                volume_trend: o.strategic_volume_trend,
            },
            app: AppContext {
                mean_duration_ms: o.app_mean_duration_ms,
                memory_need_mb: o.app_memory_need_mb,
                home_region: o.app_home_region,
                sla_ms: o.app_sla_ms,
                cpu_share: o.app_cpu_share,
            },
            tactical: TacticalObs {
                latency_ms: o.tactical_latency_ms,
                cost_usd_per_m: o.tactical_cost_usd_per_m,
                request_rate: o.tactical_request_rate,
                memory_used_mb: o.tactical_memory_used_mb,
                cpu_util: o.tactical_cpu_util,
                queue_depth: o.tactical_queue_depth,
                cold_start_prob: o.tactical_cold_start_prob,
                region_rank: o.tactical_region_rank,
                memory_tier: o.tactical_memory_tier,
            },
            carbon: CarbonObs { now: o.carbon_now_g_per_kwh, past_day: o.carbon_past_day_g_per_kwh },
            step: o.step(),
        }
    }
}

impl From<&Observation> for hdrl_observation {
    fn from(o: &Observation) -> Self {
        let (s, a, t, st) = (&o.strategic, &o.app, &o.tactical, &o.step);
        hdrl_observation {
            strategic_cost_usd_per_m: s.cost_usd_per_m,
            strategic_cost_trend: s.cost_trend,
            strategic_latency_p50_ms: s.latency_p50_ms,
            strategic_latency_p95_ms: s.latency_p95_ms,
            strategic_latency_p99_ms: s.latency_p99_ms,
            strategic_daily_invocations: s.daily_invocations,
            strategic_daily_invocations_cv: s.daily_invocations_cv,
            strategic_peak_to_mean: s.peak_to_mean,
            strategic_volume_trend: s.volume_trend,
            app_mean_duration_ms: a.mean_duration_ms,
            app_memory_need_mb: a.memory_need_mb,
            app_home_region: a.home_region,
            app_sla_ms: a.sla_ms,
            app_cpu_share: a.cpu_share,
            tactical_latency_ms: t.latency_ms,
            tactical_cost_usd_per_m: t.cost_usd_per_m,
            tactical_request_rate: t.request_rate,
            tactical_memory_used_mb: t.memory_used_mb,
            tactical_cpu_util: t.cpu_util,
            tactical_queue_depth: t.queue_depth,
            tactical_cold_start_prob: t.cold_start_prob,
            tactical_region_rank: t.region_rank,
            tactical_memory_tier: t.memory_tier,
            step_request_rate: st.request_rate,
            step_memory_used_mb: st.memory_used_mb,
            step_cpu_util: st.cpu_util,
            step_queue_depth: st.queue_depth,
            step_hour_of_day: st.hour_of_day,
            carbon_now_g_per_kwh: o.carbon.now,
            carbon_past_day_g_per_kwh: o.carbon.past_day,
        }
    }
}

impl hdrl_observation {
    /// The `step_*` fields: the one copy of them, for `hdrl_decide` and `hdrl_state_observe`.
    pub(crate) fn step(&self) -> OperationalStep {
        OperationalStep {
            request_rate: self.step_request_rate,
            memory_used_mb: self.step_memory_used_mb,
            cpu_util: self.step_cpu_util,
            queue_depth: self.step_queue_depth,
            hour_of_day: self.step_hour_of_day,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrl_infer::InferError;
    use hdrl_infer::features::EncoderConfig;

    /// The float fields of the C struct in declaration order, with their input index (the
    /// u8 fields 11, 21 and 22 cannot be non-finite).
    fn floats(o: &mut hdrl_observation) -> Vec<(u16, &mut f32)> {
        let mut v: Vec<&mut f32> = vec![
            &mut o.strategic_cost_usd_per_m,
            &mut o.strategic_cost_trend,
            &mut o.strategic_latency_p50_ms,
            &mut o.strategic_latency_p95_ms,
            &mut o.strategic_latency_p99_ms,
            &mut o.strategic_daily_invocations,
            &mut o.strategic_daily_invocations_cv,
            &mut o.strategic_peak_to_mean,
            &mut o.strategic_volume_trend,
            &mut o.app_mean_duration_ms,
            &mut o.app_memory_need_mb,
            &mut o.app_sla_ms,
            &mut o.app_cpu_share,
            &mut o.tactical_latency_ms,
            &mut o.tactical_cost_usd_per_m,
            &mut o.tactical_request_rate,
            &mut o.tactical_memory_used_mb,
            &mut o.tactical_cpu_util,
            &mut o.tactical_queue_depth,
            &mut o.tactical_cold_start_prob,
            &mut o.step_request_rate,
            &mut o.step_memory_used_mb,
            &mut o.step_cpu_util,
            &mut o.step_queue_depth,
            &mut o.step_hour_of_day,
        ];
        v.extend(o.carbon_now_g_per_kwh.iter_mut().flatten());
        v.extend(o.carbon_past_day_g_per_kwh.iter_mut().flatten());
        let index = (0u16..52).filter(|i| ![11, 21, 22].contains(i));
        index.zip(v).collect()
    }

    #[test]
    fn observations_round_trip_field_by_field() {
        let mut o = hdrl_observation::default();
        for (k, (_, f)) in floats(&mut o).into_iter().enumerate() {
            *f = k as f32 + 0.5;
        }
        (o.app_home_region, o.tactical_region_rank, o.tactical_memory_tier) = (2, 3, 4);
        assert_eq!(hdrl_observation::from(&Observation::from(&o)), o);
    }

    #[test]
    fn field_position_is_the_error_index() {
        let enc = EncoderConfig::DEFAULT;
        let n = floats(&mut hdrl_observation::default()).len();
        assert_eq!(n, 49, "every float field has an index");
        for k in 0..n {
            let mut o = hdrl_observation::default();
            let (i, f) = floats(&mut o).into_iter().nth(k).unwrap();
            *f = f32::NAN;
            let obs = Observation::from(&o);
            let ctx = hdrl_infer::TacticalContext { provider: hdrl_infer::Provider::Aws, volume_trend: 0.0 };
            let err = enc
                .encode_strategic(&obs.strategic, &obs.app, &obs.carbon)
                .and_then(|_| enc.encode_tactical(&obs.tactical, &ctx, &obs.app, &obs.carbon))
                .and_then(|_| enc.encode_step(&obs.step))
                .unwrap_err();
            assert_eq!(err, InferError::NonFiniteInput { index: i }, "field {i}");
        }
    }
}
