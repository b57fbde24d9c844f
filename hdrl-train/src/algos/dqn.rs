//! Strategic layer: Double DQN over the strategic environment (one app, one day per step,
//! action = provider). Config, network, replay buffer and loop in one file.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::module::AutodiffModule;
use burn::nn::loss::{HuberLoss, HuberLossConfig, Reduction};
use burn::nn::{Dropout, DropoutConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::optim::{AdamConfig, Optimizer};
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::features::{STRATEGIC_INPUT, STRATEGIC_STATS_INPUT};
use hdrl_infer::models::Q_BOUND;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::common::{derived_rng, finite_step, load_checkpoint, materialize, save_checkpoint, soft_update, to_vec};
use crate::output::progress::Progress;
use crate::sim::env::{Env, StrategicEnv};

/// DQN hyper-parameters (defaults from the research; all overridable from a config file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct DqnConfig {
    /// Replay buffer capacity.
    pub replay: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Discount factor.
    pub gamma: f32,
    /// Initial exploration rate.
    pub eps_start: f64,
    /// Final exploration rate.
    pub eps_end: f64,
    /// Environment steps for ε to decay by a factor e (exponential schedule).
    pub eps_decay_steps: f64,
    /// Polyak coefficient of the soft target update.
    pub tau: f64,
    /// Global gradient-norm clip.
    pub grad_clip: f64,
    /// Huber loss threshold.
    pub huber_delta: f32,
    /// Dropout in the encoders (training only).
    pub dropout: f64,
    /// Total environment steps.
    pub steps: usize,
    /// Steps before learning starts.
    pub warmup: usize,
    /// Environment steps per round (checkpoint, validation and history granularity).
    pub round: usize,
    /// Regress the Q-values of all three providers on every sampled transition, not only the
    /// one taken: the simulator knows every provider's day reward (full-information feedback).
    /// Only with `gamma == 0` (the next state would depend on the action otherwise).
    pub full_information: bool,
    /// Train on the day rewards the tactical planner's estimates expect of each provider
    /// ([`crate::sim::estimates::Estimates::expected_day_rewards`]) instead of the ones the
    /// training days realised; validation still scores realised days. The realised reward of a
    /// function-day carries that day's luck (which invocations started cold, which tail
    /// latencies broke the SLA), noise no observation can predict.
    pub expected_targets: bool,
    /// With full information, regress each provider's reward minus the mean of the three (its
    /// advantage) instead of the reward itself: the greedy choice is the same, and the network
    /// spends no capacity on a function-day's level (from about −3 for a function that breaks
    /// its SLA everywhere to 0.8), only on what separates the providers.
    pub centred_targets: bool,
}

impl Default for DqnConfig {
    fn default() -> Self {
        Self {
            replay: 100_000,
            batch: 256,
            lr: 2e-4,
            gamma: 0.0,
            eps_start: 1.0,
            eps_end: 0.05,
            eps_decay_steps: 5_000.0,
            tau: 0.005,
            grad_clip: 1.0,
            huber_delta: 1.0,
            dropout: 0.1,
            steps: 12_000,
            warmup: 500,
            round: 1_000,
            full_information: true,
            expected_targets: true,
            centred_targets: true,
        }
    }
}

// ALGO LOGIC: network.

/// The Q-network: the architecture of `hdrl_infer::Dqn` (DESIGN.md), in burn.
#[derive(Module, Debug)]
pub struct QNet<B: Backend> {
    /// Strategic encoder, first layer.
    pub s1: Linear<B>,
    /// Its normalisation.
    pub s1_norm: LayerNorm<B>,
    /// Strategic encoder, second layer.
    pub s2: Linear<B>,
    /// Its normalisation.
    pub s2_norm: LayerNorm<B>,
    /// App encoder.
    pub a1: Linear<B>,
    /// Its normalisation.
    pub a1_norm: LayerNorm<B>,
    /// Head, first layer.
    pub h1: Linear<B>,
    /// Head, second layer.
    pub h2: Linear<B>,
    /// Output.
    pub out: Linear<B>,
    drop: Dropout,
}

impl<B: Backend> QNet<B> {
    /// Build with fresh weights (drawn now, from the backend seed).
    pub fn new(cfg: &DqnConfig, device: &B::Device) -> Self {
        let m = Self {
            s1: LinearConfig::new(STRATEGIC_STATS_INPUT, 128).init(device),
            s1_norm: LayerNormConfig::new(128).init(device),
            s2: LinearConfig::new(128, 64).init(device),
            s2_norm: LayerNormConfig::new(64).init(device),
            a1: LinearConfig::new(STRATEGIC_INPUT - STRATEGIC_STATS_INPUT, 32).init(device),
            a1_norm: LayerNormConfig::new(32).init(device),
            h1: LinearConfig::new(96, 64).init(device),
            h2: LinearConfig::new(64, 32).init(device),
            out: LinearConfig::new(32, 3).init(device),
            drop: DropoutConfig::new(cfg.dropout).init(),
        };
        materialize(&m);
        m
    }

    /// # Shapes
    /// `x`: `[batch, STRATEGIC_INPUT]` (the strategic statistics, then the application facts) → `[batch, 3]` Q-values.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let [b, _] = x.dims();
        let s = x.clone().slice([0..b, 0..STRATEGIC_STATS_INPUT]);
        let a = x.slice([0..b, STRATEGIC_STATS_INPUT..STRATEGIC_INPUT]);
        let s = self.drop.forward(relu(self.s1_norm.forward(self.s1.forward(s)))); // [b, 128]
        let s = self.drop.forward(relu(self.s2_norm.forward(self.s2.forward(s)))); // [b, 64]
        let a = self.drop.forward(relu(self.a1_norm.forward(self.a1.forward(a)))); // [b, 32]
        let c = Tensor::cat(vec![s, a], 1); // [b, 96]
        let h = relu(self.h1.forward(c));
        let h = relu(self.h2.forward(h));
        // Q-values are clamped to ±Q_BOUND, as the research did; hdrl-infer clamps to the same
        // constant, so the exported network agrees with this one.
        self.out.forward(h).clamp(-Q_BOUND, Q_BOUND)
    }
}

// ALGO LOGIC: replay buffer.

/// One transition.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Transition {
    /// State.
    pub s: [f32; STRATEGIC_INPUT],
    /// Action.
    pub a: u8,
    /// Reward.
    pub r: f32,
    /// The reward every provider would have earned (index = provider).
    pub r_all: [f32; 3],
    /// Next state.
    pub s2: [f32; STRATEGIC_INPUT],
    /// Episode ended.
    pub done: bool,
}

/// A ring buffer of transitions.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Replay {
    cap: usize,
    items: Vec<Transition>,
    next: usize,
}

impl Replay {
    /// An empty buffer.
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), items: Vec::new(), next: 0 }
    }

    /// Insert, overwriting the oldest when full. Non-finite transitions never enter.
    pub fn push(&mut self, t: Transition) -> bool {
        if !(t.r.is_finite() && t.r_all.iter().all(|r| r.is_finite()) && t.s.iter().chain(&t.s2).all(|v| v.is_finite()))
        {
            return false;
        }
        if self.items.len() < self.cap {
            self.items.push(t);
        } else {
            self.items[self.next] = t;
        }
        self.next = (self.next + 1) % self.cap;
        true
    }

    /// Transitions held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Nothing held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// One history record (JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DqnRecord {
    /// Environment steps so far.
    pub step: usize,
    /// Mean Huber loss over the round (NaN, `null` in JSON, when it learned nothing yet).
    #[serde(deserialize_with = "super::common::null_as_nan")]
    pub loss: f64,
    /// Exploration rate at the end of the round.
    pub epsilon: f64,
    /// Mean training episode return over the round (NaN when no episode ended).
    #[serde(deserialize_with = "super::common::null_as_nan")]
    pub episodic_return: f64,
    /// Greedy mean daily reward on validation days.
    pub val_reward: f64,
    /// Batches skipped for non-finite loss or gradients (cumulative).
    pub nan_skips: usize,
    /// Transitions refused by the buffer for non-finite values (cumulative).
    pub nan_transitions: usize,
    /// Wall time so far, s.
    pub wall_s: f64,
    /// Environment steps per second over the round.
    pub sps: f64,
}

#[derive(Serialize, Deserialize)]
struct State {
    step: usize,
    history: Vec<DqnRecord>,
    replay: Replay,
    best_val: f64,
    nan_skips: usize,
    nan_transitions: usize,
    wall_s: f64,
}

/// Result of training.
pub struct Trained<B: Backend> {
    /// The model with the best validation reward.
    pub model: QNet<B>,
    /// The history.
    pub history: Vec<DqnRecord>,
    /// Validation scores of rules on the same function-days as `val_reward`, by name (the
    /// rule the DQN replaces, the hindsight best, random).
    pub references: Vec<(String, f64)>,
}

/// Greedy action of a batch of one state on the inner model.
fn greedy<B: Backend>(model: &QNet<B>, s: &[f32; STRATEGIC_INPUT], device: &B::Device) -> usize {
    let x = Tensor::<B, 2>::from_data(TensorData::new(s.to_vec(), [1, STRATEGIC_INPUT]), device);
    let q = to_vec(model.forward(x));
    hdrl_infer::math::argmax(&q)
}

/// Greedy mean daily reward over every function-day with traffic of a validation
/// environment's days (from day 1 on), each function starting on AWS and following its own
/// choices (the score of [`StrategicEnv::reward`]: mean hourly reward of the day).
pub fn evaluate<B: Backend>(model: &QNet<B>, env: &StrategicEnv<'_>, device: &B::Device) -> f64 {
    let (lo, hi) = env.days();
    let (mut sum, mut n) = (0.0, 0usize);
    for &f in env.functions() {
        let mut provider = hdrl_infer::Provider::Aws;
        for d in lo.max(1)..hi {
            let a = greedy(model, &env.obs(f, d, provider), device);
            provider = hdrl_infer::Provider::from_index(a).unwrap_or(hdrl_infer::Provider::Aws);
            if env.active(f, d) {
                sum += env.reward(f, d, provider) as f64;
                n += 1;
            }
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The mean daily reward of `pick(rewards of AWS, Azure, GCP)` on the same function-days as
/// [`evaluate`]: the mean for a uniformly random choice, the maximum for the hindsight best.
pub fn evaluate_rule(env: &StrategicEnv<'_>, pick: impl Fn([f64; 3]) -> f64) -> f64 {
    let (lo, hi) = env.days();
    let (mut sum, mut n) = (0.0, 0usize);
    for &f in env.functions() {
        for d in (lo.max(1)..hi).filter(|&d| env.active(f, d)) {
            sum += pick(hdrl_infer::Provider::ALL.map(|p| env.reward(f, d, p) as f64));
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The mean daily reward on `val`'s function-days of the rule the DQN replaces: each function
/// on the provider with the best mean daily reward over the days of `train` (where it had no
/// traffic then, AWS).
pub fn evaluate_train_best(train: &StrategicEnv<'_>, val: &StrategicEnv<'_>) -> f64 {
    let (lo, hi) = train.days();
    let (mut sum, mut n) = (0.0, 0usize);
    for &f in val.functions() {
        let totals = hdrl_infer::Provider::ALL
            .map(|p| (lo..hi).filter(|&d| train.active(f, d)).map(|d| train.reward(f, d, p) as f64).sum::<f64>());
        let best = hdrl_infer::Provider::from_index(hdrl_infer::math::argmax(&totals.map(|t| t as f32)))
            .unwrap_or(hdrl_infer::Provider::Aws);
        let (vlo, vhi) = val.days();
        for d in (vlo..vhi).filter(|&d| val.active(f, d)) {
            sum += val.reward(f, d, best) as f64;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The mean daily reward on `val`'s function-days of choosing, each day, the provider with the
/// best `expected[f][day]` (the planner's own choice when `expected` holds its expected day
/// rewards).
pub fn evaluate_expected_choice(val: &StrategicEnv<'_>, expected: &[Vec<[f32; 3]>]) -> f64 {
    let (lo, hi) = val.days();
    let (mut sum, mut n) = (0.0, 0usize);
    for &f in val.functions() {
        for d in (lo.max(1)..hi).filter(|&d| val.active(f, d)) {
            let p = hdrl_infer::Provider::from_index(hdrl_infer::math::argmax(&expected[f][d]))
                .unwrap_or(hdrl_infer::Provider::Aws);
            sum += val.reward(f, d, p) as f64;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// The expected mean daily reward of a uniformly random provider choice (see
/// [`evaluate_rule`]).
pub fn evaluate_random(env: &StrategicEnv<'_>) -> f64 {
    evaluate_rule(env, |r| r.iter().sum::<f64>() / 3.0)
}

// ALGO LOGIC: one Double DQN step on a minibatch from the replay buffer.
/// One gradient step; the loss, or `None` when the loss or the gradients are not finite (the
/// batch is skipped).
#[allow(clippy::too_many_arguments)]
fn learn<B: AutodiffBackend>(
    model: QNet<B>,
    target: &QNet<B::InnerBackend>,
    optim: &mut impl Optimizer<QNet<B>, B>,
    huber: &HuberLoss,
    replay: &Replay,
    cfg: &DqnConfig,
    rng: &mut impl Rng,
    device: &B::Device,
) -> (QNet<B>, Option<f64>) {
    // Sample a minibatch.
    let n = cfg.batch;
    let (mut xs, mut xs2, mut acts, mut rs, mut r_all, mut nd) = (
        Vec::with_capacity(n * STRATEGIC_INPUT),
        Vec::with_capacity(n * STRATEGIC_INPUT),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n * 3),
        Vec::with_capacity(n),
    );
    for _ in 0..n {
        let t = replay.items[rng.random_range(0..replay.len())];
        xs.extend_from_slice(&t.s);
        xs2.extend_from_slice(&t.s2);
        acts.push(t.a as i64);
        rs.push(t.r);
        let centre = if cfg.centred_targets { t.r_all.iter().sum::<f32>() / 3.0 } else { 0.0 };
        r_all.extend(t.r_all.iter().map(|r| r - centre));
        nd.push(if t.done { 0.0f32 } else { 1.0 });
    }
    let x = Tensor::<B, 2>::from_data(TensorData::new(xs, [n, STRATEGIC_INPUT]), device);
    let loss = if cfg.full_information && cfg.gamma == 0.0 {
        // Every provider's reward is the target of its own Q-value.
        let y = Tensor::<B, 2>::from_data(TensorData::new(r_all, [n, 3]), device);
        huber.forward(model.forward(x), y, Reduction::Mean)
    } else {
        let x2 = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(xs2, [n, STRATEGIC_INPUT]), device);
        // Double DQN: the online network picks the next action, the target network values it.
        let a_next = model.valid().forward(x2.clone()).argmax(1); // [n, 1]
        let q_next = target.forward(x2).gather(1, a_next); // [n, 1]
        let r_t = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(rs, [n, 1]), device);
        let nd_t = Tensor::<B::InnerBackend, 2>::from_data(TensorData::new(nd, [n, 1]), device);
        let y = (r_t + nd_t * q_next.mul_scalar(cfg.gamma)).clamp(-Q_BOUND, Q_BOUND);
        let y = Tensor::<B, 2>::from_inner(y);
        let a_t = Tensor::<B, 2, Int>::from_data(TensorData::new(acts, [n, 1]), device);
        huber.forward(model.forward(x).gather(1, a_t), y, Reduction::Mean)
    };
    finite_step(model, optim, loss, cfg.grad_clip, cfg.lr)
}

// ALGO LOGIC: one round of ε-greedy environment steps, learning from the replay buffer once
// it holds `warmup` transitions.
/// Returns the model, the target network, the episode returns and the losses of the round.
#[allow(clippy::too_many_arguments)]
fn round<B: AutodiffBackend, O: Optimizer<QNet<B>, B>>(
    mut model: QNet<B>,
    mut target: QNet<B::InnerBackend>,
    optim: &mut O,
    env: &mut StrategicEnv<'_>,
    st: &mut State,
    cfg: &DqnConfig,
    huber: &HuberLoss,
    rng: &mut impl Rng,
    device: &B::Device,
    bar: &indicatif::ProgressBar,
) -> (QNet<B>, QNet<B::InnerBackend>, Vec<f64>, Vec<f64>) {
    let mut s = env.reset();
    let (mut ep_ret, mut rets, mut losses) = (0.0f64, Vec::new(), Vec::new());
    let round_end = (st.step + cfg.round).min(cfg.steps);
    while st.step < round_end {
        let eps = cfg.eps_end + (cfg.eps_start - cfg.eps_end) * (-(st.step as f64) / cfg.eps_decay_steps).exp();
        let a = if rng.random::<f64>() < eps { rng.random_range(0..3) } else { greedy(&model.valid(), &s, device) };
        let r_all = env.rewards_now().map(|r| r.clamp(-hdrl_infer::reward::CLIP, hdrl_infer::reward::CLIP));
        let (s2, r, done) = env.step(a);
        let r = r.clamp(-hdrl_infer::reward::CLIP, hdrl_infer::reward::CLIP);
        if !st.replay.push(Transition { s, a: a as u8, r, r_all, s2, done }) {
            st.nan_transitions += 1;
        }
        ep_ret += r as f64;
        s = if done {
            rets.push(ep_ret);
            ep_ret = 0.0;
            env.reset()
        } else {
            s2
        };
        st.step += 1;
        bar.inc(1);
        if st.replay.len() < cfg.warmup.max(cfg.batch) {
            continue;
        }
        let (m, lv) = learn(model, &target, optim, huber, &st.replay, cfg, rng, device);
        model = m;
        let Some(lv) = lv else {
            st.nan_skips += 1;
            continue;
        };
        target = soft_update(target, &model.valid(), cfg.tau);
        losses.push(lv);
    }
    (model, target, rets, losses)
}

/// Train. `ckpt` holds the resumable checkpoint; an existing one is resumed.
#[allow(clippy::too_many_arguments)]
pub fn train<B: AutodiffBackend>(
    cfg: &DqnConfig,
    env: &mut StrategicEnv<'_>,
    val_env: &StrategicEnv<'_>,
    seed: u64,
    device: &B::Device,
    ckpt: &Path,
    progress: &Progress,
) -> Result<Trained<B::InnerBackend>> {
    // TRY NOT TO MODIFY: seeding and setup.
    B::seed(device, seed);
    let mut model: QNet<B> = QNet::new(cfg, device);
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init::<B, QNet<B>>();
    let mut st = State {
        step: 0,
        history: Vec::new(),
        replay: Replay::new(cfg.replay),
        best_val: f64::NEG_INFINITY,
        nan_skips: 0,
        nan_transitions: 0,
        wall_s: 0.0,
    };
    if ckpt.join("state.json").exists() {
        let (m, o, s) = load_checkpoint::<B, _, _, State>(ckpt, model, optim, device)?;
        model = m;
        optim = o;
        st = s;
        progress.println(format!("dqn: resumed from {} at step {}", ckpt.display(), st.step));
    }
    let mut target = model.valid();
    if ckpt.join("target").with_extension("mpk").exists() {
        target = target.load_file(ckpt.join("target"), &burn::record::DefaultRecorder::new(), device)?;
    }
    let mut best = if ckpt.join("best.mpk").exists() {
        model.valid().load_file(ckpt.join("best"), &burn::record::DefaultRecorder::new(), device)?
    } else {
        model.valid()
    };
    let huber = HuberLossConfig::new(cfg.huber_delta).init();
    let bar = progress.bar(cfg.steps as u64, "dqn");
    bar.set_position(st.step as u64);

    // ALGO LOGIC: training loop, one round at a time.
    while st.step < cfg.steps {
        let t0 = Instant::now();
        let round_index = (st.step / cfg.round.max(1)) as u64;
        let mut rng = derived_rng(seed, round_index);
        env.reseed(rng.random());
        // The backend's generator (dropout masks) restarts from the round's stream too, so a
        // run resumed from a checkpoint draws the masks an uninterrupted run draws.
        B::seed(device, rng.random());
        let start_step = st.step;
        let (m, t, rets, losses) = round(model, target, &mut optim, env, &mut st, cfg, &huber, &mut rng, device, &bar);
        (model, target) = (m, t);
        // Validation and model selection on validation days only.
        let val = evaluate(&model.valid(), val_env, device);
        if val > st.best_val {
            st.best_val = val;
            best = model.valid();
        }
        let dt = t0.elapsed().as_secs_f64();
        st.wall_s += dt;
        let eps = cfg.eps_end + (cfg.eps_start - cfg.eps_end) * (-(st.step as f64) / cfg.eps_decay_steps).exp();
        let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
        st.history.push(DqnRecord {
            step: st.step,
            loss: mean(&losses),
            epsilon: eps,
            episodic_return: mean(&rets),
            val_reward: val,
            nan_skips: st.nan_skips,
            nan_transitions: st.nan_transitions,
            wall_s: st.wall_s,
            sps: (st.step - start_step) as f64 / dt.max(1e-9),
        });
        bar.set_message(format!("loss {:.4} ε {:.2} val {:.3}", mean(&losses), eps, val));
        save_checkpoint::<B, _, _>(ckpt, &model, &optim, &st, |dir| {
            let rec = burn::record::DefaultRecorder::new();
            target.clone().save_file(dir.join("target"), &rec)?;
            best.clone().save_file(dir.join("best"), &rec)?;
            Ok(())
        })?;
    }
    bar.finish();
    Ok(Trained { model: best, history: st.history, references: Vec::new() })
}
