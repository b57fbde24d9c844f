//! A counting global allocator proves that a decision allocates nothing once the model is
//! loaded (f32 and int8, every kernel table).

use hdrl_infer::fixtures::{CountingAlloc, seeded_bundle};
use hdrl_infer::{CarbonObs, F32, Hierarchy, I8, Kernels, Observation, Outcome, Precision, Quant, Tracker, Window};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc::new();

fn count_decisions<P: Precision>(h: &mut Hierarchy<P>) -> usize {
    let mut total = 0;
    for k in [Kernels::generic(), Kernels::detect()] {
        h.set_kernels(k);
        let mut w = Window::new();
        let mut o = Observation::default();
        o.app.mean_duration_ms = 100.0;
        let before = GLOBAL.count_this_thread();
        for i in 0..100 {
            o.step.request_rate = i as f32;
            o.step.hour_of_day = (i % 24) as f32;
            let d = h.decide(&mut w, &o).expect("decide");
            std::hint::black_box(d);
        }
        total += GLOBAL.count_this_thread() - before;
    }
    total
}

#[test]
fn decisions_allocate_nothing_after_load() {
    let f = seeded_bundle(31, Quant::F32);
    let q = seeded_bundle(31, Quant::I8);
    let mut hf = Hierarchy::<F32>::load(&f).unwrap();
    let mut hq = Hierarchy::<I8>::load(&q).unwrap();
    // Loading itself also allocates nothing beyond the caller's box.
    let before = GLOBAL.count_this_thread();
    hq.load_into(&q).unwrap();
    assert_eq!(GLOBAL.count_this_thread() - before, 0, "load_into allocated");
    assert_eq!(count_decisions(&mut hf), 0, "f32 decisions allocated");
    assert_eq!(count_decisions(&mut hq), 0, "int8 decisions allocated");
}

#[test]
fn telemetry_and_cadence_decisions_allocate_nothing() {
    let q = seeded_bundle(31, Quant::I8);
    let h = Hierarchy::<I8>::load(&q).unwrap();
    let mut o = Observation::default();
    o.app.mean_duration_ms = 100.0;
    let mut tr = Tracker::new(o.app, 15.0).unwrap();
    let before = GLOBAL.count_this_thread();
    // Two simulated days, a request every 7 s, a refresh at every one: every layer runs.
    for i in 0..(2 * 86_400 / 7) {
        let t = 7.0 * i as f64;
        tr.start(t).unwrap();
        tr.end(t + 0.1, &Outcome { latency_ms: 100.0, cold: i % 50 == 0, cost_usd: 1e-6 }).unwrap();
        h.refresh(&mut tr, t + 0.2, &CarbonObs::default()).unwrap();
        std::hint::black_box(tr.decision());
    }
    assert_eq!(GLOBAL.count_this_thread() - before, 0, "telemetry or refresh allocated");
}

/// The counter sees allocations at all (else the zero counts above would prove nothing).
#[test]
fn the_counter_counts_allocations() {
    let before = GLOBAL.count_this_thread();
    let v = std::hint::black_box(vec![0u8; 64]);
    assert!(GLOBAL.count_this_thread() > before, "a Vec allocation was not counted");
    drop(v);
}
