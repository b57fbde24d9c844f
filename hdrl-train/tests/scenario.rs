//! The scenario a run scores with: reward bounds derived from the training days and carried by
//! every bundle, and the careful engineer's baseline on the days it was estimated from.

use hdrl_infer::{F32, Hierarchy, I8, ModelKind, RewardBounds};
use hdrl_train::algos::export::{self, Exported, ProvenanceInfo};
use hdrl_train::data::synth::generate;
use hdrl_train::evaluate::baselines::placement::{expected_best, fastest};
use hdrl_train::evaluate::objectives::worth;
use hdrl_train::evaluate::simulate::{EvalCtx, KeepAlivePolicy};
use hdrl_train::sim::estimates::Estimates;
use hdrl_train::sim::{Scenario, ScenarioConfig};

#[test]
fn derived_bounds_are_stored_in_every_bundle_and_read_back() {
    let sc = Scenario::new(generate(11, 0.02)).unwrap();
    let b = sc.sim.bounds;
    assert!(b.is_valid());
    assert_ne!(b, RewardBounds::DEFAULT, "derived from the trace, not the generic defaults");
    // Each component of the median test function-hour moves with the placement.
    let w = worth(&sc, sc.test_hours());
    assert!(w.function_hours > 100 && w.cost > 0.0 && w.perf > 0.0 && w.carbon > 0.0, "{w:?}");

    let dev = Default::default();
    let q = hdrl_train::algos::dqn::QNet::<burn::backend::NdArray>::new(&Default::default(), &dev);
    let p = hdrl_train::algos::ppo::ActorCriticNet::<burn::backend::NdArray>::new(&dev);
    let l = hdrl_train::algos::lstm::ForecastNet::<burn::backend::NdArray>::new(&Default::default(), &dev);
    let mut ex =
        Exported::all(export::dqn(&q).unwrap(), export::ppo(&p).unwrap(), export::forecaster(&l).unwrap(), sc.enc);
    ex.set_reward_bounds(b);
    let info = ProvenanceInfo { trace: sc.trace.source.clone(), ..Default::default() };
    let f32b = export::bundle_bytes(&ex.f32, &ModelKind::ALL, &info).unwrap();
    let i8b = export::bundle_bytes(&ex.int8, &ModelKind::ALL, &info).unwrap();
    assert_eq!(Hierarchy::<F32>::load(&f32b).unwrap().reward_bounds, b);
    assert_eq!(Hierarchy::<I8>::load(&i8b).unwrap().reward_bounds, b);

    // A scenario built with a bundle's bounds scores with exactly those.
    let cfg = ScenarioConfig { bounds: Some(b), ..Default::default() };
    let other = Scenario::with(generate(12, 0.02), &cfg).unwrap();
    assert_eq!(other.sim.bounds, b);
}

#[test]
fn expected_best_scores_at_least_as_well_as_fastest_on_its_train_days() {
    let sc = Scenario::new(generate(5, 0.02)).unwrap();
    let train = sc.train_hours();
    let est = Estimates::new(&sc.sim, &sc.tab, &sc.hourly, train);
    let ctx = EvalCtx { sim: &sc.sim, tab: &sc.tab, hourly: &sc.hourly, hours: train, train_hours: train };
    let score = |s| ctx.simulate(&s, None, &KeepAlivePolicy::Provider).metrics().mean_reward;
    let best = score(expected_best(&sc.sim, &sc.tab, &est, train));
    let fast = score(fastest(&sc.tab, &est, train));
    println!("train days: expected_best {best:.4}, fastest {fast:.4}");
    assert!(best >= fast, "expected_best {best} < fastest {fast}");
}
