//! Parity: the burn forward pass and the exported hdrl-infer forward pass agree to 1e-4 (f32)
//! for all three models on the same inputs; int8 agreement is reported.

use burn::backend::NdArray;
use burn::prelude::*;
use hdrl_infer::Kernels;
use hdrl_infer::features::{STRATEGIC_INPUT as SI, TACTICAL_INPUT as TI};
use hdrl_infer::math::argmax;
use hdrl_infer::rng::SplitMix64;
use hdrl_train::algos::common::to_vec;
use hdrl_train::algos::dqn::{DqnConfig, QNet};
use hdrl_train::algos::export::{self, Exported};
use hdrl_train::algos::lstm::{ForecastConfig, ForecastNet};
use hdrl_train::algos::ppo::ActorCriticNet;

type B = NdArray;

#[test]
fn burn_and_hdrl_infer_agree() {
    let device = Default::default();
    B::seed(&device, 17);
    let q = QNet::<B>::new(&DqnConfig::default(), &device);
    let p = ActorCriticNet::<B>::new(&device);
    let l = ForecastNet::<B>::new(&ForecastConfig::default(), &device);
    let ex = Exported::all(
        export::dqn(&q).unwrap(),
        export::ppo(&p).unwrap(),
        export::forecaster(&l).unwrap(),
        hdrl_infer::EncoderConfig::DEFAULT,
    );
    let k = Kernels::detect();
    let mut rng = SplitMix64::new(3);
    let n = 64;

    // DQN.
    let xs: Vec<f32> = (0..n * SI).map(|_| rng.unit()).collect();
    let burn_q = to_vec(q.forward(Tensor::<B, 2>::from_data(TensorData::new(xs.clone(), [n, SI]), &device)));
    let (mut max_d, mut agree) = (0.0f32, 0);
    for i in 0..n {
        let x: [f32; SI] = xs[i * SI..(i + 1) * SI].try_into().unwrap();
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        ex.f32.dqn.forward(&k, &x, &mut a).unwrap();
        ex.int8.dqn.forward(&k, &x, &mut b).unwrap();
        for j in 0..3 {
            max_d = max_d.max((a[j] - burn_q[i * 3 + j]).abs());
        }
        agree += (argmax(&a) == argmax(&b)) as usize;
    }
    println!("DQN: max |burn − hdrl-infer f32| = {max_d:.2e}; int8 top-action agreement {agree}/{n}");
    assert!(max_d <= 1e-4, "DQN parity {max_d}");

    // PPO.
    let xs: Vec<f32> = (0..n * TI).map(|_| rng.unit()).collect();
    let (bl, bv) = p.forward(Tensor::<B, 2>::from_data(TensorData::new(xs.clone(), [n, TI]), &device));
    let (bl, bv) = (to_vec(bl), to_vec(bv));
    let (mut max_d, mut agree) = (0.0f32, 0);
    for i in 0..n {
        let x: [f32; TI] = xs[i * TI..(i + 1) * TI].try_into().unwrap();
        let (mut a, mut b) = ([0.0; 24], [0.0; 24]);
        let v = ex.f32.ppo.forward(&k, &x, &mut a).unwrap();
        ex.int8.ppo.forward(&k, &x, &mut b).unwrap();
        for j in 0..24 {
            max_d = max_d.max((a[j] - bl[i * 24 + j]).abs());
        }
        max_d = max_d.max((v - bv[i]).abs());
        agree += (argmax(&a) == argmax(&b)) as usize;
    }
    println!("PPO: max |burn − hdrl-infer f32| = {max_d:.2e}; int8 top-action agreement {agree}/{n}");
    assert!(max_d <= 1e-4, "PPO parity {max_d}");

    // LSTM.
    let xs: Vec<f32> = (0..n * 60).map(|_| rng.unit()).collect();
    let by = to_vec(l.forward(Tensor::<B, 3>::from_data(TensorData::new(xs.clone(), [n, 12, 5]), &device)));
    let (mut max_d, mut max_q) = (0.0f32, 0.0f32);
    for i in 0..n {
        let mut w = [[0.0f32; 5]; 12];
        for (s, c) in w.iter_mut().zip(xs[i * 60..(i + 1) * 60].chunks(5)) {
            s.copy_from_slice(c);
        }
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        ex.f32.lstm.forward(&k, &w, &mut a).unwrap();
        ex.int8.lstm.forward(&k, &w, &mut b).unwrap();
        for j in 0..3 {
            // The burn head is linear; hdrl-infer serves it clamped at zero.
            max_d = max_d.max((a[j] - by[i * 3 + j].max(0.0)).abs());
            max_q = max_q.max((a[j] - b[j]).abs());
        }
    }
    println!("LSTM: max |burn − hdrl-infer f32| = {max_d:.2e}; max |int8 − f32| = {max_q:.2e}");
    assert!(max_d <= 1e-4, "LSTM parity {max_d}");
}
