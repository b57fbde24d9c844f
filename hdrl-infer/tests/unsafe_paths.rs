//! The paths that reach unsafe code, small enough to run under Miri (`.ci/run` runs this file
//! with `cargo +nightly miri test`): the heap-built and in-place hierarchies
//! (`Hierarchy::boxed` and `Hierarchy::init_in_place` write zeroed memory and assume it
//! initialised), loading into it, a forward pass through it,
//! the window's ring buffer (heapless), and the kernel dispatch, which must fall back to the
//! portable kernels under Miri (it cannot run the x86 SIMD bodies).
//!
//! Under Miri the bundle holds the int8 DQN only: building, encoding and loading the whole
//! seeded hierarchy takes tens of minutes there (quantising ~190 k weights, and
//! `Bundle::to_bytes` encodes payloads one byte at a time, ≈ 2 ms per byte under Miri). The
//! unsafe code is the same for every model and precision; natively the whole hierarchy runs
//! too.

use std::sync::OnceLock;

use hdrl_infer::checksum::crc32;
use hdrl_infer::fixtures::seeded_bundle;
use hdrl_infer::rng::SplitMix64;
use hdrl_infer::weights::{FORMAT_VERSION, HEADER_BYTES, MAGIC};
use hdrl_infer::{
    AppContext, Bundle, Dqn, EncoderConfig, F32, Hierarchy, I8, InferError, Kernels, Model, ModelKind, Observation,
    Precision, Provenance, Quant, StrategicObs, Tier, Window,
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

fn bundle(payload: &[u8]) -> Bundle<'_> {
    let mut models = heapless::Vec::new();
    models.push(<Dqn<I8> as Model>::record(payload)).unwrap();
    Bundle {
        provenance: Provenance::default(),
        encoder: EncoderConfig::DEFAULT,
        reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
        prices: None,
        carbon_profile: None,
        models,
    }
}

/// An int8 bundle holding only a seeded DQN, encoded without pushing its payload through
/// serde byte by byte: the bundle is encoded with an empty payload, which postcard writes
/// last (the payload is the last field of the last record) as a one-byte zero length, and the
/// real length (a varint) and payload are appended in its place.
fn dqn_bundle() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let mut f = Box::new(Dqn::<F32>::ZERO);
        f.randomize(&mut SplitMix64::new(5));
        let mut q = Box::new(Dqn::<I8>::ZERO);
        q.quantize_from(&f);
        let payload = q.payload();
        let mut body = bundle(&[]).to_bytes().unwrap().split_off(HEADER_BYTES);
        assert_eq!(body.pop(), Some(0), "an empty payload ends the body as a zero length");
        let mut n = payload.len();
        while n >= 0x80 {
            body.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        body.push(n as u8);
        body.extend_from_slice(&payload);
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend_from_slice(&crc32(&body).to_le_bytes());
        file.extend_from_slice(&body);
        if !cfg!(miri) {
            assert_eq!(file, bundle(&payload).to_bytes().unwrap(), "the splice is what to_bytes writes");
        }
        file
    })
}

#[test]
fn kernel_dispatch_is_generic_under_miri() {
    let k = Kernels::detect();
    if cfg!(miri) {
        assert_eq!(k.tier, Tier::Generic, "Miri cannot run the SIMD kernels");
    }
}

#[test]
fn boxed_hierarchy_computes_like_a_moved_one() {
    let bytes = dqn_bundle();
    let boxed = Hierarchy::<I8>::load(bytes).unwrap();
    let mut moved = Box::new(Hierarchy::<I8>::empty(Kernels::detect()));
    moved.load_into(bytes).unwrap();
    assert!(boxed.has(ModelKind::Dqn) && !boxed.has(ModelKind::Ppo));
    for i in 0..2 {
        let o = obs(i);
        let a = boxed.q_values(&o.strategic, &o.app, &o.carbon).unwrap();
        assert_eq!(a, moved.q_values(&o.strategic, &o.app, &o.carbon).unwrap());
        assert!(a.iter().all(|v| v.is_finite()));
    }
    let mut w = Window::new();
    assert_eq!(boxed.decide(&mut w, &obs(0)), Err(InferError::MissingModel { kind: ModelKind::Ppo }));
    assert!(w.is_empty());
}

#[test]
fn a_failed_load_into_a_boxed_hierarchy_leaves_nothing_loaded() {
    let mut h = Hierarchy::<I8>::boxed(Kernels::detect());
    h.load_into(dqn_bundle()).unwrap();
    let mut bytes = dqn_bundle().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(matches!(h.load_into(&bytes), Err(InferError::ChecksumMismatch { .. })));
    assert!(!h.has(ModelKind::Dqn));
    assert_eq!(
        h.q_values(&StrategicObs::default(), &AppContext::default(), &Default::default()),
        Err(InferError::MissingModel { kind: ModelKind::Dqn })
    );
}

/// A hierarchy made in place in a garbage-filled `MaybeUninit` slot (the firmware's `static`)
/// is empty, loads, and computes like the boxed one.
#[test]
fn a_hierarchy_made_in_place_over_garbage_computes_like_a_boxed_one() {
    let mut slot = Box::new(std::mem::MaybeUninit::<Hierarchy<I8>>::uninit());
    // SAFETY: writing bytes into a `MaybeUninit` is always allowed.
    unsafe { std::ptr::write_bytes(slot.as_mut_ptr(), 0xA5, 1) };
    let h = Hierarchy::init_in_place(&mut slot, Kernels::detect());
    assert!(!h.has(ModelKind::Dqn) && !h.has(ModelKind::Ppo) && !h.has(ModelKind::Lstm));
    assert_eq!(h.encoder, EncoderConfig::DEFAULT);
    h.load_into(dqn_bundle()).unwrap();
    let boxed = Hierarchy::<I8>::load(dqn_bundle()).unwrap();
    for i in 0..3 {
        let o = obs(i);
        assert_eq!(
            h.q_values(&o.strategic, &o.app, &o.carbon).unwrap(),
            boxed.q_values(&o.strategic, &o.app, &o.carbon).unwrap()
        );
    }
}

/// The whole hierarchy, boxed and moved, decides identically through a full window.
fn full_boxed_equals_moved<P: Precision>(quant: Quant) {
    let bytes = seeded_bundle(5, quant);
    let boxed = Hierarchy::<P>::load(&bytes).unwrap();
    let mut moved = Box::new(Hierarchy::<P>::empty(Kernels::detect()));
    moved.load_into(&bytes).unwrap();
    let (mut wa, mut wb) = (Window::new(), Window::new());
    for i in 0..13 {
        assert_eq!(boxed.decide(&mut wa, &obs(i)).unwrap(), moved.decide(&mut wb, &obs(i)).unwrap(), "step {i}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "tens of minutes under Miri; the DQN-only tests cover the same unsafe code")]
fn boxed_full_hierarchies_decide_like_moved_ones() {
    full_boxed_equals_moved::<I8>(Quant::I8);
    full_boxed_equals_moved::<F32>(Quant::F32);
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
