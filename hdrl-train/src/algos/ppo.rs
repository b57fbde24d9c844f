//! Tactical layer: PPO (clipped surrogate, GAE) over the vectorised tactical environment
//! (one function-day per episode, 24 hourly steps, action = region × memory tier).
//! Config, network, rollout buffer and loop in one file.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use burn::module::AutodiffModule;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::placement::TACTICAL_ACTIONS;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::bc::{BcConfig, BcRecord, Sample};
use super::common::{clip_global_norm, derived_rng, load_checkpoint, materialize, save_checkpoint, to_vec};
use crate::output::progress::Progress;
use crate::sim::Placement;
use crate::sim::env::TacticalEnv;
use crate::sim::tables::default_placement;

/// Logit added to masked actions (finite, so log-softmax and entropy stay finite).
pub const MASKED: f32 = -1e9;

/// Width of the actor-critic's input: hdrl-infer's encoded tactical observation.
pub use hdrl_infer::features::TACTICAL_INPUT;

/// PPO hyper-parameters (defaults from the research; all overridable from a config file).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct PpoConfig {
    /// Transitions per rollout (all environments together).
    pub rollout: usize,
    /// Parallel environments.
    pub n_envs: usize,
    /// Optimisation epochs per rollout.
    pub epochs: usize,
    /// Minibatch size.
    pub minibatch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Discount factor.
    pub gamma: f32,
    /// GAE λ.
    pub lambda: f32,
    /// Surrogate clip range.
    pub clip: f32,
    /// Value-loss coefficient.
    pub vf_coef: f32,
    /// Entropy coefficient.
    pub ent_coef: f32,
    /// Global gradient-norm clip.
    pub grad_clip: f64,
    /// Rollout/optimisation rounds.
    pub updates: usize,
    /// Function-days used for validation after each update (0 = all).
    pub val_pairs: usize,
    /// Behaviour cloning of `expected_best` before the first update (`epochs: 0` disables it).
    pub bc: BcConfig,
    /// Updates at the start that train only the critic (the policy is left as cloned, so its
    /// first policy-gradient steps see advantages from a critic that knows it).
    pub critic_warmup: usize,
    /// Weight of the teacher's cross-entropy added to every policy minibatch, on as many of the
    /// cloning samples (teacher and DAgger states), drawn at random: an anchor that keeps the
    /// policy-gradient steps from walking away from the teacher where their advantages are
    /// noise (Rajeswaran et al., RSS 2018, "DAPG", the same idea with a decaying weight).
    /// 0: plain PPO. Seed 42, six-hour teacher: with 0 the validation reward fell from the
    /// cloned −0.1595 to −0.1689 over 30 updates; with 0.1 it ends at −0.1578, with 1 at
    /// −0.1574 (best −0.1569; docs/decision-quality.md §15).
    pub bc_coef: f64,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            rollout: 2048,
            n_envs: 32,
            epochs: 10,
            minibatch: 64,
            lr: 3e-5,
            gamma: 0.5,
            lambda: 0.8,
            clip: 0.1,
            vf_coef: 0.5,
            ent_coef: 0.0,
            grad_clip: 0.5,
            updates: 30,
            val_pairs: 300,
            bc: BcConfig::default(),
            critic_warmup: 5,
            bc_coef: 1.0,
        }
    }
}

// ALGO LOGIC: network.

/// The actor-critic: the architecture of `hdrl_infer::ActorCritic` (DESIGN.md), in burn.
#[derive(Module, Debug)]
pub struct ActorCriticNet<B: Backend> {
    /// Trunk, first layer.
    pub t1: Linear<B>,
    /// Its normalisation.
    pub t1_norm: LayerNorm<B>,
    /// Trunk, second layer.
    pub t2: Linear<B>,
    /// Its normalisation.
    pub t2_norm: LayerNorm<B>,
    /// Actor layers.
    pub a1: Linear<B>,
    /// Actor layers.
    pub a2: Linear<B>,
    /// Actor output.
    pub a3: Linear<B>,
    /// Critic layers.
    pub c1: Linear<B>,
    /// Critic output.
    pub c2: Linear<B>,
}

impl<B: Backend> ActorCriticNet<B> {
    /// Build with fresh weights (drawn now, from the backend seed).
    pub fn new(device: &B::Device) -> Self {
        let m = Self {
            t1: LinearConfig::new(TACTICAL_INPUT, 128).init(device),
            t1_norm: LayerNormConfig::new(128).init(device),
            t2: LinearConfig::new(128, 128).init(device),
            t2_norm: LayerNormConfig::new(128).init(device),
            a1: LinearConfig::new(128, 128).init(device),
            a2: LinearConfig::new(128, 64).init(device),
            a3: LinearConfig::new(64, TACTICAL_ACTIONS).init(device),
            c1: LinearConfig::new(128, 64).init(device),
            c2: LinearConfig::new(64, 1).init(device),
        };
        materialize(&m);
        m
    }

    /// # Shapes
    /// `x`: `[batch, TACTICAL_INPUT]` → (logits `[batch, 24]`, value `[batch, 1]`).
    pub fn forward(&self, x: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let t = self.trunk(x);
        let logits = self.actor_head(t.clone());
        // The critic reads the trunk without training it: value-loss gradients stop here, so
        // fitting values never moves the policy's features (a cloned policy stays cloned
        // until the policy gradient moves it).
        let v = self.c2.forward(relu(self.c1.forward(t.detach())));
        (logits, v)
    }

    /// The actor's logits alone (`[batch, 24]`): what cloning trains. Leaving the critic out
    /// also leaves no unused autodiff nodes behind, which burn-autodiff 0.21 would scan at
    /// every later backward pass (a second cloning round slowed down about fourfold).
    pub fn logits(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.actor_head(self.trunk(x))
    }

    fn trunk(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let t = relu(self.t1_norm.forward(self.t1.forward(x)));
        relu(self.t2_norm.forward(self.t2.forward(t))) // [b, 128]
    }

    fn actor_head(&self, t: Tensor<B, 2>) -> Tensor<B, 2> {
        let a = relu(self.a1.forward(t));
        let a = relu(self.a2.forward(a));
        self.a3.forward(a)
    }
}

/// One history record (JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PpoRecord {
    /// Update index (1-based; 0 is the network before the first update, after any warm start).
    pub update: usize,
    /// Environment steps so far.
    pub steps: usize,
    /// Mean reward per step in the rollout.
    pub rollout_reward: f64,
    /// Mean policy (surrogate) loss.
    pub policy_loss: f64,
    /// Mean value loss.
    pub value_loss: f64,
    /// Mean policy entropy (nats).
    pub entropy: f64,
    /// Mean approximate KL divergence to the rollout policy.
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped.
    pub clip_frac: f64,
    /// Mean cross-entropy of the teacher's actions on the anchor samples (0 without
    /// [`PpoConfig::bc_coef`]).
    #[serde(default)]
    pub bc_loss: f64,
    /// Greedy mean hourly reward on validation days.
    pub val_reward: f64,
    /// Minibatches skipped for non-finite loss or gradients (cumulative).
    pub nan_skips: usize,
    /// Wall time so far, s.
    pub wall_s: f64,
    /// Environment steps per second of the rollout (collection only).
    pub env_sps: f64,
    /// Total steps per second of the update (collection + optimisation).
    pub sps: f64,
}

#[derive(Serialize, Deserialize)]
struct State {
    update: usize,
    history: Vec<PpoRecord>,
    best_val: f64,
    nan_skips: usize,
    wall_s: f64,
}

/// Result of training.
pub struct Trained<B: Backend> {
    /// The model with the best validation reward.
    pub model: ActorCriticNet<B>,
    /// The history.
    pub history: Vec<PpoRecord>,
    /// The behaviour-cloning epochs before update 1 (empty when resumed or disabled).
    pub cloning: Vec<BcRecord>,
    /// Validation scores of rules on the same function-days as `val_reward`, by name (the
    /// teacher, expected_best within the provider, and random).
    pub references: Vec<(String, f64)>,
}

fn mask_add(masks: &[[bool; TACTICAL_ACTIONS]]) -> Vec<f32> {
    masks.iter().flat_map(|m| m.map(|ok| if ok { 0.0 } else { MASKED })).collect()
}

/// Greedy mean hourly reward over validation function-days (provider context rotates over
/// the three providers, deterministic).
pub fn evaluate<B: Backend>(
    model: &ActorCriticNet<B>,
    env: &TacticalEnv<'_>,
    max_pairs: usize,
    device: &B::Device,
) -> f64 {
    let chosen = env.validation_pairs(max_pairs);
    if chosen.is_empty() {
        return 0.0;
    }
    let mut prev: Vec<Placement> = chosen.iter().map(|&(f, _, p)| default_placement(&env.profile(f), p)).collect();
    let mut sum = 0.0;
    for hour in 0..24 {
        let (obs, masks): (Vec<[f32; TACTICAL_INPUT]>, Vec<[bool; TACTICAL_ACTIONS]>) =
            chosen.iter().zip(&prev).map(|(&(f, d, p), pl)| env.observe(f, d * 24 + hour, p, *pl)).unzip();
        let n = obs.len();
        let x = Tensor::<B, 2>::from_data(TensorData::new(obs.concat(), [n, TACTICAL_INPUT]), device);
        let m = Tensor::<B, 2>::from_data(TensorData::new(mask_add(&masks), [n, TACTICAL_ACTIONS]), device);
        let (logits, _) = model.forward(x);
        let a = to_vec(logits + m);
        for (i, &(f, d, p)) in chosen.iter().enumerate() {
            let act = hdrl_infer::math::argmax(&a[i * TACTICAL_ACTIONS..(i + 1) * TACTICAL_ACTIONS]);
            sum += env.reward(f, d * 24 + hour, p, act, Some(prev[i])) as f64;
            prev[i] = Placement::from_action(p, act, env.profile(f).home_region);
        }
    }
    sum / (chosen.len() * 24) as f64
}

/// Generalised advantage estimates of a rollout stored time-major (`[t * n_envs + i]`):
/// `δ_t = r_t + γ (1 − done_t) V_{t+1} − V_t`, `A_t = δ_t + γ λ (1 − done_t) A_{t+1}`, with
/// `last_v` the values after the last step.
pub fn gae(
    rew: &[f32],
    val: &[f32],
    done: &[bool],
    last_v: &[f32],
    n_envs: usize,
    gamma: f32,
    lambda: f32,
) -> Vec<f32> {
    let t_steps = rew.len() / n_envs.max(1);
    let mut adv = vec![0.0f32; rew.len()];
    let mut next_adv = vec![0.0f32; n_envs];
    for t in (0..t_steps).rev() {
        for i in 0..n_envs {
            let k = t * n_envs + i;
            let next_v = if t + 1 < t_steps { val[k + n_envs] } else { last_v[i] };
            let nonterm = if done[k] { 0.0 } else { 1.0 };
            let delta = rew[k] + gamma * next_v * nonterm - val[k];
            next_adv[i] = delta + gamma * lambda * nonterm * next_adv[i];
            adv[k] = next_adv[i];
        }
    }
    adv
}

/// PPO's clipped surrogate objective per sample: `min(ρ A, clip(ρ, 1 − ε, 1 + ε) A)`.
pub fn clipped_surrogate<B: Backend, const D: usize>(
    ratio: Tensor<B, D>,
    adv: Tensor<B, D>,
    clip: f32,
) -> Tensor<B, D> {
    let s1 = ratio.clone() * adv.clone();
    let s2 = ratio.clamp(1.0 - clip, 1.0 + clip) * adv;
    Tensor::min_pair(s1, s2)
}

/// The expected hourly reward of a uniformly random policy (over the actions that fit) on
/// the same validation function-days and provider contexts as [`evaluate`]. A random policy
/// moves nearly every hour, so its rewards count the move (an empty pool).
pub fn evaluate_random(env: &TacticalEnv<'_>, max_pairs: usize) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (f, d, p) in env.validation_pairs(max_pairs) {
        let mask = crate::sim::env::action_mask(&env.profile(f));
        let allowed: Vec<usize> = (0..TACTICAL_ACTIONS).filter(|&a| mask[a]).collect();
        for hour in 0..24 {
            let r: f64 = allowed.iter().map(|&a| env.reward(f, d * 24 + hour, p, a, None) as f64).sum();
            sum += r / allowed.len() as f64;
            n += 1;
        }
    }
    if n == 0 { 0.0 } else { sum / n as f64 }
}

/// One rollout of every parallel environment, stored time-major (`[t * n_envs + i]`).
struct Rollout {
    obs: Vec<f32>,
    mask: Vec<f32>,
    act: Vec<i64>,
    logp: Vec<f32>,
    val: Vec<f32>,
    rew: Vec<f32>,
    done: Vec<bool>,
    /// Critic values after the last step.
    last_v: Vec<f32>,
}

/// Sample an action from log-probabilities with a uniform draw `u` (inverse CDF); the last
/// allowed action when rounding leaves `u` past the end.
fn sample_action(row: &[f32], mut u: f32) -> usize {
    let mut a = row.iter().rposition(|&l| l > MASKED / 2.0).unwrap_or(0);
    for (k, &l) in row.iter().enumerate() {
        let p = l.exp();
        if u < p {
            a = k;
            break;
        }
        u -= p;
    }
    a
}

// ALGO LOGIC: rollout.
fn rollout<B: Backend>(
    inner: &ActorCriticNet<B>,
    env: &mut TacticalEnv<'_>,
    n_envs: usize,
    t_steps: usize,
    rng: &mut impl Rng,
    device: &B::Device,
) -> Rollout {
    let (mut obs, mut masks) = env.observe_all();
    let cap = t_steps * n_envs;
    let mut r = Rollout {
        obs: Vec::with_capacity(cap * TACTICAL_INPUT),
        mask: Vec::with_capacity(cap * TACTICAL_ACTIONS),
        act: Vec::with_capacity(cap),
        logp: Vec::with_capacity(cap),
        val: Vec::with_capacity(cap),
        rew: Vec::with_capacity(cap),
        done: Vec::with_capacity(cap),
        last_v: Vec::new(),
    };
    for _ in 0..t_steps {
        let x = Tensor::<B, 2>::from_data(TensorData::new(obs.concat(), [n_envs, TACTICAL_INPUT]), device);
        let madd = mask_add(&masks);
        let m = Tensor::<B, 2>::from_data(TensorData::new(madd.clone(), [n_envs, TACTICAL_ACTIONS]), device);
        let (logits, v) = inner.forward(x);
        let lp = to_vec(log_softmax(logits + m, 1));
        let v = to_vec(v);
        let mut actions = Vec::with_capacity(n_envs);
        for i in 0..n_envs {
            let row = &lp[i * TACTICAL_ACTIONS..(i + 1) * TACTICAL_ACTIONS];
            let a = sample_action(row, rng.random());
            actions.push(a);
            r.logp.push(row[a]);
        }
        let step = env.step_all(&actions);
        r.obs.extend(obs.iter().flatten());
        r.mask.extend(madd);
        r.act.extend(actions.iter().map(|&a| a as i64));
        r.val.extend(v);
        r.rew.extend(step.reward.iter().map(|r| r.clamp(-hdrl_infer::reward::CLIP, hdrl_infer::reward::CLIP)));
        r.done.extend(step.done.iter().copied());
        obs = step.obs;
        masks = step.mask;
    }
    let x = Tensor::<B, 2>::from_data(TensorData::new(obs.concat(), [n_envs, TACTICAL_INPUT]), device);
    r.last_v = to_vec(inner.forward(x).1);
    r
}

/// Sums over the minibatches of one update.
#[derive(Default)]
struct Losses {
    policy: f64,
    value: f64,
    entropy: f64,
    kl: f64,
    clip_frac: f64,
    bc: f64,
    batches: usize,
}

// ALGO LOGIC: optimisation, several epochs of minibatches over one rollout.
#[allow(clippy::too_many_arguments)]
fn optimise<B: AutodiffBackend>(
    mut model: ActorCriticNet<B>,
    optim: &mut impl Optimizer<ActorCriticNet<B>, B>,
    r: &Rollout,
    adv: &[f32],
    ret: &[f32],
    cfg: &PpoConfig,
    (policy, anchor): (bool, &[Sample]),
    rng: &mut impl Rng,
    nan_skips: &mut usize,
    device: &B::Device,
) -> (ActorCriticNet<B>, Losses) {
    let mut idx: Vec<usize> = (0..r.act.len()).collect();
    let mut l = Losses::default();
    for _ in 0..cfg.epochs {
        idx.shuffle(rng);
        for mb in idx.chunks(cfg.minibatch.max(2)) {
            let n = mb.len();
            let xs: Vec<f32> =
                mb.iter().flat_map(|&k| r.obs[k * TACTICAL_INPUT..(k + 1) * TACTICAL_INPUT].iter().copied()).collect();
            let ms: Vec<f32> = mb
                .iter()
                .flat_map(|&k| r.mask[k * TACTICAL_ACTIONS..(k + 1) * TACTICAL_ACTIONS].iter().copied())
                .collect();
            let a: Vec<i64> = mb.iter().map(|&k| r.act[k]).collect();
            let old: Vec<f32> = mb.iter().map(|&k| r.logp[k]).collect();
            let mut ad: Vec<f32> = mb.iter().map(|&k| adv[k]).collect();
            let mean = ad.iter().sum::<f32>() / n as f32;
            let std = (ad.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n as f32).sqrt();
            for v in ad.iter_mut() {
                *v = (*v - mean) / (std + 1e-8);
            }
            let rt: Vec<f32> = mb.iter().map(|&k| ret[k]).collect();
            let x = Tensor::<B, 2>::from_data(TensorData::new(xs, [n, TACTICAL_INPUT]), device);
            let m = Tensor::<B, 2>::from_data(TensorData::new(ms, [n, TACTICAL_ACTIONS]), device);
            let a = Tensor::<B, 2, Int>::from_data(TensorData::new(a, [n, 1]), device);
            let old = Tensor::<B, 2>::from_data(TensorData::new(old, [n, 1]), device);
            let ad = Tensor::<B, 2>::from_data(TensorData::new(ad, [n, 1]), device);
            let rt = Tensor::<B, 2>::from_data(TensorData::new(rt, [n, 1]), device);
            let (logits, v) = model.forward(x);
            let logp_all = log_softmax(logits + m, 1); // stable: no log of a probability
            let logp = logp_all.clone().gather(1, a);
            // Ratio guard: the log-ratio is clamped before exponentiation.
            let log_ratio = (logp - old).clamp(-20.0, 20.0);
            let ratio = log_ratio.clone().exp();
            let pg_loss = -clipped_surrogate(ratio.clone(), ad, cfg.clip).mean();
            let v_loss = (v - rt).square().mean().mul_scalar(0.5);
            let entropy = -(logp_all.clone().exp() * logp_all).sum_dim(1).mean();
            // A critic-only update weighs the policy terms by zero rather than leaving them out:
            // every tracked tensor must reach `backward`, or burn's autodiff graph keeps it alive
            // and each later step gets slower.
            let w = if policy { 1.0 } else { 0.0 };
            let mut loss = pg_loss.clone().mul_scalar(w) + v_loss.clone().mul_scalar(cfg.vf_coef)
                - entropy.clone().mul_scalar(cfg.ent_coef * w);
            let mut bc = 0.0;
            if policy && cfg.bc_coef > 0.0 && !anchor.is_empty() {
                let batch: Vec<&Sample> = (0..n).map(|_| &anchor[rng.random_range(0..anchor.len())]).collect();
                let ce = super::bc::cross_entropy(&model, &batch, device);
                bc = ce.clone().into_scalar().elem::<f64>();
                loss = loss + ce.mul_scalar(cfg.bc_coef);
            }
            let lv = loss.clone().into_scalar().elem::<f64>();
            if !lv.is_finite() {
                *nan_skips += 1;
                continue;
            }
            let kl = ((ratio.clone() - 1.0) - log_ratio).mean().into_scalar().elem::<f64>();
            let cf = (ratio - 1.0).abs().greater_elem(cfg.clip).float().mean().into_scalar().elem::<f64>();
            let mut grads = GradientsParams::from_grads(loss.backward(), &model);
            if clip_global_norm::<B, _>(&model, &mut grads, cfg.grad_clip).is_none() {
                *nan_skips += 1;
                continue;
            }
            model = optim.step(cfg.lr, model, grads);
            l.policy += pg_loss.into_scalar().elem::<f64>();
            l.value += v_loss.into_scalar().elem::<f64>();
            l.entropy += entropy.into_scalar().elem::<f64>();
            l.kl += kl;
            l.clip_frac += cf;
            l.bc += bc;
            l.batches += 1;
        }
    }
    (model, l)
}

/// Train. `ckpt` holds the resumable checkpoint; an existing one is resumed. A fresh run
/// first passes the new network through `warm_start` (behaviour cloning, or nothing) and
/// records its validation reward as update 0. `warm_start` also returns the samples the
/// policy is anchored to ([`PpoConfig::bc_coef`]); a resumed run with an anchor calls it
/// again for them (seeded: the same samples) and keeps the checkpoint's network.
#[allow(clippy::too_many_arguments)]
pub fn train<B: AutodiffBackend>(
    cfg: &PpoConfig,
    env: &mut TacticalEnv<'_>,
    val_env: &TacticalEnv<'_>,
    seed: u64,
    device: &B::Device,
    ckpt: &Path,
    progress: &Progress,
    warm_start: impl FnOnce(ActorCriticNet<B>) -> Result<(ActorCriticNet<B>, Vec<Sample>)>,
) -> Result<Trained<B::InnerBackend>> {
    // TRY NOT TO MODIFY: seeding and setup.
    B::seed(device, seed);
    let mut model: ActorCriticNet<B> = ActorCriticNet::new(device);
    let mut optim = AdamConfig::new().with_epsilon(1e-5).init::<B, ActorCriticNet<B>>();
    let mut st = State { update: 0, history: Vec::new(), best_val: f64::NEG_INFINITY, nan_skips: 0, wall_s: 0.0 };
    let anchor;
    if ckpt.join("state.json").exists() {
        anchor = if cfg.bc_coef > 0.0 { warm_start(model.clone())?.1 } else { Vec::new() };
        let (m, o, s) = load_checkpoint::<B, _, _, State>(ckpt, model, optim, device)?;
        model = m;
        optim = o;
        st = s;
        progress.println(format!("ppo: resumed from {} at update {}", ckpt.display(), st.update));
    } else {
        let (m, samples) = warm_start(model)?;
        model = m;
        anchor = if cfg.bc_coef > 0.0 { samples } else { Vec::new() };
        let val = evaluate(&model.valid(), val_env, cfg.val_pairs, device);
        st.best_val = val;
        st.history.push(PpoRecord { val_reward: val, ..PpoRecord::default() });
    }
    let mut best = if ckpt.join("best.mpk").exists() {
        model.valid().load_file(ckpt.join("best"), &burn::record::DefaultRecorder::new(), device)?
    } else {
        model.valid()
    };
    let n_envs = cfg.n_envs.max(1);
    let t_steps = (cfg.rollout / n_envs).max(1);
    let cap = t_steps * n_envs;
    let bar = progress.bar(cfg.updates as u64, "ppo");
    bar.set_position(st.update as u64);

    while st.update < cfg.updates {
        let t0 = Instant::now();
        let mut rng = derived_rng(seed, st.update as u64);
        env.reseed(rng.random());
        let r = rollout(&model.valid(), env, n_envs, t_steps, &mut rng, device);
        let env_time = t0.elapsed().as_secs_f64();
        // ALGO LOGIC: generalised advantage estimation.
        let adv = gae(&r.rew, &r.val, &r.done, &r.last_v, n_envs, cfg.gamma, cfg.lambda);
        let ret: Vec<f32> = adv.iter().zip(&r.val).map(|(a, v)| a + v).collect();
        let policy = st.update >= cfg.critic_warmup;
        let (m, l) =
            optimise(model, &mut optim, &r, &adv, &ret, cfg, (policy, &anchor), &mut rng, &mut st.nan_skips, device);
        model = m;
        st.update += 1;
        let val = evaluate(&model.valid(), val_env, cfg.val_pairs, device);
        if val > st.best_val {
            st.best_val = val;
            best = model.valid();
        }
        let dt = t0.elapsed().as_secs_f64();
        st.wall_s += dt;
        let nbf = l.batches.max(1) as f64;
        st.history.push(PpoRecord {
            update: st.update,
            steps: st.update * cap,
            rollout_reward: r.rew.iter().map(|&r| r as f64).sum::<f64>() / cap as f64,
            policy_loss: l.policy / nbf,
            value_loss: l.value / nbf,
            entropy: l.entropy / nbf,
            approx_kl: l.kl / nbf,
            clip_frac: l.clip_frac / nbf,
            bc_loss: l.bc / nbf,
            val_reward: val,
            nan_skips: st.nan_skips,
            wall_s: st.wall_s,
            env_sps: cap as f64 / env_time.max(1e-9),
            sps: cap as f64 / dt.max(1e-9),
        });
        bar.inc(1);
        bar.set_message(format!("entropy {:.2} val {:.3}", l.entropy / nbf, val));
        save_checkpoint::<B, _, _>(ckpt, &model, &optim, &st, |dir| {
            best.clone().save_file(dir.join("best"), &burn::record::DefaultRecorder::new())?;
            Ok(())
        })?;
    }
    bar.finish();
    Ok(Trained { model: best, history: st.history, cloning: Vec::new(), references: Vec::new() })
}
