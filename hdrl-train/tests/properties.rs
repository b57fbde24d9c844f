//! Property tests (proptest, burn's NdArray backend): the losses the learners minimise and
//! the simulator's rewards hold the bounds theory gives them for any input.
//!
//! - asymmetric MSE ≥ 0, zero iff prediction = target, exactly 5× for an under-prediction
//!   against the same over-prediction;
//! - PPO's clipped surrogate `L = min(ρA, clip(ρ, 1−ε, 1+ε)A)`: L ≤ ρA and L ≤ clip(ρ)A;
//!   L ≤ (1+ε)A for A ≥ 0 and L ≤ (1−ε)A for A < 0; L = ρA inside the trust region; zero
//!   gradient with respect to ρ where the clip is active (A > 0, ρ > 1+ε; A < 0, ρ < 1−ε);
//! - GAE with λ = 1 equals discounted returns (cut at episode ends, bootstrapped from the last
//!   value) minus values; with λ = 0 it is the one-step TD error;
//! - Huber (δ = 1, as the DQN uses it) ≤ MSE/2 elementwise, equal where |r| ≤ δ;
//! - burn's softmax sums to 1 and log-softmax is finite for logits up to ±1e4;
//! - `Sim::invocation` + `Sim::reward`: every component in [0, 1], the total finite in
//!   [−10, 10], for any profile (zero memory need, zero or huge durations, NaN/∞ fields).

use std::sync::OnceLock;

use burn::backend::{Autodiff, NdArray};
use burn::nn::loss::HuberLossConfig;
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Tensor, TensorData};
use hdrl_infer::Provider;
use hdrl_infer::reward::CLIP;
use hdrl_train::algos::lstm::asymmetric_mse;
use hdrl_train::algos::ppo::{clipped_surrogate, gae};
use hdrl_train::data::workload::Profile;
use hdrl_train::sim::{Placement, Sim, Totals};
use proptest::prelude::*;

type B = NdArray;
type AD = Autodiff<NdArray>;

fn dev() -> burn::backend::ndarray::NdArrayDevice {
    Default::default()
}

fn t1(v: &[f32]) -> Tensor<B, 1> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), &dev())
}

fn t2(v: &[f32], cols: usize) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len() / cols, cols]), &dev())
}

fn vals<const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

fn scalar(t: Tensor<B, 1>) -> f32 {
    vals(t)[0]
}

/// Rows of (rate, memory, CPU) predictions and targets of the same shape.
fn pred_target() -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (1usize..=16).prop_flat_map(|rows| {
        let v = prop::collection::vec(-10.0f32..10.0, rows * 3);
        (v.clone(), v)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// ≥ 0, and zero exactly when every prediction equals its target.
    #[test]
    fn asymmetric_mse_is_non_negative_and_zero_iff_exact((p, y) in pred_target(), copy in prop::collection::vec(any::<bool>(), 48)) {
        // Make some predictions exact, so both sides of "iff" are exercised.
        let p: Vec<f32> = p.iter().zip(&y).zip(&copy).map(|((&p, &y), &c)| if c { y } else { p }).collect();
        let l = scalar(asymmetric_mse(t2(&p, 3), t2(&y, 3), 5.0));
        prop_assert!(l.is_finite() && l >= 0.0, "loss {l}");
        prop_assert_eq!(l == 0.0, p == y, "loss {} for p {:?} y {:?}", l, p, y);
        prop_assert_eq!(scalar(asymmetric_mse(t2(&y, 3), t2(&y, 3), 5.0)), 0.0);
    }

    /// Under-predicting by d costs exactly 5× over-predicting by d (one element; d and the
    /// target are multiples of 1/64 so that y ∓ d is exact), and within 1e-5 relative for
    /// whole batches with arbitrary values.
    #[test]
    fn asymmetric_mse_weighs_under_prediction_five_times(
        y in (-64_000i32..64_000).prop_map(|i| i as f32 / 64.0),
        d in (1i32..64_000).prop_map(|i| i as f32 / 64.0),
        ys in prop::collection::vec(-100.0f32..100.0, 3..=48),
        ds in prop::collection::vec(1e-3f32..100.0, 48),
    ) {
        let under = scalar(asymmetric_mse(t2(&[y - d], 1), t2(&[y], 1), 5.0));
        let over = scalar(asymmetric_mse(t2(&[y + d], 1), t2(&[y], 1), 5.0));
        prop_assert!(over > 0.0);
        prop_assert_eq!(under, 5.0 * over, "y {} d {}", y, d);

        let n = ys.len() / 3 * 3;
        let (ys, ds) = (&ys[..n], &ds[..n]);
        let below: Vec<f32> = ys.iter().zip(ds).map(|(y, d)| y - d).collect();
        let above: Vec<f32> = ys.iter().zip(ds).map(|(y, d)| y + d).collect();
        // The same |error| both ways, measured as the loss computes it.
        let e_under: Vec<f32> = ys.iter().zip(&below).map(|(y, p)| y - p).collect();
        let e_over: Vec<f32> = ys.iter().zip(&above).map(|(y, p)| p - y).collect();
        let mse = |e: &[f32]| e.iter().map(|&e| e as f64 * e as f64).sum::<f64>() / e.len() as f64;
        let under = scalar(asymmetric_mse(t2(&below, 3), t2(ys, 3), 5.0)) as f64;
        let over = scalar(asymmetric_mse(t2(&above, 3), t2(ys, 3), 5.0)) as f64;
        prop_assert!((under - 5.0 * mse(&e_under)).abs() <= 1e-5 * under, "under {under}");
        prop_assert!((over - mse(&e_over)).abs() <= 1e-5 * over, "over {over}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The clipped surrogate's bounds (see the module docs), elementwise.
    #[test]
    fn clipped_surrogate_is_bounded_as_theory_says(
        rho in prop::collection::vec(prop_oneof![0.0f32..3.0, 0.7f32..1.3, Just(1.0f32)], 1..=64),
        adv in prop::collection::vec(prop_oneof![-10.0f32..10.0, Just(0.0f32)], 64),
        eps in prop_oneof![Just(0.2f32), 0.01f32..0.5],
    ) {
        let adv = &adv[..rho.len()];
        let l = vals(clipped_surrogate(t1(&rho), t1(adv), eps));
        for ((&l, &r), &a) in l.iter().zip(&rho).zip(adv) {
            let c = r.clamp(1.0 - eps, 1.0 + eps);
            prop_assert!(l <= r * a && l <= c * a, "L {l} ρ {r} A {a} ε {eps}");
            if a >= 0.0 {
                prop_assert!(l <= (1.0 + eps) * a, "A ≥ 0: L {l} > (1+ε)A, ρ {r} A {a} ε {eps}");
            } else {
                prop_assert!(l <= (1.0 - eps) * a, "A < 0: L {l} > (1−ε)A, ρ {r} A {a} ε {eps}");
            }
            if (1.0 - eps..=1.0 + eps).contains(&r) {
                prop_assert_eq!(l, r * a, "inside the trust region L = ρA");
            }
        }
    }

    /// Where the clip is active the objective gives ρ no gradient (the point of clipping);
    /// strictly inside the trust region the gradient is A.
    #[test]
    fn clipped_surrogate_gradient_vanishes_where_clipped(
        rho in prop::collection::vec(0.0f32..3.0, 1..=32),
        adv in prop::collection::vec(prop_oneof![-10.0f32..-0.01, 0.01f32..10.0], 32),
    ) {
        let eps = 0.2f32;
        let adv = &adv[..rho.len()];
        let d = dev();
        let r = Tensor::<AD, 1>::from_data(TensorData::new(rho.clone(), [rho.len()]), &d).require_grad();
        let a = Tensor::<AD, 1>::from_data(TensorData::new(adv.to_vec(), [adv.len()]), &d);
        let grads = clipped_surrogate(r.clone(), a, eps).sum().backward();
        let g = r.grad(&grads).map(|g| g.into_data().to_vec::<f32>().unwrap()).unwrap_or_default();
        prop_assert_eq!(g.len(), rho.len());
        for ((&g, &r), &a) in g.iter().zip(&rho).zip(adv) {
            let margin = 1e-4;
            if (a > 0.0 && r > 1.0 + eps + margin) || (a < 0.0 && r < 1.0 - eps - margin) {
                prop_assert_eq!(g, 0.0, "clipped: ρ {} A {}", r, a);
            } else if r > 1.0 - eps + margin && r < 1.0 + eps - margin {
                prop_assert!((g - a).abs() <= 1e-6 * a.abs(), "inside: grad {g} ρ {r} A {a}");
            }
        }
    }
}

/// A rollout of `t` steps of `n` environments, time-major, with episode ends.
#[derive(Debug, Clone)]
struct Rollout {
    n: usize,
    rew: Vec<f32>,
    val: Vec<f32>,
    done: Vec<bool>,
    last_v: Vec<f32>,
    gamma: f32,
}

fn rollout() -> impl Strategy<Value = Rollout> {
    (1usize..=4, 1usize..=40, prop_oneof![Just(0.99f32), 0.0f32..=1.0]).prop_flat_map(|(n, t, gamma)| {
        (
            prop::collection::vec(-10.0f32..10.0, n * t),
            prop::collection::vec(-20.0f32..20.0, n * t),
            prop::collection::vec(prop::bool::weighted(0.1), n * t),
            prop::collection::vec(-20.0f32..20.0, n),
        )
            .prop_map(move |(rew, val, done, last_v)| Rollout { n, rew, val, done, last_v, gamma })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// λ = 1: A_t = G_t − V_t with G_t = r_t + γ (1 − done_t) G_{t+1} and G_T = V(s_T),
    /// computed here in f64 independently; λ = 0: A_t = r_t + γ (1 − done_t) V_{t+1} − V_t.
    #[test]
    fn gae_with_lambda_one_is_discounted_return_minus_value(ro in rollout()) {
        let Rollout { n, rew, val, done, last_v, gamma } = &ro;
        let (n, g) = (*n, *gamma as f64);
        let t = rew.len() / n;
        let adv = gae(rew, val, done, last_v, n, *gamma, 1.0);
        let td = gae(rew, val, done, last_v, n, *gamma, 0.0);
        prop_assert_eq!(adv.len(), rew.len());
        for (i, &bootstrap) in last_v.iter().enumerate() {
            let mut ret = bootstrap as f64;
            let mut next_v = bootstrap as f64;
            for s in (0..t).rev() {
                let k = s * n + i;
                let nonterm = if done[k] { 0.0 } else { 1.0 };
                ret = rew[k] as f64 + g * nonterm * ret;
                let want = ret - val[k] as f64;
                prop_assert!((adv[k] as f64 - want).abs() <= 1e-4 * (1.0 + want.abs()), "λ=1 step {s} env {i}: {} vs {want}", adv[k]);
                let want_td = rew[k] as f64 + g * nonterm * next_v - val[k] as f64;
                prop_assert!((td[k] as f64 - want_td).abs() <= 1e-5 * (1.0 + want_td.abs()), "λ=0 step {s} env {i}: {} vs {want_td}", td[k]);
                next_v = val[k] as f64;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Huber with δ = 1 (the DQN's loss, burn's `HuberLoss`) ≤ r²/2 for every residual, and
    /// equal to it where |r| ≤ δ.
    #[test]
    fn huber_is_at_most_half_mse_and_equal_inside_delta(
        p in prop::collection::vec(prop_oneof![-1e3f32..1e3, -2.0f32..2.0], 1..=64),
        y in prop::collection::vec(prop_oneof![-1e3f32..1e3, -2.0f32..2.0], 64),
    ) {
        let y = &y[..p.len()];
        let huber = HuberLossConfig::new(1.0).init();
        let h = vals(huber.forward_no_reduction(t1(&p), t1(y)));
        for ((&h, &p), &y) in h.iter().zip(&p).zip(y) {
            let r = y - p;
            let half_mse = 0.5 * r * r;
            prop_assert!(h >= 0.0 && h <= half_mse * (1.0 + 1e-6), "r {r}: huber {h} > r²/2 {half_mse}");
            if r.abs() <= 1.0 {
                prop_assert!((h - half_mse).abs() <= 1e-6 * half_mse, "r {r}: huber {h} ≠ r²/2 {half_mse}");
            }
        }
    }

    /// burn's softmax over rows of logits in [−1e4, 1e4] sums to 1; log-softmax is finite
    /// and ≤ 0 (the PPO policy's log-probabilities).
    #[test]
    fn burn_softmax_sums_to_one_and_log_softmax_is_finite(
        rows in 1usize..=8,
        logits in prop::collection::vec(prop_oneof![3 => -1e4f32..=1e4, 1 => Just(1e4f32), 1 => Just(-1e4f32)], 8 * 24),
    ) {
        let x = t2(&logits[..rows * 24], 24);
        let p = vals(softmax(x.clone(), 1));
        for row in p.chunks(24) {
            let s: f32 = row.iter().sum();
            prop_assert!((s - 1.0).abs() <= 1e-5, "sum {s}");
        }
        let l = vals(log_softmax(x, 1));
        prop_assert!(l.iter().all(|v| v.is_finite() && *v <= 1e-3), "{l:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// The simulator's rewards.

fn sim() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| Sim::new().unwrap())
}

fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        2 => proptest::num::f32::ANY,
        1 => prop::sample::select(vec![0.0f32, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, 1e-45]),
        2 => 0.0f32..1e4,
    ]
}

fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        2 => proptest::num::f64::ANY,
        1 => prop::sample::select(vec![0.0f64, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, f64::MAX, 1e300, 5e-324]),
        2 => 0.0f64..1e3,
    ]
}

fn profile() -> impl Strategy<Value = Profile> {
    (any_f32(), any_f32(), any::<u8>(), any_f32(), any_f32(), any_f32()).prop_map(
        |(memory_need_mb, cpu_frac, home_region, sla_ms, mean_duration_s, p95_duration_s)| Profile {
            app: 0,
            memory_need_mb,
            cpu_frac,
            home_region,
            sla_ms,
            mean_duration_s,
            p95_duration_s,
            train_invocations: 1,
        },
    )
}

/// A realistic profile: finite, non-negative, CPU fraction in [0, 1].
fn sane_profile() -> impl Strategy<Value = Profile> {
    (prop_oneof![Just(0.0f32), 0.0f32..4096.0], 0.0f32..=1.0, 0u8..4, 0.0f32..1e5).prop_map(
        |(memory_need_mb, cpu_frac, home_region, sla_ms)| Profile {
            app: 0,
            memory_need_mb,
            cpu_frac,
            home_region,
            sla_ms,
            mean_duration_s: 1.0,
            p95_duration_s: 2.0,
            train_invocations: 1,
        },
    )
}

fn placement() -> impl Strategy<Value = Placement> {
    (0usize..3, 0usize..4, 0usize..6).prop_map(|(p, r, t)| Placement::new(Provider::ALL[p], r, t))
}

fn check_reward(t: &Totals) -> Result<(), TestCaseError> {
    let r = sim().reward(t);
    for c in [r.cost, r.perf, r.carbon, r.sla] {
        prop_assert!((0.0..=1.0).contains(&c), "component out of [0, 1]: {r:?} for {t:?}");
    }
    prop_assert!(r.total.is_finite() && (-CLIP..=CLIP).contains(&r.total), "total {r:?} for {t:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Any profile, duration and cold-start latency (NaN, ±∞, 0, huge): the reward of one
    /// invocation, and of a few accumulated ones, is bounded and finite.
    #[test]
    fn sim_reward_is_bounded_for_any_profile(
        prof in profile(), pl in placement(),
        calls in prop::collection::vec((any_f64(), any_f64()), 1..=4),
    ) {
        let s = sim();
        let mut tot = Totals::default();
        check_reward(&tot)?;
        for (d_ref, cold_ms) in calls {
            let o = s.invocation(&prof, pl, d_ref, cold_ms, d_ref);
            let mut one = Totals::default();
            one.add(&o);
            check_reward(&one)?;
            tot.add(&o);
        }
        check_reward(&tot)?;
    }

    /// A realistic profile with any finite non-negative duration and cold start gives a
    /// finite, non-negative outcome: cost at least the per-request price, latency at least
    /// the network round trip; zero memory need never runs out of memory.
    #[test]
    fn sim_outcome_is_finite_for_realistic_profiles(
        prof in sane_profile(), pl in placement(),
        d_ref in prop_oneof![Just(0.0f64), 0.0f64..1e4, 0.0f64..1e12],
        cold_ms in prop_oneof![Just(0.0f64), 0.0f64..1e5],
    ) {
        let s = sim();
        let o = s.invocation(&prof, pl, d_ref, cold_ms, d_ref);
        prop_assert!(o.cost_usd.is_finite() && o.cost_usd >= s.data.provider(pl.provider).prices.usd_per_request, "{o:?}");
        prop_assert!(o.latency_ms.is_finite() && o.latency_ms >= s.rtt_ms(&prof, pl), "{o:?}");
        prop_assert!(o.carbon_g.is_finite() && o.carbon_g >= 0.0, "{o:?}");
        if prof.memory_need_mb == 0.0 {
            prop_assert!(!s.oom(&prof, pl));
        }
        let mut t = Totals::default();
        t.add(&o);
        check_reward(&t)?;
    }

    /// Any bounds the derivation can produce (finite and positive, from a tiny cost to a huge
    /// latency) keep every reward finite and in range, whatever the totals.
    #[test]
    fn reward_is_bounded_for_any_derived_bounds(
        cost in 1e-12f32..1e3, latency in 1e-3f32..1e9, carbon in 1e-12f32..1e3,
        n in 1u64..1_000_000, x in any_f64(), y in any_f64(), z in any_f64(), v in 0u64..1_000_000,
    ) {
        let mut s = sim().clone();
        s.bounds = hdrl_infer::RewardBounds { max_cost_usd: cost, max_latency_ms: latency, max_carbon_g: carbon };
        prop_assert!(s.bounds.is_valid());
        let t = Totals { n, cost_usd: x, latency_ms: y, carbon_g: z, violations: v.min(n), ..Default::default() };
        let r = s.reward(&t);
        for c in [r.cost, r.perf, r.carbon, r.sla] {
            prop_assert!((0.0..=1.0).contains(&c), "{r:?}");
        }
        prop_assert!(r.total.is_finite() && (-CLIP..=CLIP).contains(&r.total), "{r:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// The derivation on any small synthetic trace gives usable bounds: finite, positive,
    /// ordered like the samples they come from.
    #[test]
    fn derived_bounds_are_valid_on_any_small_trace(seed in 0u64..10_000) {
        let sc = hdrl_train::sim::Scenario::new(hdrl_train::data::synth::generate(seed, 0.003)).unwrap();
        prop_assert!(sc.sim.bounds.is_valid(), "{:?}", sc.sim.bounds);
    }
}
