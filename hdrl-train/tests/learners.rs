//! Each learner, trained briefly on a small synthetic trace with a fixed seed, beats the
//! random baseline on the validation days by a real margin.

use burn::backend::{Autodiff, NdArray};
use hdrl_train::algos::train;
use hdrl_train::algos::{dqn, lstm, ppo};
use hdrl_train::data::windows::TraceWindows;
use hdrl_train::data::workload::DAY_S;
use hdrl_train::output::progress::Progress;
use hdrl_train::sim::Scenario;
use hdrl_train::sim::env::{StrategicEnv, TacticalEnv};

type B = Autodiff<NdArray>;

fn data() -> Scenario {
    Scenario::new(hdrl_train::data::synth::generate(5, 0.02)).unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("hdrl-learners-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn dqn_beats_random_providers_on_validation_days() {
    let d = data();
    let cfg =
        dqn::DqnConfig { steps: 2000, round: 500, warmup: 200, eps_decay_steps: 600.0, lr: 1e-3, ..Default::default() };
    let dir = tmp("dqn");
    let t = train::train_dqn::<B>(&d, &cfg, 7, &Default::default(), &dir, &Progress::new(true)).unwrap();
    let val = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.val, 1);
    let trained = dqn::evaluate(&t.model, &val, d.split.val, &Default::default());
    let random = dqn::evaluate_random(&val, d.split.val);
    println!("DQN validation mean daily reward: trained {trained:.4}, random {random:.4}");
    assert!(trained > random + 0.1, "trained {trained} vs random {random}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ppo_beats_random_placements_on_validation_days() {
    let d = data();
    let cfg = ppo::PpoConfig { updates: 10, rollout: 1024, epochs: 4, val_pairs: 200, ..Default::default() };
    let dir = tmp("ppo");
    let t = train::train_ppo::<B>(&d, &cfg, 7, &Default::default(), &dir, &Progress::new(true)).unwrap();
    let val = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.val, 1, 2);
    let trained = ppo::evaluate(&t.model, &val, 200, &Default::default());
    let random = ppo::evaluate_random(&val, 200);
    println!("PPO validation mean hourly reward: trained {trained:.4}, random {random:.4}");
    assert!(trained > random + 0.1, "trained {trained} vs random {random}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn lstm_beats_an_untrained_network_on_validation_windows() {
    let d = data();
    let cfg = lstm::ForecastConfig { max_epochs: 6, batches_per_epoch: 6, val_windows: 256, ..Default::default() };
    let dir = tmp("lstm");
    let t = train::train_lstm::<B>(&d, &cfg, 7, &Default::default(), &dir, &Progress::new(true)).unwrap();
    let tr = (d.split.train.0 as f64 * DAY_S, d.split.train.1 as f64 * DAY_S);
    let va = (d.split.val.0 as f64 * DAY_S, d.split.val.1 as f64 * DAY_S);
    let src = TraceWindows::new(d.enc, &d.hourly.by_func, &d.tab.profiles, 15.0, tr, va);
    let device = Default::default();
    let trained = lstm::val_loss(&t.model, &src, &cfg, 7, &device);
    <NdArray as burn::tensor::backend::Backend>::seed(&device, 99);
    let untrained = lstm::val_loss(&lstm::ForecastNet::<NdArray>::new(&cfg, &device), &src, &cfg, 7, &device);
    println!("LSTM validation asymmetric MSE: trained {trained:.5}, untrained {untrained:.5}");
    assert!(trained < 0.5 * untrained, "trained {trained} vs untrained {untrained}");
    let _ = std::fs::remove_dir_all(&dir);
}
