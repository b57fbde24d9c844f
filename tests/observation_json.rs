//! The JSON observation of `hdrl decide` and the C struct `hdrl_observation` agree field by
//! field: the same names (one macro writes both, so a name missing on either side does not
//! compile or is rejected by the JSON's `deny_unknown_fields`), no field left out on the JSON
//! side, and the same `hdrl_infer::Observation` from the same values.

use hdrl_ffi::hdrl_observation;
use hdrl_infer::Observation;
use hdrl_train::cli::decide::ObservationJson;

/// The C struct and the JSON object from one list of `name: value` pairs.
macro_rules! both {
    ($($field:ident : $value:expr),* $(,)?) => {
        (
            hdrl_observation { $($field: $value),* },
            {
                let mut m = serde_json::Map::new();
                $(m.insert(stringify!($field).into(), serde_json::json!($value));)*
                serde_json::Value::Object(m)
            },
            [$(stringify!($field)),*].len(),
        )
    };
}

fn carbon(base: f32) -> [[f32; 4]; 3] {
    let mut c = [[0.0; 4]; 3];
    for (p, row) in c.iter_mut().enumerate() {
        for (s, v) in row.iter_mut().enumerate() {
            *v = base + 10.0 * p as f32 + s as f32;
        }
    }
    c
}

#[test]
fn json_and_c_observations_agree_field_by_field() {
    // A distinct value in every field, so a swapped pair of fields would show.
    let (c, json, fields) = both! {
        strategic_cost_usd_per_m: 13.5f32,
        strategic_cost_trend: -0.25f32,
        strategic_latency_p50_ms: 120.0f32,
        strategic_latency_p95_ms: 480.0f32,
        strategic_latency_p99_ms: 950.0f32,
        strategic_daily_invocations: 25_000.0f32,
        strategic_daily_invocations_cv: 0.75f32,
        strategic_peak_to_mean: 14.0f32,
        strategic_volume_trend: 0.125f32,
        app_mean_duration_ms: 300.0f32,
        app_memory_need_mb: 700.0f32,
        app_home_region: 2u8,
        app_sla_ms: 2_000.0f32,
        app_cpu_share: 0.375f32,
        tactical_latency_ms: 510.0f32,
        tactical_cost_usd_per_m: 16.0f32,
        tactical_request_rate: 3.5f32,
        tactical_memory_used_mb: 410.0f32,
        tactical_cpu_util: 0.625f32,
        tactical_queue_depth: 2.5f32,
        tactical_cold_start_prob: 0.0625f32,
        tactical_region_rank: 1u8,
        tactical_memory_tier: 4u8,
        step_request_rate: 4.5f32,
        step_memory_used_mb: 420.0f32,
        step_cpu_util: 0.5f32,
        step_queue_depth: 3.0f32,
        step_hour_of_day: 9.5f32,
        carbon_now_g_per_kwh: carbon(100.0),
        carbon_past_day_g_per_kwh: carbon(300.0),
    };
    let parsed: ObservationJson = serde_json::from_value(json).expect("every C field name is a JSON field");
    let from_json: Observation = parsed.observation();
    let from_c = Observation::from(&c);
    assert_eq!(from_json, from_c);
    // The JSON has no field the C struct lacks (besides the LSTM `history`).
    let keys = serde_json::to_value(ObservationJson::default()).unwrap();
    let keys: Vec<&String> = keys.as_object().unwrap().keys().filter(|k| *k != "history").collect();
    assert_eq!(keys.len(), fields, "JSON fields {keys:?}");
    // And no field reads 0 by accident: every group of the observation carries its values.
    assert_eq!(from_c.app.home_region, 2);
    assert_eq!(from_c.tactical.memory_tier, 4);
    assert_eq!(from_c.carbon.past_day[2][3], 323.0);
    assert_eq!(from_c.step.hour_of_day, 9.5);
}
