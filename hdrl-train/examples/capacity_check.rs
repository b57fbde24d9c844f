//! Can the networks, from what they see, express a good decision?
//!
//! Tactical: behaviour-clone `expected_best` (within the provider the strategic layer chose)
//! into the actor-critic's actor on the training days, then report its agreement with the
//! teacher on held-out validation days and the reward of following it greedily, beside the
//! teacher's own and a random policy's.
//!
//! Strategic: regress the Q-network's three outputs on the three providers' day rewards of
//! every training function-day (full information, supervised), then report how often its
//! greedy provider is the day's best on validation days and the reward of following it.
//!
//! If a network cannot imitate the rule, no RL algorithm on the same inputs will beat it:
//! change the inputs first. docs/decision-quality.md records its output.
//!
//! Feature ablation (`ablate`): the same two checks with one group of inputs held at 0 in
//! the training and the validation samples; the drop in agreement is what the group carries.
//!
//! `cargo run --release -p hdrl-train --example capacity_check [-- [ablate] EPOCHS [SCALE]]`

use burn::backend::{Autodiff, NdArray};
use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use hdrl_infer::Provider;
use hdrl_infer::features::STRATEGIC_INPUT;
use hdrl_infer::math::argmax;
use hdrl_train::algos::bc::{self, BcConfig};
use hdrl_train::algos::common::{derived_rng, to_vec};
use hdrl_train::algos::dqn::{self, DqnConfig, QNet};
use hdrl_train::algos::ppo::{self, ActorCriticNet};
use hdrl_train::data::synth::generate;
use hdrl_train::output::progress::Progress;
use hdrl_train::sim::Scenario;
use hdrl_train::sim::env::StrategicEnv;
use hdrl_train::sim::env::TacticalEnv;
use hdrl_train::sim::estimates::Estimates;
use rand::Rng;
use rand::seq::SliceRandom;

type B = Autodiff<NdArray>;

/// Tactical input groups (name, index range), in `encode_tactical`'s order.
const TACTICAL_GROUPS: [(&str, usize, usize); 7] = [
    ("last hour's metrics", 0, 7),
    ("provider one-hot", 7, 10),
    ("workload trend", 10, 11),
    ("app facts (duration, memory, SLA, CPU share)", 11, 15),
    ("home region one-hot", 15, 19),
    ("carbon now by region rank", 19, 23),
    ("current region rank and tier", 23, 25),
];

/// Strategic input groups, in `encode_strategic`'s order.
const STRATEGIC_GROUPS: [(&str, usize, usize); 4] = [
    ("multi-day statistics", 0, 9),
    ("past-day carbon outlook", 9, 15),
    ("app facts (duration, memory, SLA, CPU share)", 15, 19),
    ("home region one-hot", 19, 23),
];

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("ablate") {
        args.next();
        let epochs = args.next().map(|s| s.parse()).transpose()?.unwrap_or(6);
        let scale = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
        return ablate(&Scenario::new(generate(42, scale))?, epochs);
    }
    if args.peek().map(String::as_str) == Some("expected") {
        args.next();
        let epochs = args.next().map(|s| s.parse()).transpose()?.unwrap_or(6);
        let scale = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
        return strategic_expected(&Scenario::new(generate(42, scale))?, epochs);
    }
    let epochs = args.next().map(|s| s.parse()).transpose()?.unwrap_or(6);
    let scale = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let sc = Scenario::new(generate(42, scale))?;
    let est = sc.estimates();
    let train_env = TacticalEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.train, 1, 1);
    let val_env = TacticalEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.val, 1, 2);
    let train = bc::teacher_samples(&sc, &train_env, bc::Teacher { est, ahead: 1 }, 42);
    let val = bc::teacher_samples(&sc, &val_env, bc::Teacher { est, ahead: 1 }, 43);
    println!("{} training samples, {} validation samples (function-hour × provider)", train.len(), val.len());
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 42);
    let model = ActorCriticNet::<B>::new(&device);
    let cfg = BcConfig { epochs, ..BcConfig::default() };
    let (model, history) = bc::train(model, &train, &val, &cfg, 42, &device, &Progress::new(false))?;
    for r in &history {
        println!(
            "epoch {} loss {:.4} train accuracy {:.4} validation accuracy {:.4}",
            r.epoch, r.loss, r.train_accuracy, r.val_accuracy
        );
    }
    let cloned = ppo::evaluate(&model.valid(), &val_env, 0, &device);
    let teacher = bc::teacher_reward(&sc, &val_env, bc::Teacher { est, ahead: 1 }, 0);
    let random = ppo::evaluate_random(&val_env, 0);
    println!("validation mean hourly reward: clone {cloned:.4}, teacher {teacher:.4}, random {random:.4}");
    strategic(&sc, est, epochs)
}

/// Validation agreement of the clone (tactical) and of the fitted Q-network (strategic) with
/// each input group held at 0.
fn ablate(sc: &Scenario, epochs: usize) -> anyhow::Result<()> {
    let est = sc.estimates();
    let train_env = TacticalEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.train, 1, 1);
    let val_env = TacticalEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.val, 1, 2);
    let (train, val) = (
        bc::teacher_samples(sc, &train_env, bc::Teacher { est, ahead: 1 }, 42),
        bc::teacher_samples(sc, &val_env, bc::Teacher { est, ahead: 1 }, 43),
    );
    let device = Default::default();
    println!("| tactical inputs held at 0 | validation agreement with expected_best |");
    println!("|---|---:|");
    for (name, lo, hi) in std::iter::once(("none", 0, 0)).chain(TACTICAL_GROUPS) {
        let zero = |v: &[bc::Sample]| -> Vec<bc::Sample> {
            v.iter()
                .cloned()
                .map(|mut s| {
                    s.obs[lo..hi].fill(0.0);
                    s
                })
                .collect()
        };
        <B as burn::tensor::backend::Backend>::seed(&device, 42);
        let cfg = BcConfig { epochs, ..BcConfig::default() };
        let (_, h) = bc::train(
            ActorCriticNet::<B>::new(&device),
            &zero(&train),
            &zero(&val),
            &cfg,
            42,
            &device,
            &Progress::new(true),
        )?;
        println!("| {name} | {:.4} |", h.last().map_or(0.0, |r| r.val_accuracy));
    }
    let (train, val) = strategic_envs(sc, est);
    println!("| strategic inputs held at 0 | validation agreement with the day's best provider |");
    println!("|---|---:|");
    for (name, lo, hi) in std::iter::once(("none", 0, 0)).chain(STRATEGIC_GROUPS) {
        let (mut xs, ys) = samples(&train, 1);
        let (mut vx, vy) = samples(&val, 3);
        for x in xs.chunks_mut(STRATEGIC_INPUT).chain(vx.chunks_mut(STRATEGIC_INPUT)) {
            x[lo..hi].fill(0.0);
        }
        let (_, acc) = fit_strategic(&xs, &ys, &vx, &vy, epochs * 4, false);
        println!("| {name} | {acc:.4} |");
    }
    Ok(())
}

/// Function-day samples of a strategic environment: the observation on a random current
/// provider and the three providers' rewards.
fn samples(env: &StrategicEnv<'_>, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = derived_rng(seed, 0);
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let (lo, hi) = env.days();
    for &f in env.functions() {
        for d in (lo..hi).filter(|&d| env.active(f, d)) {
            let cur = Provider::ALL[rng.random_range(0..3)];
            xs.extend(env.obs(f, d, cur));
            ys.extend(Provider::ALL.map(|p| env.reward(f, d, p)));
        }
    }
    (xs, ys)
}

/// Train and validation strategic environments whose day rewards are those of the tactical
/// planner within each provider (as `hdrl run` trains the DQN).
fn strategic_envs<'a>(sc: &'a Scenario, est: &Estimates) -> (StrategicEnv<'a>, StrategicEnv<'a>) {
    let planned = est.planned_day_rewards(&sc.sim, &sc.tab);
    (
        StrategicEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.train, 1).with_day_rewards(planned.clone()),
        StrategicEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.val, 2).with_day_rewards(planned),
    )
}

fn strategic(sc: &Scenario, est: &Estimates, epochs: usize) -> anyhow::Result<()> {
    let (train, val) = strategic_envs(sc, est);
    let (xs, ys) = samples(&train, 1);
    let n = ys.len() / 3;
    println!("{n} training function-days");
    let (vx, vy) = samples(&val, 3);
    let (model, _) = fit_strategic(&xs, &ys, &vx, &vy, epochs * 4, true);
    let device = Default::default();
    let m = model;
    let fitted = dqn::evaluate(&m, &val, &device);
    let best = dqn::evaluate_rule(&val, |r| r.iter().copied().fold(f64::MIN, f64::max));
    let random = dqn::evaluate_random(&val);
    println!("validation mean daily reward: fitted {fitted:.4}, best provider {best:.4}, random {random:.4}");
    Ok(())
}

/// Strategic, against the planner's own view: regress the Q-network on the day rewards the
/// estimates expect of each provider (each minus the mean of the three), then report how often
/// its greedy provider is the planner's on validation days, and the realised reward of
/// following it beside the planner's choice, the hindsight best and random. Also how far apart
/// the planner's best and second-best providers are (ties cannot be learnt and do not matter).
fn strategic_expected(sc: &Scenario, epochs: usize) -> anyhow::Result<()> {
    let est = sc.estimates();
    let expected = est.expected_day_rewards(&sc.sim, &sc.tab);
    let (_, val_realised) = strategic_envs(sc, est);
    let train = StrategicEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.train, 1).with_day_rewards(expected.clone());
    let val = StrategicEnv::new(&sc.sim, &sc.tab, sc.enc, sc.split.val, 2).with_day_rewards(expected.clone());
    let centre = |ys: Vec<f32>| -> Vec<f32> {
        ys.chunks(3)
            .flat_map(|r| {
                let m = r.iter().sum::<f32>() / 3.0;
                r.iter().map(move |v| v - m).collect::<Vec<_>>()
            })
            .collect()
    };
    let (xs, ys) = samples(&train, 1);
    let (vx, vy) = samples(&val, 3);
    let (ys, vy) = (centre(ys), centre(vy));
    let var = ys.iter().map(|v| (v * v) as f64).sum::<f64>() / ys.len() as f64;
    let mut gaps: Vec<f32> = ys
        .chunks(3)
        .map(|r| {
            let mut v = [r[0], r[1], r[2]];
            v.sort_by(|a, b| b.total_cmp(a));
            v[0] - v[1]
        })
        .collect();
    gaps.sort_by(f32::total_cmp);
    let q = |p: f64| gaps[((gaps.len() - 1) as f64 * p) as usize];
    println!(
        "{} training function-days; centred target variance {var:.5}; best-minus-second gap quantiles 10/50/90 %: {:.4} {:.4} {:.4}",
        ys.len() / 3,
        q(0.1),
        q(0.5),
        q(0.9)
    );
    let (model, acc) = fit_strategic(&xs, &ys, &vx, &vy, epochs * 4, true);
    let device = Default::default();
    let fitted = dqn::evaluate(&model, &val_realised, &device);
    let planner = dqn::evaluate_expected_choice(&val_realised, &expected);
    let best = dqn::evaluate_rule(&val_realised, |r| r.iter().copied().fold(f64::MIN, f64::max));
    let random = dqn::evaluate_random(&val_realised);
    println!(
        "agreement with the planner's provider {acc:.4}; validation mean daily reward (realised): fitted {fitted:.4}, planner {planner:.4}, hindsight best {best:.4}, random {random:.4}"
    );
    Ok(())
}

/// Regress the Q-network's outputs on the providers' rewards (`xs`/`ys`, flattened); returns
/// the model and its final validation agreement with the best provider.
fn fit_strategic(xs: &[f32], ys: &[f32], vx: &[f32], vy: &[f32], epochs: usize, verbose: bool) -> (QNet<NdArray>, f64) {
    let n = ys.len() / 3;
    let device = Default::default();
    <B as burn::tensor::backend::Backend>::seed(&device, 42);
    let mut model = QNet::<B>::new(&DqnConfig::default(), &device);
    let mut optim = AdamConfig::new().init::<B, QNet<B>>();
    let mut idx: Vec<usize> = (0..n).collect();
    let mut acc = 0.0;
    for epoch in 0..epochs {
        idx.shuffle(&mut derived_rng(7, epoch as u64));
        let mut loss_sum = 0.0;
        for mb in idx.chunks(128) {
            let x: Vec<f32> =
                mb.iter().flat_map(|&i| xs[i * STRATEGIC_INPUT..(i + 1) * STRATEGIC_INPUT].iter().copied()).collect();
            let y: Vec<f32> = mb.iter().flat_map(|&i| ys[i * 3..i * 3 + 3].iter().copied()).collect();
            let x = Tensor::<B, 2>::from_data(TensorData::new(x, [mb.len(), STRATEGIC_INPUT]), &device);
            let y = Tensor::<B, 2>::from_data(TensorData::new(y, [mb.len(), 3]), &device);
            let loss = (model.forward(x) - y).square().mean();
            loss_sum += loss.clone().into_scalar().elem::<f64>();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(1e-3, model, grads);
        }
        let vn = vy.len() / 3;
        let q = to_vec(
            model.valid().forward(Tensor::from_data(TensorData::new(vx.to_vec(), [vn, STRATEGIC_INPUT]), &device)),
        );
        acc = (0..vn).filter(|&i| argmax(&q[i * 3..i * 3 + 3]) == argmax(&vy[i * 3..i * 3 + 3])).count() as f64
            / vn as f64;
        if verbose {
            println!(
                "strategic epoch {} mse {:.5} validation accuracy {acc:.4}",
                epoch + 1,
                loss_sum / n.div_ceil(128) as f64
            );
        }
    }
    (model.valid(), acc)
}
