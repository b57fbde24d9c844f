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
    ex.set_context(&sc.sim);
    let info = ProvenanceInfo { trace: sc.trace.source.clone(), ..Default::default() };
    let f32b = export::bundle_bytes(&ex.f32, &ModelKind::ALL, &info).unwrap();
    let i8b = export::bundle_bytes(&ex.int8, &ModelKind::ALL, &info).unwrap();
    assert_eq!(Hierarchy::<F32>::load(&f32b).unwrap().reward_bounds, b);
    assert_eq!(Hierarchy::<I8>::load(&i8b).unwrap().reward_bounds, b);
    // The bundle prices requests exactly as the simulator bills them, and knows carbon.
    let h8 = Hierarchy::<I8>::load(&i8b).unwrap();
    assert_eq!(h8.prices, Some(sc.sim.data.price_table()));
    assert_eq!(h8.carbon_profile, Some(sc.sim.carbon.profile()));
    let pl = hdrl_train::sim::Placement { provider: hdrl_infer::Provider::Azure, region: 1, tier: 5 };
    assert_eq!(h8.prices.unwrap().cost_usd(pl.provider, 5, 0.0421), sc.sim.cost_usd(pl, 0.0421));

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

/// The DQN's regression targets (`Estimates::expected_day_rewards`) are the planner's view of
/// the same plan whose realised rewards `planned_day_rewards` holds: zero on the days without
/// traffic, close to the realised values, and the provider they rank first earns more,
/// realised, than a provider picked at random.
#[test]
fn expected_day_rewards_track_the_realised_plan() {
    let sc = Scenario::new(generate(5, 0.02)).unwrap();
    let est = Estimates::new(&sc.sim, &sc.tab, &sc.hourly, sc.train_hours());
    let (expected, realised) = (est.expected_day_rewards(&sc.sim, &sc.tab), est.planned_day_rewards(&sc.sim, &sc.tab));
    let (mut pairs, mut chosen, mut random, mut days) = (Vec::new(), 0.0f64, 0.0f64, 0usize);
    for f in 0..sc.tab.profiles.len() {
        for d in sc.split.train.0..sc.split.train.1 {
            let (e, r) = (expected[f][d], realised[f][d]);
            let idle = (d * 24..(d + 1) * 24).all(|h| h >= sc.tab.hours || sc.tab.hour[f][h].n == 0);
            if idle {
                assert_eq!((e, r), ([0.0; 3], [0.0; 3]), "function {f} day {d}");
                continue;
            }
            assert!(e.iter().all(|v| v.is_finite()), "{e:?}");
            pairs.extend(e.iter().zip(&r).map(|(&a, &b)| (a as f64, b as f64)));
            chosen += r[hdrl_infer::math::argmax(&e)] as f64;
            random += r.iter().map(|&v| v as f64).sum::<f64>() / 3.0;
            days += 1;
        }
    }
    let n = pairs.len() as f64;
    let (ma, mb) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let cov = pairs.iter().map(|p| (p.0 - ma) * (p.1 - mb)).sum::<f64>();
    let (va, vb) =
        (pairs.iter().map(|p| (p.0 - ma).powi(2)).sum::<f64>(), pairs.iter().map(|p| (p.1 - mb).powi(2)).sum::<f64>());
    let corr = cov / (va * vb).sqrt();
    let (chosen, random) = (chosen / days as f64, random / days as f64);
    println!(
        "{days} train function-days: correlation {corr:.4}; realised reward of the expected best {chosen:.4}, random {random:.4}"
    );
    assert!(days > 100, "{days}");
    assert!(corr > 0.8, "expected vs realised day rewards: correlation {corr}");
    assert!(chosen > random + 0.1, "expected best provider {chosen} vs random {random}");
}

/// The teacher that judges a move over several hours (`Estimates::best_within_ahead`): one hour
/// is `best_within`; over six hours it leaves a placement the one-hour view keeps because the
/// move's cold starts cost more than one hour gains, and what it picks is worth at least as
/// much over those six hours as the one-hour choice, by the same estimates.
#[test]
fn a_move_judged_over_several_hours_is_made_when_it_pays_back() {
    use hdrl_infer::Provider;
    use hdrl_infer::placement::{TACTICAL_ACTIONS, allowed_actions};
    use hdrl_train::sim::Placement;
    let sc = Scenario::new(generate(5, 0.02)).unwrap();
    let train = sc.train_hours();
    let est = Estimates::new(&sc.sim, &sc.tab, &sc.hourly, train);
    let (sim, tab) = (&sc.sim, &sc.tab);
    let held = |f: usize, h: usize, pl: Placement, prev: Placement| -> f64 {
        (h..h + 6).map(|k| est.reward(sim, tab, f, k, pl, k == h && pl != prev)).sum()
    };
    let (mut cases, mut left) = (0usize, 0usize);
    for f in 0..tab.profiles.len() {
        let prof = &tab.profiles[f];
        let ok = allowed_actions(prof.memory_need_mb);
        for p in Provider::ALL {
            for h in (train.0..train.1 - 6).step_by(7) {
                for a in (0..TACTICAL_ACTIONS).filter(|&a| ok[a]) {
                    let prev = Placement::from_action(p, a, prof.home_region);
                    let one = est.best_within(sim, tab, f, h, p, Some(prev));
                    assert_eq!(one, est.best_within_ahead(sim, tab, f, h, p, Some(prev), 1));
                    let six = est.best_within_ahead(sim, tab, f, h, p, Some(prev), 6).0;
                    let (v1, v6) = (held(f, h, one.0, prev), held(f, h, six, prev));
                    assert!(v6 >= v1 - 1e-9, "function {f} hour {h}: six hours {v6} < one hour's choice {v1}");
                    cases += 1;
                    left += usize::from(one.0 == prev && six != prev);
                }
            }
        }
    }
    println!("{cases} states; the six-hour teacher leaves {left} placements the one-hour one keeps");
    assert!(left > 0, "no state where a move pays back over six hours but not in one");
}
