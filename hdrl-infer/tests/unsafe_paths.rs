//! The paths that reach unsafe code, small enough to run under Miri (`.ci/run` runs this file
//! with `cargo +nightly miri test`): the heap-built hierarchy (`Hierarchy::boxed` writes
//! zeroed memory and assumes it initialised), loading into it, deciding with the window's
//! ring buffer (heapless), and the kernel dispatch, which must fall back to the portable
//! kernels under Miri (it cannot run the x86 SIMD bodies).

use std::sync::OnceLock;

use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::{
    F32, Hierarchy, I8, InferError, Kernels, ModelKind, Observation, Precision, Quant, Tier, Window,
};

fn obs(i: u32) -> Observation {
    let mut o = Observation::default();
    o.strategic.cost_usd_per_m = 2.0 + i as f32;
    o.strategic.latency_p95_ms = 200.0;
    o.app.mean_duration_ms = 150.0;
    o.app.memory_need_mb = 300.0;
    o.app.home_region = (i % 4) as u8;
    o.tactical.request_rate = (i % 5) as f32;
    o.step.request_rate = (i % 7) as f32 * 2.0;
    o.step.hour_of_day = i as f32;
    o
}

#[test]
fn kernel_dispatch_is_generic_under_miri() {
    let k = Kernels::detect();
    if cfg!(miri) {
        assert_eq!(k.tier, Tier::Generic, "Miri cannot run the SIMD kernels");
    }
    let _ = Kernels::generic();
}

/// One int8 fixture bundle for every test (building it is most of the cost under Miri).
fn int8_bundle() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| seeded_bundle(5, Quant::I8))
}

/// Decisions per comparison: under Miri two (the window is still warming up, so the LSTM
/// does not run: a full-window int8 decision alone takes minutes there), natively a full
/// window and one more.
const STEPS: u32 = if cfg!(miri) { 2 } else { 13 };

/// A boxed hierarchy (zeroed on the heap, then loaded in place) decides exactly as one built
/// by moving a `const`-constructed value into a box.
fn boxed_equals_moved<P: Precision>(bytes: &[u8]) {
    let boxed = Hierarchy::<P>::load(bytes).unwrap();
    let mut moved = Box::new(Hierarchy::<P>::empty(Kernels::detect()));
    moved.load_into(bytes).unwrap();
    let (mut wa, mut wb) = (Window::new(), Window::new());
    for i in 0..STEPS {
        let a = boxed.decide(&mut wa, &obs(i)).unwrap();
        let b = moved.decide(&mut wb, &obs(i)).unwrap();
        assert_eq!(a, b, "step {i}");
    }
    assert_eq!(wa.len(), STEPS.min(12) as usize);
}

#[test]
fn boxed_int8_hierarchy_loads_and_decides() {
    boxed_equals_moved::<I8>(int8_bundle());
}

#[test]
#[cfg_attr(miri, ignore = "the f32 bundle is 4x the int8 one; the unsafe code is the same")]
fn boxed_f32_hierarchy_loads_and_decides() {
    boxed_equals_moved::<F32>(&seeded_bundle(5, Quant::F32));
}

#[test]
fn a_failed_load_into_a_boxed_hierarchy_leaves_nothing_loaded() {
    let mut h = Hierarchy::<I8>::boxed(Kernels::detect());
    h.load_into(int8_bundle()).unwrap();
    let mut bytes = int8_bundle().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(matches!(h.load_into(&bytes), Err(InferError::ChecksumMismatch { .. })));
    assert!(!h.has(ModelKind::Dqn) && !h.has(ModelKind::Ppo) && !h.has(ModelKind::Lstm));
    let mut w = Window::new();
    assert_eq!(h.decide(&mut w, &obs(0)), Err(InferError::MissingModel { kind: ModelKind::Dqn }));
    drop(h);
}

#[test]
fn window_keeps_the_last_twelve_steps_in_order() {
    let mut w = Window::new();
    assert!(w.ordered().is_none() && w.last().is_none());
    for i in 0..30 {
        w.push([i as f32; 5]);
        assert_eq!(w.len(), (i + 1).min(12));
    }
    let o = w.ordered().unwrap();
    for (k, s) in o.iter().enumerate() {
        assert_eq!(s[0], (18 + k) as f32);
    }
    assert_eq!(w.last(), Some(&[29.0; 5]));
    w.clear();
    assert!(w.is_empty());
}
