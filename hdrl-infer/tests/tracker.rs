//! Decisions at each layer's cadence: which layers a refresh runs, that the cached decision is
//! what a full `decide` on the same measured observation gives, and that a burst and the
//! silence after it move the operational layer.

use hdrl_infer::features::ELSEWHERE;
use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::{AppContext, CarbonObs, Decision, Hierarchy, I8, Outcome, Quant, Refreshed, Tracker, Window};

fn app() -> AppContext {
    AppContext { mean_duration_ms: 400.0, memory_need_mb: 300.0, home_region: 2, sla_ms: 2000.0, cpu_share: 0.4 }
}

fn carbon() -> CarbonObs {
    let mut c = CarbonObs::default();
    for (p, row) in c.now.iter_mut().enumerate() {
        for (s, x) in row.iter_mut().enumerate() {
            *x = 100.0 + 60.0 * p as f32 + 25.0 * s as f32;
        }
    }
    c.past_day = c.now;
    c
}

/// `n` requests per 15-s step from `t0` for `steps` steps, each 0.4 s.
fn traffic(tr: &mut Tracker, t0: f64, steps: usize, n: usize) {
    for k in 0..steps {
        for j in 0..n {
            let s = t0 + 15.0 * k as f64 + 15.0 * j as f64 / n as f64;
            tr.start(s).unwrap();
            tr.end(s + 0.4, &Outcome { latency_ms: 400.0, cold: j == 0, cost_usd: 2e-6 }).unwrap();
        }
    }
}

const ALL: Refreshed = Refreshed { strategic: true, tactical: true, operational: true };
const STEP_ONLY: Refreshed = Refreshed { strategic: false, tactical: false, operational: true };
const NONE: Refreshed = Refreshed { strategic: false, tactical: false, operational: false };

#[test]
fn each_layer_runs_at_its_cadence_and_requests_in_between_read_the_cache() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(5, Quant::I8)).unwrap();
    let mut tr = Tracker::new(app(), 15.0).unwrap();
    assert!(tr.decision().is_none(), "never refreshed: untracked, not guessed");
    let t0 = 2.0 * 86_400.0;
    assert_eq!(m.refresh(&mut tr, t0, &carbon()).unwrap(), ALL);
    let first: Decision = *tr.decision().unwrap();
    assert_eq!(m.refresh(&mut tr, t0 + 7.0, &carbon()).unwrap(), NONE);
    assert_eq!(*tr.decision().unwrap(), first);
    traffic(&mut tr, t0 + 10.0, 1, 3);
    assert_eq!(m.refresh(&mut tr, t0 + 15.0, &carbon()).unwrap(), STEP_ONLY);
    assert_eq!((tr.decision().unwrap().provider, tr.decision().unwrap().q_values), (first.provider, first.q_values));
    let hour = m.refresh(&mut tr, t0 + 3600.0, &carbon()).unwrap();
    assert!(hour.tactical && hour.operational && !hour.strategic, "{hour:?}");
    assert!(m.refresh(&mut tr, t0 + 86_400.0, &carbon()).unwrap().strategic);
    // A bad clock is a typed error and leaves the decision.
    let before = *tr.decision().unwrap();
    assert!(m.refresh(&mut tr, f64::NAN, &carbon()).is_err());
    assert_eq!(*tr.decision().unwrap(), before);
}

#[test]
fn a_refresh_that_runs_every_layer_decides_as_decide_does_on_the_measured_observation() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(8, Quant::I8)).unwrap();
    let mut tr = Tracker::new(app(), 15.0).unwrap();
    tr.start(0.0).unwrap();
    traffic(&mut tr, 0.0, 4 * 24 * 240, 1); // four days, one request per step
    traffic(&mut tr, 4.0 * 86_400.0, 30, 6);
    let now = 4.0 * 86_400.0 + 15.0 * 30.0;
    // The raw path first, on a copy of what the tracker measured: its observation and window,
    // then decide.
    let mut tel = tr.telemetry().clone();
    let mut obs = tel.observation(now, &carbon()).unwrap();
    assert!(obs.strategic.daily_invocations > 5000.0 && obs.tactical.request_rate > 0.06, "{obs:?}");
    // A first decision: the function ran on no provider yet, so any placement is a move.
    obs.tactical.region_rank = ELSEWHERE;
    let mut w = Window::new();
    tel.fill_window(&m.encoder, &mut w).unwrap();
    let want = m.decide(&mut w, &obs).unwrap();
    assert_eq!(m.refresh(&mut tr, now, &carbon()).unwrap(), ALL);
    let got = *tr.decision().unwrap();
    assert_eq!(got, want);
    assert_eq!(tr.window().ordered(), w.ordered());
}

#[test]
fn the_operational_layer_follows_a_burst_and_the_silence_after_it() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(5, Quant::I8)).unwrap();
    let mut tr = Tracker::new(app(), 15.0).unwrap();
    let t0 = 86_400.0;
    m.refresh(&mut tr, t0, &carbon()).unwrap();
    let at = |tr: &mut Tracker, t: f64| {
        m.refresh(tr, t, &carbon()).unwrap();
        *tr.decision().unwrap()
    };
    // Steady: one request per step for 3 minutes; then a burst of 40 per step for 3 minutes;
    // then 5 minutes of silence.
    traffic(&mut tr, t0, 12, 1);
    let steady = at(&mut tr, t0 + 180.0);
    traffic(&mut tr, t0 + 180.0, 12, 40);
    let burst = at(&mut tr, t0 + 360.0);
    let silence = at(&mut tr, t0 + 660.0);
    let last_rates: Vec<f32> = tr.telemetry().steps().map(|s| s.request_rate).collect();
    assert!(last_rates.iter().all(|&r| r == 0.0));
    // The window the LSTM read: 40 / 15 s during the burst, nothing after it.
    assert!(burst.concurrency >= 1, "{burst:?}");
    assert!(burst.concurrency >= steady.concurrency);
    assert_eq!(silence.concurrency, 0, "an idle window holds no instance warm");
}

#[test]
fn requests_are_priced_with_the_bundle_at_the_current_placement() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(5, Quant::I8)).unwrap();
    let mut tr = Tracker::new(app(), 15.0).unwrap();
    assert_eq!(m.request_cost(&tr, 400.0), 0.0, "no decision yet: no placement to price");
    let t0 = 3.0 * 86_400.0;
    m.refresh(&mut tr, t0, &carbon()).unwrap();
    let d = *tr.decision().unwrap();
    let prices = m.prices.unwrap();
    let want = prices.cost_usd(d.provider, d.memory_tier as usize, 0.4) as f32;
    assert_eq!(m.request_cost(&tr, 400.0), want);
    assert!(want > 0.0);
    assert!(m.request_cost(&tr, 4_000.0) > want, "longer executions cost more");
    assert!(m.request_cost(&tr, f32::NAN) > 0.0 && m.request_cost(&tr, -3.0).is_finite(), "the request fee at least");
    // Priced requests feed the hour's cost per million like given costs do.
    for k in 0..40 {
        let s = t0 + 10.0 + k as f64;
        tr.start(s).unwrap();
        let cost_usd = m.request_cost(&tr, 400.0);
        tr.end(s + 0.4, &Outcome { latency_ms: 400.0, cold: false, cost_usd }).unwrap();
    }
    let obs = tr.observation(t0 + 3600.0, &carbon()).unwrap();
    let per_m = obs.tactical.cost_usd_per_m;
    assert!((per_m - want * 1e6).abs() <= 1e-3 * want * 1e6, "{per_m} vs {}", want * 1e6);
}

#[test]
fn without_a_carbon_api_the_bundle_gives_the_hour_of_its_typical_day() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(5, Quant::I8)).unwrap();
    let profile = m.carbon_profile.unwrap();
    let (night, noon) = (2.0 * 86_400.0 + 0.5 * 3600.0, 2.0 * 86_400.0 + 12.5 * 3600.0);
    assert_eq!(m.default_carbon(night).now[0][1], profile.by_hour[0][1][0]);
    assert_eq!(m.default_carbon(noon).now[0][1], profile.by_hour[0][1][12]);
    assert_ne!(m.default_carbon(night), m.default_carbon(noon));
    // Decisions on the default carbon are decisions on that observation, nothing else.
    let mut a = Tracker::new(app(), 15.0).unwrap();
    let mut b = Tracker::new(app(), 15.0).unwrap();
    m.refresh(&mut a, noon, &m.default_carbon(noon)).unwrap();
    m.refresh(&mut b, noon, &profile.observation(noon)).unwrap();
    assert_eq!(a.decision(), b.decision());
}

#[test]
fn refresh_with_makes_the_carbon_only_when_a_layer_runs() {
    let m = Hierarchy::<I8>::load(&seeded_bundle(5, Quant::I8)).unwrap();
    let mut tr = Tracker::new(app(), 15.0).unwrap();
    let t0 = 4.0 * 86_400.0 + 7.25 * 3600.0;
    let mut asked = Vec::new();
    assert_eq!(
        m.refresh_with(&mut tr, t0, |t| {
            asked.push(t);
            m.default_carbon(t)
        })
        .unwrap(),
        ALL
    );
    assert_eq!(
        m.refresh_with(&mut tr, t0 + 5.0, |t| {
            asked.push(t);
            m.default_carbon(t)
        })
        .unwrap(),
        NONE
    );
    assert_eq!(asked, [t0], "the cached path never asks for carbon");
    // Same decision as an eager refresh with the same carbon.
    let mut eager = Tracker::new(app(), 15.0).unwrap();
    m.refresh(&mut eager, t0, &m.default_carbon(t0)).unwrap();
    assert_eq!(eager.decision(), tr.decision());
}
