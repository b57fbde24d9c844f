//! The inputs added for decision quality (application facts, carbon by region, the current
//! region rank and memory tier) round-trip through the encoders: each raw value lands at its
//! documented input index and decodes back to itself with its scale, and changing one raw
//! value changes only the inputs that are documented to read it.

use hdrl_infer::features::{STRATEGIC_FEATURES, STRATEGIC_STATS_INPUT, TACTICAL_FEATURES};
use hdrl_infer::placement::region_for_rank;
use hdrl_infer::{AppContext, CarbonObs, EncoderConfig, Provider, Scale, StrategicObs, TacticalContext, TacticalObs};

const E: EncoderConfig = EncoderConfig::DEFAULT;

fn app() -> AppContext {
    AppContext { mean_duration_ms: 850.0, memory_need_mb: 700.0, home_region: 2, sla_ms: 2_500.0, cpu_share: 0.35 }
}

/// A carbon table with a distinct value in every `[provider][slot]` cell.
fn carbon() -> CarbonObs {
    let mut c = CarbonObs::default();
    for p in 0..3 {
        for s in 0..4 {
            c.now[p][s] = 50.0 + 60.0 * p as f32 + 13.0 * s as f32;
            c.past_day[p][s] = 400.0 - 70.0 * p as f32 + 17.0 * s as f32;
        }
    }
    c
}

fn tactical() -> TacticalObs {
    TacticalObs {
        latency_ms: 900.0,
        cost_usd_per_m: 20.0,
        request_rate: 3.0,
        memory_used_mb: 400.0,
        cpu_util: 0.4,
        queue_depth: 2.0,
        cold_start_prob: 0.05,
        region_rank: 2,
        memory_tier: 3,
    }
}

fn round_trip(s: &Scale, encoded: f32, raw: f32, what: &str) {
    let back = s.decode(encoded);
    assert!((back - raw).abs() <= 1e-3 * raw.abs().max(1.0), "{what}: raw {raw}, encoded {encoded}, decoded {back}");
}

#[test]
fn application_facts_round_trip_in_both_layers() {
    let a = app();
    let strategic = E.encode_strategic(&StrategicObs::default(), &a, &carbon()).unwrap();
    let ctx = TacticalContext { provider: Provider::Gcp, volume_trend: 0.1 };
    let tactical = E.encode_tactical(&tactical(), &ctx, &a, &carbon()).unwrap();
    let raw = [a.mean_duration_ms, a.memory_need_mb, a.sla_ms, a.cpu_share];
    // Strategic: the facts follow the statistics and the carbon outlook; tactical: they follow
    // the metrics, the provider one-hot and the trend.
    let tactical_at = TACTICAL_FEATURES + 3 + 1;
    for (k, &x) in raw.iter().enumerate() {
        round_trip(&E.app[k], strategic[STRATEGIC_STATS_INPUT + k], x, "strategic app fact");
        round_trip(&E.app[k], tactical[tactical_at + k], x, "tactical app fact");
    }
    for slot in 0..4 {
        let want = if slot == 2 { 1.0 } else { 0.0 };
        assert_eq!(strategic[STRATEGIC_STATS_INPUT + 4 + slot], want, "home one-hot, slot {slot}");
        assert_eq!(tactical[tactical_at + 4 + slot], want, "home one-hot, slot {slot}");
    }
}

#[test]
fn carbon_outlook_is_home_then_greenest_slot_of_the_past_day() {
    let (a, c) = (app(), carbon());
    let x = E.encode_strategic(&StrategicObs::default(), &a, &c).unwrap();
    for p in 0..3 {
        round_trip(&E.carbon, x[STRATEGIC_FEATURES + p], c.past_day[p][2], "past-day carbon at home");
        let greenest = c.past_day[p].iter().copied().fold(f32::INFINITY, f32::min);
        round_trip(&E.carbon, x[STRATEGIC_FEATURES + 3 + p], greenest, "greenest past-day carbon");
    }
    // This hour's intensity is not a strategic input.
    let mut later = c;
    later.now = [[999.0; 4]; 3];
    assert_eq!(E.encode_strategic(&StrategicObs::default(), &a, &later).unwrap(), x);
}

#[test]
fn carbon_now_is_the_chosen_providers_slots_by_distance_rank() {
    let (a, c) = (app(), carbon());
    let at = TACTICAL_FEATURES + 3 + 1 + 8;
    for provider in Provider::ALL {
        let ctx = TacticalContext { provider, volume_trend: 0.0 };
        let x = E.encode_tactical(&tactical(), &ctx, &a, &c).unwrap();
        for rank in 0..4 {
            let raw = c.now[provider as usize][region_for_rank(a.home_region, rank)];
            round_trip(&E.carbon, x[at + rank], raw, "carbon now by rank");
        }
        // The past day is not a tactical input.
        let mut other = c;
        other.past_day = [[1.0; 4]; 3];
        assert_eq!(E.encode_tactical(&tactical(), &ctx, &a, &other).unwrap(), x);
    }
}

#[test]
fn current_rank_and_tier_are_the_last_tactical_inputs() {
    let ctx = TacticalContext { provider: Provider::Aws, volume_trend: 0.0 };
    for rank in 0..4u8 {
        for tier in 0..6u8 {
            let t = TacticalObs { region_rank: rank, memory_tier: tier, ..tactical() };
            let x = E.encode_tactical(&t, &ctx, &app(), &carbon()).unwrap();
            let n = x.len();
            assert_eq!((x[n - 2] * 3.0).round() as u8, rank);
            assert_eq!((x[n - 1] * 5.0).round() as u8, tier);
        }
    }
    // Out-of-range values saturate at the last rank and tier.
    let t = TacticalObs { region_rank: 200, memory_tier: 9, ..tactical() };
    let x = E.encode_tactical(&t, &ctx, &app(), &carbon()).unwrap();
    assert_eq!((x[x.len() - 2], x[x.len() - 1]), (1.0, 1.0));
}
