//! int8 vs f32 on random inputs: top-action agreement and maximum absolute error, reported
//! (run with `--nocapture` to see the numbers) and bounded.

use hdrl_infer::Kernels;
use hdrl_infer::fixtures::{f32_models, quantize};
use hdrl_infer::math::argmax;
use hdrl_infer::rng::SplitMix64;

const N: usize = 2000;

#[test]
fn int8_agrees_with_f32() {
    let f = f32_models(41);
    let q = quantize(&f);
    let k = Kernels::detect();
    let mut rng = SplitMix64::new(42);
    let (mut dqn_agree, mut ppo_agree) = (0, 0);
    let (mut dqn_err, mut ppo_err, mut lstm_err) = (0.0f32, 0.0f32, 0.0f32);
    for i in 0..N {
        let xs: [f32; 23] = core::array::from_fn(|_| rng.unit());
        let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
        f.dqn.forward(&k, &xs, &mut a).unwrap();
        q.dqn.forward(&k, &xs, &mut b).unwrap();
        dqn_agree += (argmax(&a) == argmax(&b)) as usize;
        dqn_err = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(dqn_err, f32::max);

        let xt: [f32; 25] = core::array::from_fn(|_| rng.unit());
        let (mut la, mut lb) = ([0.0; 24], [0.0; 24]);
        f.ppo.actor(&k, &xt, &mut la).unwrap();
        q.ppo.actor(&k, &xt, &mut lb).unwrap();
        ppo_agree += (argmax(&la) == argmax(&lb)) as usize;
        ppo_err = la.iter().zip(&lb).map(|(x, y)| (x - y).abs()).fold(ppo_err, f32::max);

        if i % 10 == 0 {
            let win: [[f32; 5]; 12] = core::array::from_fn(|_| core::array::from_fn(|_| rng.unit()));
            let (mut ya, mut yb) = ([0.0; 3], [0.0; 3]);
            f.lstm.forward(&k, &win, &mut ya).unwrap();
            q.lstm.forward(&k, &win, &mut yb).unwrap();
            lstm_err = ya.iter().zip(&yb).map(|(x, y)| (x - y).abs()).fold(lstm_err, f32::max);
        }
    }
    let da = dqn_agree as f32 / N as f32;
    let pa = ppo_agree as f32 / N as f32;
    println!(
        "int8 vs f32 over {N} random inputs (seeded weights): DQN top-action agreement {:.1}%, \
         max |ΔQ| {dqn_err:.4}; PPO agreement {:.1}%, max |Δlogit| {ppo_err:.4}; LSTM max |Δy| {lstm_err:.4} \
         (over {} windows)",
        100.0 * da,
        100.0 * pa,
        N / 10
    );
    assert!(da >= 0.95, "DQN agreement {da}");
    assert!(pa >= 0.90, "PPO agreement {pa}");
    assert!(dqn_err < 0.1 && ppo_err < 0.1 && lstm_err < 0.05);
}
