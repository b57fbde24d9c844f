use super::*;
use crate::features::WINDOW;

fn app() -> AppContext {
    AppContext { mean_duration_ms: 200.0, memory_need_mb: 256.0, home_region: 0, sla_ms: 1000.0, cpu_share: 0.5 }
}

fn ok(latency_ms: f32) -> Outcome {
    Outcome { latency_ms, cold: false, cost_usd: 1e-6 }
}

/// A request from `s` to `e` (s).
fn request(t: &mut Telemetry, s: f64, e: f64) {
    t.start(s).unwrap();
    t.end(e, &ok(((e - s) * 1000.0) as f32)).unwrap();
}

#[test]
fn steps_count_starts_and_integrate_time_in_flight() {
    // The trainer's binning example (hdrl-train data/series.rs): starts at 1, 14 and 31 s,
    // running 2, 3 and 40 s, in 15-s steps.
    let mut t = Telemetry::new(app(), 15.0).unwrap();
    t.tick(0.0).unwrap();
    t.start(1.0).unwrap();
    t.end(3.0, &ok(2000.0)).unwrap();
    t.start(14.0).unwrap();
    t.end(17.0, &ok(3000.0)).unwrap();
    t.start(31.0).unwrap();
    t.end(71.0, &ok(40_000.0)).unwrap();
    t.tick(75.0).unwrap();
    let steps: heapless::Vec<OperationalStep, 12> = t.steps().copied().collect();
    assert_eq!(steps.len(), 5);
    let rate: heapless::Vec<f32, 12> = steps.iter().map(|s| s.request_rate * 15.0).collect();
    assert_eq!(rate.as_slice(), &[2.0, 0.0, 1.0, 0.0, 0.0]);
    for (s, busy) in steps.iter().zip([3.0, 2.0, 14.0, 15.0, 11.0]) {
        assert!((s.queue_depth - busy / 15.0).abs() < 1e-6, "{s:?} vs {busy}");
    }
    // Memory = need × max(concurrency, 1) while busy; CPU = share × min(concurrency, 1).
    assert_eq!(steps[3].memory_used_mb, 256.0);
    assert!((steps[3].cpu_util - 0.5).abs() < 1e-6);
    assert!((steps[0].cpu_util - 0.5 * 3.0 / 15.0).abs() < 1e-6);
    assert!((steps[4].hour_of_day - 60.0 / 3600.0).abs() < 1e-6);
    assert_eq!(t.steps_closed(), 5);
    assert_eq!(t.in_flight(), 0);
}

#[test]
fn the_last_hour_gives_rate_concurrency_cold_fraction_cost_and_p95() {
    let mut t = Telemetry::new(app(), 15.0).unwrap();
    t.set_placement(1, 2);
    t.tick(3600.0).unwrap();
    // 100 requests of 1 … 100 ms, 10 of them cold, each costing 2 µUSD.
    for k in 0..100u32 {
        let s = 3600.0 + 30.0 * k as f64;
        t.start(s).unwrap();
        let o = Outcome { latency_ms: (k + 1) as f32, cold: k % 10 == 0, cost_usd: 2e-6 };
        t.end(s + (k + 1) as f64 / 1000.0, &o).unwrap();
    }
    // Still inside the hour: the last closed hour is empty, only the placement shows.
    let obs = t.observation(7199.0, &CarbonObs::default()).unwrap();
    assert_eq!(obs.tactical, TacticalObs { region_rank: 1, memory_tier: 2, ..Default::default() });
    let obs = t.observation(7200.0, &CarbonObs::default()).unwrap();
    let m = obs.tactical;
    assert!((m.request_rate - 100.0 / 3600.0).abs() < 1e-9);
    assert!((m.cold_start_prob - 0.1).abs() < 1e-7);
    assert!((m.cost_usd_per_m - 2.0).abs() < 1e-4);
    assert!((m.latency_ms / 95.0 - 1.0).abs() <= histogram::MAX_RELATIVE_ERROR as f32);
    let busy_s = (1..=100).map(|k| k as f64 / 1000.0).sum::<f64>();
    assert!((m.queue_depth as f64 - busy_s / 3600.0).abs() < 1e-9);
    assert_eq!(m.memory_used_mb, 256.0);
    assert_eq!((m.region_rank, m.memory_tier), (1, 2));
    // An hour later with no traffic: zeros again.
    let obs = t.observation(3.0 * 3600.0, &CarbonObs::default()).unwrap();
    assert_eq!(obs.tactical.request_rate, 0.0);
}

#[test]
fn strategic_statistics_read_the_last_three_closed_days() {
    let mut t = Telemetry::new(app(), 15.0).unwrap();
    t.tick(0.0).unwrap();
    assert_eq!(t.strategic(), StrategicObs::default());
    // Days 0 … 3 with 10, 20, 30, 60 requests; day 3 puts 6 of them in one minute.
    for (d, n) in [10u32, 20, 30, 60].into_iter().enumerate() {
        for k in 0..n {
            let s = d as f64 * DAY_S + if d == 3 && k < 6 { 100.0 + k as f64 } else { 1000.0 + 120.0 * k as f64 };
            request(&mut t, s, s + 0.1);
        }
    }
    t.tick(4.0 * DAY_S).unwrap();
    let s = t.strategic();
    // Days 1 … 3.
    assert!((s.daily_invocations - 110.0 / 3.0).abs() < 1e-4);
    let m = 110.0f64 / 3.0;
    let sd = (((20.0 - m).powi(2) + (30.0 - m).powi(2) + (60.0 - m).powi(2)) / 3.0).sqrt();
    assert!((s.daily_invocations_cv as f64 - sd / m).abs() < 1e-6);
    assert!((s.volume_trend - 1.0).abs() < 1e-6, "(60 − 30) / 30 clamps at 1");
    assert!((s.peak_to_mean - 6.0 / (60.0 / 1440.0)).abs() < 1e-3);
    assert!((s.cost_usd_per_m - 1.0).abs() < 1e-4);
    assert!(s.cost_trend.abs() < 1e-6);
    assert!((s.latency_p50_ms / 100.0 - 1.0).abs() <= histogram::MAX_RELATIVE_ERROR as f32);
    // After one closed day only: the trends compare a day with itself.
    let mut one = Telemetry::new(app(), 15.0).unwrap();
    request(&mut one, 10.0, 11.0);
    one.tick(DAY_S + 1.0).unwrap();
    let s = one.strategic();
    assert_eq!((s.daily_invocations, s.daily_invocations_cv, s.volume_trend), (1.0, 0.0, 0.0));
}

#[test]
fn a_long_silence_closes_bounded_periods_with_the_requests_still_in_flight() {
    let mut t = Telemetry::new(app(), 1.0).unwrap();
    t.start(0.5).unwrap();
    t.start(0.5).unwrap();
    // A year later, both still running: every step in the window ran 2 in flight.
    t.tick(365.0 * DAY_S + 0.25).unwrap();
    assert_eq!(t.steps().count(), WINDOW);
    assert!(t.steps().all(|s| (s.queue_depth - 2.0).abs() < 1e-9 && s.request_rate == 0.0));
    let m = t.tactical();
    assert_eq!(m.request_rate, 0.0, "the last hour had no starts, so it reads as idle");
    t.end(365.0 * DAY_S + 0.5, &ok(1.0)).unwrap();
    t.end(365.0 * DAY_S + 0.5, &ok(1.0)).unwrap();
    assert_eq!(t.in_flight(), 0);
}

#[test]
fn bad_events_are_typed_errors_and_old_ones_count_at_the_latest_time() {
    assert_eq!(Telemetry::new(app(), 7.0).err(), Some(InferError::BadEvent { field: EventField::StepLength }));
    assert_eq!(Telemetry::new(app(), f32::NAN).err(), Some(InferError::BadEvent { field: EventField::StepLength }));
    assert!(Telemetry::new(app(), 0.5).is_ok());
    let mut t = Telemetry::new(app(), 15.0).unwrap();
    for bad in [f64::NAN, f64::INFINITY, -1.0, MAX_CLOCK_S * 2.0] {
        assert_eq!(t.tick(bad), Err(InferError::BadEvent { field: EventField::Clock }));
        assert_eq!(t.start(bad), Err(InferError::BadEvent { field: EventField::Clock }));
    }
    assert_eq!(t.in_flight(), 0);
    t.start(100.0).unwrap();
    let nan = Outcome { latency_ms: f32::NAN, ..ok(0.0) };
    assert_eq!(t.end(101.0, &nan), Err(InferError::BadEvent { field: EventField::Latency }));
    assert_eq!(t.in_flight(), 0, "the request ended even though its latency was unusable");
    let neg = Outcome { cost_usd: -1.0, ..ok(5.0) };
    assert_eq!(t.end(101.0, &neg), Err(InferError::BadEvent { field: EventField::Cost }));
    // The clock going backwards: the start counts at 101 s, in the step 90 … 105 s.
    t.start(50.0).unwrap();
    t.tick(105.0).unwrap();
    let steps: heapless::Vec<OperationalStep, 12> = t.steps().copied().collect();
    assert_eq!(steps.last().unwrap().request_rate * 15.0, 2.0);
    assert!(InferError::BadEvent { field: EventField::Clock }.to_string().contains("clock"));
}

#[test]
fn the_window_holds_every_closed_step_but_the_one_the_observation_carries() {
    let mut t = Telemetry::new(app(), 1.0).unwrap();
    let mut w = Window::new();
    t.tick(0.0).unwrap();
    t.fill_window(&EncoderConfig::DEFAULT, &mut w).unwrap();
    assert!(w.is_empty());
    for k in 0..20 {
        request(&mut t, k as f64 + 0.1, k as f64 + 0.2);
    }
    let obs = t.observation(20.0, &CarbonObs::default()).unwrap();
    t.fill_window(&EncoderConfig::DEFAULT, &mut w).unwrap();
    assert_eq!(w.len(), WINDOW - 1);
    assert_eq!(obs.step.request_rate, 1.0);
    let steps: heapless::Vec<OperationalStep, 12> = t.steps().copied().collect();
    assert_eq!(steps[WINDOW - 1], obs.step);
    assert_eq!(*w.last().unwrap(), EncoderConfig::DEFAULT.encode_step(&steps[WINDOW - 2]).unwrap());
}
