//! Telemetry under any sequence of events (out of order, duplicated, a clock going backwards,
//! NaN latencies and costs): finite observations or a typed error, never a panic; and a
//! decision from what it measured. Plus conservation: the steps hold exactly the requests
//! started and the time they ran.

use std::sync::OnceLock;

use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::telemetry::{EventField, MAX_CLOCK_S};
use hdrl_infer::{AppContext, CarbonObs, Hierarchy, I8, InferError, Outcome, Quant, Telemetry, Window};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Event {
    Start(f64),
    End(f64, Outcome),
    Tick(f64),
}

/// Clock values: mostly moving forward through a few days, sometimes backwards, duplicated or
/// unusable.
fn clock() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => 0.0f64..4.0 * 86_400.0,
        1 => 0.0f64..30.0,
        1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, -1.0, -0.0, 0.0, MAX_CLOCK_S, MAX_CLOCK_S * 2.0, 1e300]),
    ]
}

fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        4 => 0.0f32..5e4,
        1 => prop::sample::select(vec![f32::NAN, f32::INFINITY, -1.0, 0.0, f32::MAX, 1e-40]),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => clock().prop_map(Event::Start),
        3 => (clock(), value(), any::<bool>(), value())
            .prop_map(|(t, latency_ms, cold, c)| Event::End(t, Outcome { latency_ms, cold, cost_usd: c * 1e-6 })),
        1 => clock().prop_map(Event::Tick),
    ]
}

fn app() -> impl Strategy<Value = AppContext> {
    (1.0f32..1e5, 64.0f32..10_240.0, 0u8..6, 10.0f32..60_000.0, 0.0f32..=1.0).prop_map(
        |(mean_duration_ms, memory_need_mb, home_region, sla_ms, cpu_share)| AppContext {
            mean_duration_ms,
            memory_need_mb,
            home_region,
            sla_ms,
            cpu_share,
        },
    )
}

fn model() -> &'static Hierarchy<I8> {
    static M: OnceLock<Box<Hierarchy<I8>>> = OnceLock::new();
    M.get_or_init(|| Hierarchy::<I8>::load(&seeded_bundle(3, Quant::I8)).unwrap())
}

fn only_bad_event(r: Result<(), InferError>) -> Result<(), TestCaseError> {
    match r {
        Ok(()) | Err(InferError::BadEvent { .. }) => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!("unexpected error {e:?}"))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_events_give_finite_observations_and_a_decision(
        app in app(),
        step in prop::sample::select(vec![1.0f32, 15.0, 60.0]),
        events in prop::collection::vec(event(), 0..80),
        now in clock(),
    ) {
        let mut t = Telemetry::new(app, step).unwrap();
        for e in &events {
            only_bad_event(match *e {
                Event::Start(s) => t.start(s),
                Event::End(s, o) => t.end(s, &o),
                Event::Tick(s) => t.tick(s),
            })?;
        }
        let obs = match t.observation(now, &CarbonObs::default()) {
            Ok(obs) => obs,
            Err(e) => {
                prop_assert_eq!(e, InferError::BadEvent { field: EventField::Clock });
                prop_assert!(!(0.0..=MAX_CLOCK_S).contains(&now));
                return Ok(());
            }
        };
        let all = obs.strategic.to_array().into_iter()
            .chain(obs.tactical.to_array())
            .chain(obs.step.to_array());
        for x in all {
            prop_assert!(x.is_finite(), "{:?}", obs);
        }
        prop_assert!(obs.tactical.to_array().iter().all(|&x| x >= 0.0));
        prop_assert!(obs.step.to_array().iter().all(|&x| x >= 0.0));
        prop_assert!((0.0..1.0).contains(&obs.tactical.cold_start_prob) || obs.tactical.cold_start_prob == 1.0);
        let mut w = Window::new();
        t.fill_window(&model().encoder, &mut w).unwrap();
        let d = model().decide(&mut w, &obs).unwrap();
        prop_assert!(d.forecast.request_rate.is_finite() && d.q_values.iter().all(|q| q.is_finite()));
    }

    #[test]
    fn steps_hold_every_start_and_every_second_run(
        mut requests in prop::collection::vec((0.0f64..11.0, 0.0f64..5.0), 1..40),
    ) {
        // 1-s steps, every request starting and ending within the 12-step window.
        requests.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut events: Vec<(f64, bool)> = requests
            .iter()
            .flat_map(|&(s, d)| [(s, true), ((s + d).min(11.99), false)])
            .collect();
        events.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut t = Telemetry::new(AppContext { memory_need_mb: 128.0, ..Default::default() }, 1.0).unwrap();
        t.tick(0.0).unwrap();
        for &(at, is_start) in &events {
            if is_start { t.start(at).unwrap() } else { t.end(at, &Outcome::default()).unwrap() }
        }
        t.tick(12.0).unwrap();
        prop_assert_eq!(t.steps().count(), 12);
        let started: f64 = t.steps().map(|s| s.request_rate as f64).sum();
        prop_assert!((started - requests.len() as f64).abs() < 1e-6);
        let ran: f64 = requests.iter().map(|&(s, d)| (s + d).min(11.99) - s).sum();
        let busy: f64 = t.steps().map(|s| s.queue_depth as f64).sum();
        prop_assert!((busy - ran).abs() < 1e-4 * (1.0 + ran), "{} vs {}", busy, ran);
        prop_assert_eq!(t.in_flight(), 0);
    }
}
