//! Train each learner on a scenario: build its environments or window sources from the
//! scenario's tables and call the learner's loop (checkpoints under `dir/<learner>`).

use std::path::Path;

use anyhow::Result;
use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;

use crate::algos::bc;
use crate::algos::dqn::{self, DqnConfig};
use crate::algos::lstm::{self, ForecastConfig};
use crate::algos::ppo::{self, PpoConfig};
use crate::data::windows::{MinuteWindows, TraceWindows};
use crate::data::workload::DAY_S;
use crate::output::progress::Progress;
use crate::sim::Scenario;
use crate::sim::env::{StrategicEnv, TacticalEnv};
use hdrl_infer::Provider;

/// Train the strategic DQN; checkpoints under `dir/dqn`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_dqn<B: AutodiffBackend>(
    d: &Scenario,
    cfg: &DqnConfig,
    seed: u64,
    device: &B::Device,
    dir: &Path,
    p: &Progress,
) -> Result<dqn::Trained<B::InnerBackend>> {
    // Days are scored as the hierarchy plays them: the tactical layer re-plans region and tier
    // hourly within the chosen provider (here as well as the training-day estimates can).
    let est = d.estimates();
    let planned = est.planned_day_rewards(&d.sim, &d.tab);
    let expected = est.expected_day_rewards(&d.sim, &d.tab);
    let targets = if cfg.expected_targets { expected.clone() } else { planned.clone() };
    let mut env = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.train, seed ^ 1).with_day_rewards(targets);
    let val = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.val, seed ^ 2).with_day_rewards(planned.clone());
    let mut t = dqn::train::<B>(cfg, &mut env, &val, seed, device, &dir.join("dqn"), p)?;
    // The train-best rule is scored on realised training days, whatever the DQN regressed.
    let train_realised = StrategicEnv::new(&d.sim, &d.tab, d.enc, d.split.train, 0).with_day_rewards(planned);
    t.references = vec![
        ("rule: train-best provider".into(), dqn::evaluate_train_best(&train_realised, &val)),
        ("planner's daily provider (expected_best)".into(), dqn::evaluate_expected_choice(&val, &expected)),
        ("hindsight best provider".into(), dqn::evaluate_rule(&val, |r| r.iter().copied().fold(f64::MIN, f64::max))),
        ("random".into(), dqn::evaluate_random(&val)),
    ];
    Ok(t)
}

/// Train the tactical PPO; checkpoints under `dir/ppo`. A fresh run starts from the actor
/// cloned from `expected_best` on the train days, then on the states the cloned actor itself
/// visits for `cfg.bc.dagger_rounds` DAgger rounds (`cfg.bc`; held-out accuracy on the
/// validation days' teacher samples), and with `cfg.bc.dagger_dqn` one more round on
/// `dqn_providers` (`[f][day]`, the trained DQN's choices), which PPO then fine-tunes.
///
/// # Errors
/// Checkpoint I/O.
#[allow(clippy::too_many_arguments)]
pub fn train_ppo<B: AutodiffBackend>(
    d: &Scenario,
    cfg: &PpoConfig,
    dqn_providers: Option<&[Vec<Provider>]>,
    seed: u64,
    device: &B::Device,
    dir: &Path,
    p: &Progress,
) -> Result<ppo::Trained<B::InnerBackend>> {
    let mut env = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.train, cfg.n_envs, seed ^ 3);
    let val = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.val, 1, seed ^ 4);
    let est = d.estimates();
    let mut cloning = Vec::new();
    let warm = |model| {
        if cfg.bc.epochs == 0 {
            return Ok((model, Vec::new()));
        }
        let train_env = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.train, 1, 0);
        let teacher = bc::Teacher { est, ahead: cfg.bc.teacher_ahead };
        let mut train = bc::teacher_samples(d, &train_env, teacher, seed);
        let held_out = bc::teacher_samples(d, &val, teacher, seed ^ 1);
        p.println(format!(
            "ppo: cloning expected_best (moves judged over {} h) from {} train samples ({} held out)",
            cfg.bc.teacher_ahead,
            train.len(),
            held_out.len()
        ));
        let (mut model, mut history) = bc::train(model, &train, &held_out, &cfg.bc, seed, device, p)?;
        let on_dqn = dqn_providers.filter(|_| cfg.bc.dagger_dqn);
        let rounds = cfg.bc.dagger_rounds + usize::from(on_dqn.is_some());
        for round in 1..=rounds {
            let rotated = bc::rotated(round * cfg.bc.dagger_rotation);
            let chosen = |_: usize, f: usize, day: usize| on_dqn.map_or(Provider::Aws, |c| c[f][day]);
            let (provider, on): (&dyn Fn(usize, usize, usize) -> Provider, &str) = if round > cfg.bc.dagger_rounds {
                (&chosen, "the DQN's providers")
            } else {
                (&rotated, "rotated providers")
            };
            let visited = bc::student_samples(&model.valid(), d, &train_env, teacher, (seed, provider), device);
            p.println(format!("ppo: DAgger round {round}: +{} states the cloned policy visits ({on})", visited.len()));
            train.extend(visited);
            let (m, more) = bc::train(model, &train, &held_out, &cfg.bc, seed ^ round as u64, device, p)?;
            model = m;
            history.extend(more);
        }
        for (k, rec) in history.iter_mut().enumerate() {
            rec.epoch = k + 1;
        }
        cloning = history;
        Ok((model, train))
    };
    let mut t = ppo::train::<B>(cfg, &mut env, &val, seed, device, &dir.join("ppo"), p, warm)?;
    t.cloning = cloning;
    t.references = vec![
        ("rule: expected_best".into(), bc::teacher_reward(d, &val, bc::Teacher { est, ahead: 1 }, cfg.val_pairs)),
        (
            format!("rule: expected_best_{}h (the teacher)", cfg.bc.teacher_ahead),
            bc::teacher_reward(d, &val, bc::Teacher { est, ahead: cfg.bc.teacher_ahead }, cfg.val_pairs),
        ),
        ("random".into(), ppo::evaluate_random(&val, cfg.val_pairs)),
    ];
    Ok(t)
}

/// Train the LSTM on the run's trace (15-s steps); checkpoints under `dir/lstm`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_lstm<B: AutodiffBackend>(
    d: &Scenario,
    cfg: &ForecastConfig,
    seed: u64,
    device: &B::Device,
    dir: &Path,
    p: &Progress,
) -> Result<lstm::Trained<B::InnerBackend>> {
    let tr = (d.split.train.0 as f64 * DAY_S, d.split.train.1 as f64 * DAY_S);
    let va = (d.split.val.0 as f64 * DAY_S, d.split.val.1 as f64 * DAY_S);
    let src = TraceWindows::new(d.enc, &d.hourly.by_func, &d.tab.profiles, crate::evaluate::simulate::STEP_S, tr, va);
    lstm::train::<B, _>(cfg, &src, seed, device, &dir.join("lstm"), p, "lstm")
}

/// Train the LSTM on per-minute series (first 80 % of each series); checkpoints under `dir/<name>`.
///
/// # Errors
/// Checkpoint I/O.
pub fn train_lstm_minutes<B: AutodiffBackend>(
    src: &MinuteWindows,
    cfg: &ForecastConfig,
    seed: u64,
    device: &B::Device,
    dir: &Path,
    p: &Progress,
    name: &str,
) -> Result<lstm::Trained<B::InnerBackend>> {
    lstm::train::<B, _>(cfg, src, seed, device, &dir.join(name), p, name)
}
