//! Behaviour cloning of the tactical layer: the actor-critic's actor trained, supervised, to
//! pick what a teacher picks from the same observation (masked cross-entropy). Two uses: the
//! capacity check of the tactical inputs (can the network, from what it sees, imitate a good
//! rule at all?) and a competent starting point for PPO. The teacher is `expected_best` within
//! the provider the strategic layer chose (the training-day estimates of [`Estimates`]).
//! Config, sample generation and loop in one file.

use anyhow::Result;
use burn::module::AutodiffModule;
use burn::optim::AdamConfig;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use burn::tensor::backend::AutodiffBackend;
use hdrl_infer::Provider;
use hdrl_infer::placement::TACTICAL_ACTIONS;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::common::{derived_rng, finite_step, to_vec};
use super::ppo::{ActorCriticNet, MASKED, TACTICAL_INPUT};
use crate::output::progress::Progress;
use crate::sim::env::{TacticalEnv, start_placement};
use crate::sim::estimates::Estimates;
use crate::sim::tables::default_placement;
use crate::sim::{Placement, Scenario};

/// Behaviour-cloning settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct BcConfig {
    /// Passes over the samples (6, 12, 24 gave PPO validation rewards -0.182, -0.172, -0.171 on
    /// seed 42: docs/decision-quality.md §11).
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Global gradient-norm clip.
    pub grad_clip: f64,
    /// DAgger rounds after the first cloning: roll the cloned policy out (greedy) over the
    /// same function-days, label the states it visits with the teacher's choice there, add
    /// them to the samples and clone again (Ross et al., AISTATS 2011). 0 = plain cloning.
    /// On seed 42's validation days PPO ended at -0.1722 with 0 rounds, -0.1684 with 1 and
    /// -0.1731 with 2, rotation 0 (`expected_best`: -0.1688; docs/decision-quality.md §12);
    /// with rotation 1, -0.1672 with 1 round and -0.1692 with 2 (§14).
    pub dagger_rounds: usize,
    /// DAgger round `r` runs function-day `i` on provider `(i + r · dagger_rotation) mod 3`
    /// (0: on the teacher's provider). After cloning, validation −0.1734 with 0 and −0.1693
    /// with 1 on trace 42, −0.1721 and −0.1698 on trace 43 (docs/decision-quality.md §12).
    pub dagger_rotation: usize,
    /// One more DAgger round with every function-day on the provider the trained DQN picks
    /// for it (the hierarchy's own strategic choices; only where a DQN was trained first).
    /// Off: on seed 42's validation days the hierarchy scored 0.5872 with it and 0.5906
    /// without (`expected_best` 0.6000; docs/decision-quality.md §14).
    pub dagger_dqn: bool,
    /// The teacher judges a move over this many hours ([`Estimates::best_within_ahead`]; 1:
    /// `expected_best`'s one-hour view, which never leaves a placement whose move costs more
    /// in its first hour than the hour gains). Seed 42, validation days: cloned policy −0.1742
    /// with 1, −0.1595 with 6, −0.1580 with 12; hierarchy 0.6019, 0.6065, 0.6061
    /// (docs/decision-quality.md §15).
    pub teacher_ahead: usize,
}

impl Default for BcConfig {
    fn default() -> Self {
        Self {
            epochs: 12,
            batch: 512,
            lr: 2e-3,
            grad_clip: 1.0,
            dagger_rounds: 1,
            dagger_rotation: 1,
            dagger_dqn: false,
            teacher_ahead: crate::evaluate::baselines::placement::LOOKAHEAD_HOURS,
        }
    }
}

/// What cloning imitates: `expected_best` within the provider the samples run on, a move
/// judged over `ahead` hours ([`BcConfig::teacher_ahead`]).
#[derive(Clone, Copy)]
pub struct Teacher<'a> {
    /// The training-day estimates it plans with.
    pub est: &'a Estimates,
    /// Hours a move is judged over.
    pub ahead: usize,
}

/// One supervised example: the encoded observation, its action mask and the teacher's action.
#[derive(Clone, Debug)]
pub struct Sample {
    /// Encoded tactical observation.
    pub obs: [f32; TACTICAL_INPUT],
    /// Allowed actions.
    pub mask: [bool; TACTICAL_ACTIONS],
    /// The teacher's action.
    pub action: usize,
}

/// The teacher's trajectories over the function-days of `env`: for every function-day with
/// traffic, 24 hours of `expected_best` within one provider (AWS, Azure, GCP in turn over the
/// days), each hour's observation seen after running the teacher's previous choice; the
/// first hour after the provider's default placement, or after a placement drawn by
/// [`start_placement`] (seeded by `seed`), so the policy also learns what to do when the
/// strategic layer has just moved the function from elsewhere.
pub fn teacher_samples(sc: &Scenario, env: &TacticalEnv<'_>, teacher: Teacher<'_>, seed: u64) -> Vec<Sample> {
    let mut rng = derived_rng(seed, 0x5747);
    let mut out = Vec::with_capacity(env.len() * 24);
    for (i, &(f, d)) in env.pairs().iter().enumerate() {
        let prof = env.profile(f);
        let p = Provider::ALL[i % 3];
        let mut prev = start_placement(&prof, p, &mut rng);
        for h in d * 24..(d + 1) * 24 {
            let (sample, pl) = labelled(sc, env, teacher, (f, h, p), prev);
            out.push(sample);
            prev = pl;
        }
    }
    out
}

/// The observation of function `f` before hour `h` on provider `p` after running `prev`,
/// labelled with the teacher's choice there, and that choice.
fn labelled(
    sc: &Scenario,
    env: &TacticalEnv<'_>,
    teacher: Teacher<'_>,
    (f, h, p): (usize, usize, Provider),
    prev: Placement,
) -> (Sample, Placement) {
    let (obs, mask) = env.observe(f, h, p, prev);
    let pl = teacher.est.best_within_ahead(&sc.sim, &sc.tab, f, h, p, Some(prev), teacher.ahead).0;
    (Sample { obs, mask, action: pl.action_for(env.profile(f).home_region) }, pl)
}

/// The states `model`'s actor visits (greedy, masked) on the function-days of `env`, from the
/// same starts as [`teacher_samples`] with the same `seed`, each labelled with the teacher's
/// choice there: what DAgger adds, the mistakes the student makes and what to do after them.
/// Function-day `i` (function `f`, day `d`) runs on `provider(i, f, d)`: [`rotated`] (the
/// teacher's samples use rotation 0, so a round with another rotation also covers each day on
/// another provider) or the DQN's choice for the day.
pub fn student_samples<B: Backend>(
    model: &ActorCriticNet<B>,
    sc: &Scenario,
    env: &TacticalEnv<'_>,
    teacher: Teacher<'_>,
    (seed, provider): (u64, &dyn Fn(usize, usize, usize) -> Provider),
    device: &B::Device,
) -> Vec<Sample> {
    let mut rng = derived_rng(seed, 0x5747);
    let pairs = env.pairs();
    let provider = |i: usize| provider(i, pairs[i].0, pairs[i].1);
    let mut prev: Vec<Placement> =
        pairs.iter().enumerate().map(|(i, &(f, _))| start_placement(&env.profile(f), provider(i), &mut rng)).collect();
    let mut out = Vec::with_capacity(pairs.len() * 24);
    for hour in 0..24 {
        let step: Vec<Sample> = pairs
            .iter()
            .enumerate()
            .map(|(i, &(f, d))| labelled(sc, env, teacher, (f, d * 24 + hour, provider(i)), prev[i]).0)
            .collect();
        for (chunk_no, chunk) in step.chunks(4096).enumerate() {
            let refs: Vec<&Sample> = chunk.iter().collect();
            let (x, m) = tensors::<B>(&refs, device);
            let a = to_vec(model.logits(x) + m);
            for (j, logits) in a.chunks_exact(TACTICAL_ACTIONS).enumerate() {
                let i = chunk_no * 4096 + j;
                let home = env.profile(pairs[i].0).home_region;
                prev[i] = Placement::from_action(provider(i), hdrl_infer::math::argmax(logits), home);
            }
        }
        out.extend(step);
    }
    out
}

/// Function-day `i` on provider `(i + rotation) mod 3`, for [`student_samples`].
pub fn rotated(rotation: usize) -> impl Fn(usize, usize, usize) -> Provider {
    move |i, _, _| Provider::ALL[(i + rotation) % 3]
}

/// One record of a cloning run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BcRecord {
    /// Epoch (1-based).
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's minibatches.
    pub loss: f64,
    /// Top-action agreement with the teacher on the training samples.
    pub train_accuracy: f64,
    /// The same on held-out samples.
    pub val_accuracy: f64,
}

fn tensors<B: Backend>(batch: &[&Sample], device: &B::Device) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let n = batch.len();
    let xs: Vec<f32> = batch.iter().flat_map(|s| s.obs).collect();
    let ms: Vec<f32> = batch.iter().flat_map(|s| s.mask.map(|ok| if ok { 0.0 } else { MASKED })).collect();
    (
        Tensor::<B, 2>::from_data(TensorData::new(xs, [n, TACTICAL_INPUT]), device),
        Tensor::<B, 2>::from_data(TensorData::new(ms, [n, TACTICAL_ACTIONS]), device),
    )
}

/// Mean negative log-likelihood of the teacher's actions under `model`'s actor (masked).
pub fn cross_entropy<B: Backend>(model: &ActorCriticNet<B>, batch: &[&Sample], device: &B::Device) -> Tensor<B, 1> {
    let (x, m) = tensors::<B>(batch, device);
    let a: Vec<i64> = batch.iter().map(|s| s.action as i64).collect();
    let a = Tensor::<B, 2, Int>::from_data(TensorData::new(a, [batch.len(), 1]), device);
    -log_softmax(model.logits(x) + m, 1).gather(1, a).mean()
}

/// Fraction of samples whose greedy (masked) action is the teacher's.
pub fn accuracy<B: Backend>(model: &ActorCriticNet<B>, samples: &[Sample], device: &B::Device) -> f64 {
    let mut same = 0usize;
    for chunk in samples.chunks(4096) {
        let refs: Vec<&Sample> = chunk.iter().collect();
        let (x, m) = tensors::<B>(&refs, device);
        let a = to_vec(model.logits(x) + m);
        for (i, s) in chunk.iter().enumerate() {
            same +=
                (hdrl_infer::math::argmax(&a[i * TACTICAL_ACTIONS..(i + 1) * TACTICAL_ACTIONS]) == s.action) as usize;
        }
    }
    same as f64 / samples.len().max(1) as f64
}

/// Clone the teacher into `model`'s actor (the critic is left as it is).
///
/// # Errors
/// None today; the signature leaves room for checkpointing.
pub fn train<B: AutodiffBackend>(
    mut model: ActorCriticNet<B>,
    train: &[Sample],
    val: &[Sample],
    cfg: &BcConfig,
    seed: u64,
    device: &B::Device,
    progress: &Progress,
) -> Result<(ActorCriticNet<B>, Vec<BcRecord>)> {
    let mut optim = AdamConfig::new().with_epsilon(1e-8).init::<B, ActorCriticNet<B>>();
    let mut idx: Vec<usize> = (0..train.len()).collect();
    let mut history = Vec::new();
    let bar = progress.bar(cfg.epochs as u64, "clone");
    for epoch in 0..cfg.epochs {
        let mut rng = derived_rng(seed ^ 0xBC, epoch as u64);
        idx.shuffle(&mut rng);
        let (mut loss_sum, mut batches) = (0.0, 0usize);
        for mb in idx.chunks(cfg.batch.max(1)) {
            let batch: Vec<&Sample> = mb.iter().map(|&k| &train[k]).collect();
            let loss = cross_entropy(&model, &batch, device);
            let (m, lv) = finite_step(model, &mut optim, loss, cfg.grad_clip, cfg.lr);
            model = m;
            if let Some(lv) = lv {
                loss_sum += lv;
                batches += 1;
            }
        }
        let inner = model.valid();
        let rec = BcRecord {
            epoch: epoch + 1,
            loss: loss_sum / batches.max(1) as f64,
            train_accuracy: accuracy(&inner, train, device),
            val_accuracy: accuracy(&inner, val, device),
        };
        bar.set_message(format!("loss {:.3} acc {:.3}/{:.3}", rec.loss, rec.train_accuracy, rec.val_accuracy));
        bar.inc(1);
        history.push(rec);
    }
    bar.finish();
    Ok((model, history))
}

/// The teacher's mean hourly reward on the same validation function-days and provider
/// contexts as [`super::ppo::evaluate`] (so the two are comparable).
pub fn teacher_reward(sc: &Scenario, env: &TacticalEnv<'_>, teacher: Teacher<'_>, max_pairs: usize) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (f, d, p) in env.validation_pairs(max_pairs) {
        let mut prev: Placement = default_placement(&env.profile(f), p);
        for h in d * 24..(d + 1) * 24 {
            let pl = teacher.est.best_within_ahead(&sc.sim, &sc.tab, f, h, p, Some(prev), teacher.ahead).0;
            sum += env.reward(f, h, p, pl.action_for(env.profile(f).home_region), Some(prev)) as f64;
            prev = pl;
            n += 1;
        }
    }
    sum / n.max(1) as f64
}
