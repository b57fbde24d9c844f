//! Golden tests: seeded weights and inputs through every layer and every model, f32 and
//! int8, with every kernel table this CPU runs, against the independent f64 reference in
//! `reference/`. Tolerances are stated per check.

mod reference;

use hdrl_infer::features::{OPERATIONAL_FEATURES, WINDOW};
use hdrl_infer::rng::SplitMix64;
use hdrl_infer::{ActorCritic, Dense, DenseI8, Dqn, F32, Forecaster, I8, Kernels, LayerNorm, Linear, LstmLayer, Part};
use reference::*;

fn kernel_tables() -> Vec<Kernels> {
    vec![Kernels::generic(), Kernels::detect()]
}

fn as_f64(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

/// f32 layers agree with f64 to 2e-5 (absolute, values of order 1).
const TOL_F32: f64 = 2e-5;
/// int8 layers agree with the f64 evaluation of the same int8 arithmetic to 1e-4.
const TOL_I8: f64 = 1e-4;

#[test]
fn dense_f32_and_i8_match_reference() {
    let mut rng = SplitMix64::new(1);
    let mut d = Dense::<37, 29>::zeroed();
    d.randomize(&mut rng);
    let mut q = DenseI8::<37, 29>::zeroed();
    q.quantize_from(&d);
    let x: [f32; 37] = inputs(2, 37).try_into().unwrap();
    for k in kernel_tables() {
        let mut y = [0.0; 29];
        d.forward(&k, &x, &mut y);
        assert!(max_abs_diff(&y, &d.to_ref().apply(&as_f64(&x))) < TOL_F32, "{:?}", k.tier);
        let mut yq = [0.0; 29];
        q.forward(&k, &x, &mut yq);
        let e = max_abs_diff(&yq, &q.to_ref().apply(&as_f64(&x)));
        assert!(e < TOL_I8, "{:?} int8 error {e}", k.tier);
        // And int8 stays near f32: error bounded by the quantisation steps.
        assert!(max_abs_diff(&yq, &as_f64(&y)) < 0.05, "{:?}", k.tier);
    }
}

/// A packed int8 layer (outputs a multiple of 8, inputs of 4) over bands of 64, 64 and 8
/// outputs: its weights read back output-major and it matches the same reference.
#[test]
fn packed_dense_i8_matches_reference() {
    let mut d = Dense::<132, 136>::zeroed();
    d.randomize(&mut SplitMix64::new(9));
    let mut q = DenseI8::<132, 136>::zeroed();
    q.quantize_from(&d);
    assert_eq!(DenseI8::<132, 136>::PACKED, cfg!(target_arch = "x86_64"), "packed where the SIMD bodies are");
    const { assert!(!DenseI8::<37, 29>::PACKED, "37 inputs do not pack") };
    let x: [f32; 132] = inputs(6, 132).try_into().unwrap();
    for k in kernel_tables() {
        let mut yq = [0.0; 136];
        q.forward(&k, &x, &mut yq);
        let e = max_abs_diff(&yq, &q.to_ref().apply(&as_f64(&x)));
        assert!(e < TOL_I8, "{:?} int8 error {e}", k.tier);
    }
    // Save and load keep the output-major payload and every weight.
    let mut bytes = vec![0u8; <DenseI8<132, 136> as Part>::PAYLOAD_BYTES];
    q.write(&mut hdrl_infer::payload::Writer::new(&mut bytes)).unwrap();
    assert_eq!(
        bytes[..132].iter().map(|&b| b as i8).collect::<Vec<_>>(),
        (0..132).map(|i| q.weight(0, i)).collect::<Vec<_>>()
    );
    let mut back = DenseI8::<132, 136>::zeroed();
    back.read(&mut hdrl_infer::payload::Reader::new(&bytes)).unwrap();
    assert_eq!(back, q);
}

#[test]
fn layer_norm_matches_reference() {
    let mut ln = LayerNorm::<64>::identity();
    ln.randomize(&mut SplitMix64::new(3));
    let x: [f32; 64] = inputs(4, 64).iter().map(|v| v * 10.0 - 3.0).collect::<Vec<_>>().try_into().unwrap();
    let want = layer_norm(&ln, &as_f64(&x));
    let mut y = x;
    ln.forward(&mut y);
    assert!(max_abs_diff(&y, &want) < TOL_F32);
}

#[test]
fn lstm_layer_matches_reference_over_twelve_steps() {
    let mut rng = SplitMix64::new(5);
    let mut l = LstmLayer::<F32, 5, 16>::ZERO;
    l.randomize(&mut rng);
    let mut lq = LstmLayer::<I8, 5, 16>::ZERO;
    lq.quantize_from(&l);
    let xs: Vec<[f32; 5]> = (0..12).map(|t| inputs(10 + t, 5).try_into().unwrap()).collect();
    for k in kernel_tables() {
        let (mut h, mut c) = ([0.0f32; 16], [0.0f32; 16]);
        let (mut hr, mut cr) = (vec![0.0; 16], vec![0.0; 16]);
        let (mut hq, mut cq) = ([0.0f32; 16], [0.0f32; 16]);
        let (mut hqr, mut cqr) = (vec![0.0; 16], vec![0.0; 16]);
        for x in &xs {
            l.step(&k, x, &mut h, &mut c);
            lstm_step(&l, &as_f64(x), &mut hr, &mut cr);
            lq.step(&k, x, &mut hq, &mut cq);
            lstm_step(&lq, &as_f64(x), &mut hqr, &mut cqr);
        }
        assert!(max_abs_diff(&h, &hr) < TOL_F32 && max_abs_diff(&c, &cr) < TOL_F32, "{:?}", k.tier);
        let e = max_abs_diff(&hq, &hqr).max(max_abs_diff(&cq, &cqr));
        assert!(e < 1e-3, "{:?} int8 LSTM error {e}", k.tier);
    }
}

#[test]
fn dqn_matches_reference() {
    let f = hdrl_infer::fixtures::f32_models(11);
    let q8 = hdrl_infer::fixtures::quantize(&f);
    for case in 0..8 {
        let x: [f32; 23] = inputs(100 + case, 23).try_into().unwrap();
        for k in kernel_tables() {
            let mut q = [0.0; 3];
            f.dqn.forward(&k, &x, &mut q).unwrap();
            let e = max_abs_diff(&q, &dqn::<F32>(&f.dqn, &as_f64(&x)));
            assert!(e < 1e-4, "{:?} f32 DQN error {e}", k.tier);
            q8.dqn.forward(&k, &x, &mut q).unwrap();
            let e = max_abs_diff(&q, &dqn::<I8>(&q8.dqn, &as_f64(&x)));
            assert!(e < 1e-3, "{:?} int8 DQN error {e}", k.tier);
        }
    }
}

#[test]
fn actor_critic_matches_reference() {
    let f = hdrl_infer::fixtures::f32_models(12);
    let q8 = hdrl_infer::fixtures::quantize(&f);
    for case in 0..8 {
        let x: [f32; 25] = inputs(200 + case, 25).try_into().unwrap();
        for k in kernel_tables() {
            let mut l = [0.0; 24];
            let v = f.ppo.forward(&k, &x, &mut l).unwrap();
            let (rl, rv) = ppo::<F32>(&f.ppo, &as_f64(&x));
            assert!(max_abs_diff(&l, &rl) < 1e-4 && (v as f64 - rv).abs() < 1e-4, "{:?}", k.tier);
            let mut l2 = [0.0; 24];
            f.ppo.actor(&k, &x, &mut l2).unwrap();
            assert_eq!(l, l2);
            assert_eq!(f.ppo.critic(&k, &x).unwrap(), v);
            let v = q8.ppo.forward(&k, &x, &mut l).unwrap();
            let (rl, rv) = ppo::<I8>(&q8.ppo, &as_f64(&x));
            let e = max_abs_diff(&l, &rl).max((v as f64 - rv).abs());
            assert!(e < 1e-3, "{:?} int8 PPO error {e}", k.tier);
        }
    }
}

#[test]
fn forecaster_matches_reference() {
    let f = hdrl_infer::fixtures::f32_models(13);
    let q8 = hdrl_infer::fixtures::quantize(&f);
    for case in 0..4 {
        let flat = inputs(300 + case, WINDOW * OPERATIONAL_FEATURES);
        let mut win = [[0.0f32; 5]; 12];
        for (w, c) in win.iter_mut().zip(flat.chunks(5)) {
            w.copy_from_slice(c);
        }
        let win64: Vec<[f64; 5]> = win.iter().map(|s| s.map(|v| v as f64)).collect();
        for k in kernel_tables() {
            let mut y = [0.0; 3];
            f.lstm.forward(&k, &win, &mut y).unwrap();
            let e = max_abs_diff(&y, &forecaster::<F32>(&f.lstm, &win64));
            assert!(e < 1e-4, "{:?} f32 LSTM error {e}", k.tier);
            assert!(y.iter().all(|&v| v >= 0.0));
            q8.lstm.forward(&k, &win, &mut y).unwrap();
            let e = max_abs_diff(&y, &forecaster::<I8>(&q8.lstm, &win64));
            assert!(e < 2e-3, "{:?} int8 LSTM error {e}", k.tier);
        }
    }
}

#[test]
fn non_finite_inputs_are_errors_not_nans() {
    let f = hdrl_infer::fixtures::f32_models(14);
    let k = Kernels::detect();
    let mut x = [0.5f32; 23];
    x[3] = f32::NAN;
    let mut q = [7.0; 3];
    assert_eq!(f.dqn.forward(&k, &x, &mut q), Err(hdrl_infer::InferError::NonFiniteInput { index: 3 }));
    assert_eq!(q, [7.0; 3], "outputs untouched on error");
    let mut l = [0.0; 24];
    assert!(f.ppo.actor(&k, &[f32::INFINITY; 25], &mut l).is_err());
    // Huge but finite inputs: defined result (finite or an error), never NaN.
    for big in [1e30f32, -1e30, f32::MAX] {
        match f.dqn.forward(&k, &[big; 23], &mut q) {
            Ok(()) => assert!(q.iter().all(|v| v.is_finite())),
            Err(e) => assert_eq!(e, hdrl_infer::InferError::NonFiniteOutput),
        }
    }
}

#[test]
fn payload_sizes_match_the_documented_architectures() {
    // Hand-counted from DESIGN.md: f32 = 4 bytes per weight/bias/LayerNorm value;
    // int8 = 1 byte per weight + f32 scale and bias per output, LayerNorm stays f32.
    use hdrl_infer::Model;
    // Format v3 widened the DQN's encoders (10 → 15 and 4 → 8 inputs: 5·128 + 4·32 = 768 more
    // weights) and the actor-critic's trunk (11 → 25 inputs: 14·128 = 1 792 more weights).
    assert_eq!(Dqn::<F32>::PAYLOAD_BYTES, 74636 + 4 * 768);
    assert_eq!(Dqn::<I8>::PAYLOAD_BYTES, 22264 + 768);
    assert_eq!(ActorCritic::<F32>::PAYLOAD_BYTES, 212836 + 4 * 1792);
    assert_eq!(ActorCritic::<I8>::PAYLOAD_BYTES, 58504 + 1792);
    assert_eq!(Forecaster::<F32>::PAYLOAD_BYTES, 483852);
    assert_eq!(Forecaster::<I8>::PAYLOAD_BYTES, 131960);
}
