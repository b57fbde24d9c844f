//! Property tests (proptest): the reward is bounded and monotone for any f32 input; softmax
//! and log-softmax hold at extreme logits; the encoders map every raw observation into [0, 1]
//! and turn NaN/±∞ into an error; the three models give finite outputs for every encoded
//! input, in f32 and int8, with int8 within a stated bound of f32.
//!
//! Case counts are kept small enough that the file runs in a few seconds in `--release`.

use std::sync::OnceLock;

use hdrl_infer::features::{ELSEWHERE, TACTICAL_INPUT};
use hdrl_infer::fixtures::{F32Models, I8Models, f32_models, quantize, seeded_bundle};
use hdrl_infer::math::{exp, log_softmax, sigmoid, softmax, tanh};
use hdrl_infer::placement::TACTICAL_ACTIONS;
use hdrl_infer::reward::{CLIP, component};
use hdrl_infer::{
    AppContext, CarbonObs, EncoderConfig, F32, Hierarchy, I8, InferError, Kernels, MEMORY_TIERS_MB, Observation,
    OperationalStep, Precision, Provider, Quant, RewardBounds, Scale, StrategicObs, TacticalContext, TacticalObs,
    Window,
};
use proptest::num::f32 as f;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Strategies

/// Any f32 at all, with the awkward values (NaN, ±∞, ±0, extremes) drawn often.
fn any_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        3 => f::ANY,
        1 => prop::sample::select(vec![
            f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, f32::MAX, f32::MIN,
            f32::MIN_POSITIVE, 1e-45, 1e30, -1e30,
        ]),
        2 => -1e4f32..1e4,
    ]
}

/// Any finite f32.
fn finite() -> impl Strategy<Value = f32> {
    prop_oneof![
        2 => f::POSITIVE | f::NEGATIVE | f::NORMAL | f::SUBNORMAL | f::ZERO,
        1 => -1e4f32..1e4,
        1 => Just(0.0f32),
    ]
}

/// Any finite f32 ≥ 0 (including values far beyond every saturation point).
fn finite_nonneg() -> impl Strategy<Value = f32> {
    prop_oneof![
        2 => f::POSITIVE | f::NORMAL | f::SUBNORMAL | f::ZERO,
        2 => 0.0f32..2e5,
        1 => Just(0.0f32),
    ]
}

/// NaN or ±∞.
fn non_finite() -> impl Strategy<Value = f32> {
    prop::sample::select(vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -f32::NAN])
}

/// An encoded model input value: the encoders' range, corners drawn often.
fn unit() -> impl Strategy<Value = f32> {
    prop_oneof![3 => 0.0f32..=1.0, 1 => Just(0.0f32), 1 => Just(1.0f32)]
}

fn strategic_obs() -> impl Strategy<Value = StrategicObs> {
    (prop::array::uniform7(finite_nonneg()), finite(), finite()).prop_map(|(a, cost_trend, volume_trend)| {
        StrategicObs {
            cost_usd_per_m: a[0],
            cost_trend,
            latency_p50_ms: a[1],
            latency_p95_ms: a[2],
            latency_p99_ms: a[3],
            daily_invocations: a[4],
            daily_invocations_cv: a[5],
            peak_to_mean: a[6],
            volume_trend,
        }
    })
}

fn app_context() -> impl Strategy<Value = AppContext> {
    (finite_nonneg(), finite_nonneg(), any::<u8>(), finite_nonneg(), finite()).prop_map(
        |(mean_duration_ms, memory_need_mb, home_region, sla_ms, cpu_share)| AppContext {
            mean_duration_ms,
            memory_need_mb,
            home_region,
            sla_ms,
            cpu_share,
        },
    )
}

fn tactical_obs() -> impl Strategy<Value = TacticalObs> {
    (prop::array::uniform5(finite_nonneg()), finite(), finite(), any::<u8>(), any::<u8>()).prop_map(
        |(a, cpu, cold, region_rank, memory_tier)| TacticalObs {
            latency_ms: a[0],
            cost_usd_per_m: a[1],
            request_rate: a[2],
            memory_used_mb: a[3],
            cpu_util: cpu,
            queue_depth: a[4],
            cold_start_prob: cold,
            region_rank,
            memory_tier,
        },
    )
}

fn step() -> impl Strategy<Value = OperationalStep> {
    (prop::array::uniform3(finite_nonneg()), finite(), finite()).prop_map(|(a, cpu, hour)| OperationalStep {
        request_rate: a[0],
        memory_used_mb: a[1],
        cpu_util: cpu,
        queue_depth: a[2],
        hour_of_day: hour,
    })
}

fn carbon() -> impl Strategy<Value = CarbonObs> {
    (prop::array::uniform12(finite()), prop::array::uniform12(finite())).prop_map(|(n, d)| CarbonObs {
        now: core::array::from_fn(|p| core::array::from_fn(|s| n[p * 4 + s])),
        past_day: core::array::from_fn(|p| core::array::from_fn(|s| d[p * 4 + s])),
    })
}

fn observation() -> impl Strategy<Value = Observation> {
    (strategic_obs(), app_context(), tactical_obs(), step(), carbon())
        .prop_map(|(strategic, app, tactical, step, carbon)| Observation { strategic, app, tactical, carbon, step })
}

fn provider() -> impl Strategy<Value = Provider> {
    prop::sample::select(Provider::ALL.to_vec())
}

/// A usable scale with arbitrary (finite, valid) constants.
fn valid_scale() -> impl Strategy<Value = Scale> {
    let pos = f::POSITIVE | f::NORMAL | f::SUBNORMAL;
    prop_oneof![
        pos.prop_map(Scale::log1p),
        pos.prop_map(Scale::cyclic),
        (finite(), finite()).prop_filter_map("hi > lo", |(a, b)| {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            (hi > lo).then(|| Scale::linear(lo, hi))
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Observation field access by the index errors use (the field order of `hdrl_observation`:
// 0–8 strategic, 9–13 app, 14–22 tactical, 23–27 step, 28–39 carbon now, 40–51 carbon past
// day; 11, 21 and 22 are u8 and cannot be non-finite).

/// The indices of the float fields.
fn float_index() -> impl Strategy<Value = u16> {
    (0u16..=51).prop_filter("u8 field", |i| ![11, 21, 22].contains(i))
}

fn field_mut(o: &mut Observation, index: u16) -> Option<&mut f32> {
    let s = &mut o.strategic;
    let a = &mut o.app;
    let t = &mut o.tactical;
    let p = &mut o.step;
    let c = &mut o.carbon;
    Some(match index {
        0 => &mut s.cost_usd_per_m,
        1 => &mut s.cost_trend,
        2 => &mut s.latency_p50_ms,
        3 => &mut s.latency_p95_ms,
        4 => &mut s.latency_p99_ms,
        5 => &mut s.daily_invocations,
        6 => &mut s.daily_invocations_cv,
        7 => &mut s.peak_to_mean,
        8 => &mut s.volume_trend,
        9 => &mut a.mean_duration_ms,
        10 => &mut a.memory_need_mb,
        12 => &mut a.sla_ms,
        13 => &mut a.cpu_share,
        14 => &mut t.latency_ms,
        15 => &mut t.cost_usd_per_m,
        16 => &mut t.request_rate,
        17 => &mut t.memory_used_mb,
        18 => &mut t.cpu_util,
        19 => &mut t.queue_depth,
        20 => &mut t.cold_start_prob,
        23 => &mut p.request_rate,
        24 => &mut p.memory_used_mb,
        25 => &mut p.cpu_util,
        26 => &mut p.queue_depth,
        27 => &mut p.hour_of_day,
        28..=39 => &mut c.now[(index as usize - 28) / 4][(index as usize - 28) % 4],
        40..=51 => &mut c.past_day[(index as usize - 40) / 4][(index as usize - 40) % 4],
        _ => return None,
    })
}

/// The indices of fields encoded on a log1p scale (non-negative by definition), and the
/// tactical latency (a ratio to the SLA).
const LOG1P_FIELDS: [u16; 18] = [0, 2, 3, 4, 5, 6, 7, 9, 10, 12, 14, 15, 16, 17, 19, 23, 24, 26];

// ---------------------------------------------------------------------------------------------
// Rewards

fn assert_bounded(r: &hdrl_infer::Reward) -> Result<(), TestCaseError> {
    for c in [r.cost, r.perf, r.carbon, r.sla] {
        prop_assert!((0.0..=1.0).contains(&c), "component out of [0, 1]: {r:?}");
    }
    prop_assert!(r.total.is_finite() && (-CLIP..=CLIP).contains(&r.total), "total: {r:?}");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every component in [0, 1] and the total finite in [−10, 10], for any f32 inputs and
    /// any bounds (including NaN, ±∞, zero and negative maxima).
    #[test]
    fn reward_is_bounded_for_any_input(
        cost in any_f32(), lat in any_f32(), carbon in any_f32(), sla in any_f32(),
        max_cost in any_f32(), max_lat in any_f32(), max_carbon in any_f32(),
    ) {
        assert_bounded(&RewardBounds::DEFAULT.reward(cost, lat, carbon, sla))?;
        let b = RewardBounds { max_cost_usd: max_cost, max_latency_ms: max_lat, max_carbon_g: max_carbon };
        assert_bounded(&b.reward(cost, lat, carbon, sla))?;
    }

    /// `component` never rises with its input, whatever the maximum.
    #[test]
    fn component_is_non_increasing(x in any_f32(), y in any_f32(), max in any_f32()) {
        prop_assume!(!x.is_nan() && !y.is_nan());
        let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
        let (c_lo, c_hi) = (component(lo, max), component(hi, max));
        prop_assert!(c_hi <= c_lo, "component({hi}, {max}) = {c_hi} > component({lo}, {max}) = {c_lo}");
    }

    /// More cost never raises R_cost or the total; the same for latency and carbon; more SLA
    /// violation never raises the total.
    #[test]
    fn reward_is_monotone_in_each_input(
        a in any_f32(), b in any_f32(),
        cost in any_f32(), lat in any_f32(), carbon in any_f32(), sla in any_f32(),
    ) {
        prop_assume!(!a.is_nan() && !b.is_nan());
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let r = RewardBounds::DEFAULT;
        let (x, y) = (r.reward(lo, lat, carbon, sla), r.reward(hi, lat, carbon, sla));
        prop_assert!(y.cost <= x.cost && y.total <= x.total, "cost {lo} → {x:?}, {hi} → {y:?}");
        let (x, y) = (r.reward(cost, lo, carbon, sla), r.reward(cost, hi, carbon, sla));
        prop_assert!(y.perf <= x.perf && y.total <= x.total, "latency {lo} → {x:?}, {hi} → {y:?}");
        let (x, y) = (r.reward(cost, lat, lo, sla), r.reward(cost, lat, hi, sla));
        prop_assert!(y.carbon <= x.carbon && y.total <= x.total, "carbon {lo} → {x:?}, {hi} → {y:?}");
        let (x, y) = (r.reward(cost, lat, carbon, lo), r.reward(cost, lat, carbon, hi));
        prop_assert!(y.sla >= x.sla && y.total <= x.total, "sla {lo} → {x:?}, {hi} → {y:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Activations

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Softmax of 1–32 logits in [−1e4, 1e4] sums to 1 (within 1e-5) with every entry in
    /// [0, 1]; log-softmax of the same logits is finite, ≤ 0, and its largest entry is within
    /// ln(n) of 0.
    #[test]
    fn softmax_sums_to_one_and_log_softmax_is_finite(
        logits in prop::collection::vec(
            prop_oneof![3 => -1e4f32..=1e4, 1 => Just(1e4f32), 1 => Just(-1e4f32)], 1..=32),
    ) {
        let n = logits.len();
        let mut p = vec![0.0; n];
        softmax(&logits, &mut p);
        let sum: f32 = p.iter().sum();
        prop_assert!((sum - 1.0).abs() <= 1e-5, "sum {sum} of {p:?}");
        prop_assert!(p.iter().all(|v| (0.0..=1.0).contains(v)), "{p:?}");
        let mut l = vec![0.0; n];
        log_softmax(&logits, &mut l);
        prop_assert!(l.iter().all(|v| v.is_finite() && *v <= 1e-3), "{l:?}");
        let top = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        prop_assert!(top >= -(n as f32).ln() - 1e-3, "top {top} for n = {n}");
    }

    /// Softmax ignores non-finite logits (probability 0) and still sums to 1.
    #[test]
    fn softmax_with_non_finite_logits_sums_to_one(logits in prop::collection::vec(any_f32(), 1..=24)) {
        let mut p = vec![0.0; logits.len()];
        softmax(&logits, &mut p);
        let sum: f32 = p.iter().sum();
        prop_assert!((sum - 1.0).abs() <= 1e-5, "sum {sum} of {p:?} for {logits:?}");
        for (pi, li) in p.iter().zip(&logits) {
            prop_assert!((0.0..=1.0).contains(pi));
            if !li.is_finite() && logits.iter().any(|v| v.is_finite()) {
                prop_assert_eq!(*pi, 0.0);
            }
        }
    }

    /// exp, sigmoid and tanh stay in their ranges for every non-NaN input, ±∞ included.
    #[test]
    fn activations_stay_in_range(x in any_f32()) {
        prop_assume!(!x.is_nan());
        let e = exp(x);
        prop_assert!(e.is_finite() && e > 0.0, "exp({x}) = {e}");
        let s = sigmoid(x);
        prop_assert!((0.0..=1.0).contains(&s), "sigmoid({x}) = {s}");
        let t = tanh(x);
        prop_assert!((-1.0..=1.0).contains(&t), "tanh({x}) = {t}");
    }
}

// ---------------------------------------------------------------------------------------------
// Encoders

fn in_unit(xs: &[f32]) -> bool {
    xs.iter().all(|v| (0.0..=1.0).contains(v))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every raw observation (finite, non-negative where the field is non-negative by
    /// definition, anything finite elsewhere) encodes into [0, 1] in all three encoders, but
    /// for the tactical rank of a function on another provider (`ELSEWHERE`), which is −1.
    #[test]
    fn encoders_map_every_observation_into_unit_interval(o in observation(), p in provider()) {
        let e = EncoderConfig::DEFAULT;
        let s = e.encode_strategic(&o.strategic, &o.app, &o.carbon);
        prop_assert!(s.as_ref().is_ok_and(|x| in_unit(x)), "{s:?}");
        let ctx = TacticalContext { provider: p, volume_trend: o.strategic.volume_trend };
        let t = e.encode_tactical(&o.tactical, &ctx, &o.app, &o.carbon);
        // The current rank (second-last input) is −1 for ELSEWHERE: another provider.
        let rank_ok = |x: &[f32; TACTICAL_INPUT]| {
            let r = x[TACTICAL_INPUT - 2];
            if o.tactical.region_rank == ELSEWHERE { r == -1.0 } else { (0.0..=1.0).contains(&r) }
        };
        prop_assert!(
            t.as_ref().is_ok_and(|x| in_unit(&x[..TACTICAL_INPUT - 2]) && in_unit(&x[TACTICAL_INPUT - 1..]) && rank_ok(x)),
            "{t:?}"
        );
        let st = e.encode_step(&o.step);
        prop_assert!(st.as_ref().is_ok_and(|x| in_unit(x)), "{st:?}");
    }

    /// NaN or ±∞ in any field is `NonFiniteInput` naming that field (through `decide`, which
    /// encodes all of them), never a NaN.
    #[test]
    fn non_finite_fields_are_errors_naming_the_field(
        o in observation(), index in float_index(), bad in non_finite(),
    ) {
        let mut o = o;
        *field_mut(&mut o, index).unwrap() = bad;
        let e = EncoderConfig::DEFAULT;
        let errs = [
            e.encode_strategic(&o.strategic, &o.app, &o.carbon).err(),
            e.encode_tactical(&o.tactical, &TacticalContext { provider: Provider::Aws, volume_trend: o.strategic.volume_trend }, &o.app, &o.carbon).err(),
            e.encode_step(&o.step).err(),
        ];
        let want = InferError::NonFiniteInput { index };
        // The volume trend (8) is also the tactical context's trend, which reports index 8.
        prop_assert!(errs.contains(&Some(want)), "{index}: {errs:?}");
        let h = hierarchy_f32();
        let mut w = Window::new();
        prop_assert_eq!(h.decide(&mut w, &o).err(), Some(want));
        prop_assert!(w.is_empty(), "the window changed on error");
    }

    /// A negative value of a non-negative field is `OutOfRange` naming it.
    #[test]
    fn negative_counts_are_out_of_range(
        o in observation(), which in 0usize..LOG1P_FIELDS.len(),
        neg in (f::NEGATIVE | f::NORMAL | f::SUBNORMAL),
    ) {
        let index = LOG1P_FIELDS[which];
        let mut o = o;
        *field_mut(&mut o, index).unwrap() = neg;
        let mut w = Window::new();
        prop_assert_eq!(hierarchy_f32().decide(&mut w, &o).err(), Some(InferError::OutOfRange { index }));
    }

    /// Any valid scale (arbitrary finite constants, including extremes whose range
    /// overflows) maps every in-domain value into [0, 1]; its decode is finite.
    #[test]
    fn any_valid_scale_encodes_into_unit_interval(s in valid_scale(), x in finite(), y in any_f32()) {
        prop_assert!(s.is_valid());
        let x = if s.kind == Scale::LOG1P { x.abs() } else { x };
        let v = s.encode(x, 0);
        prop_assert!(v.is_ok_and(|v| (0.0..=1.0).contains(&v)), "{s:?} {x} → {v:?}");
        prop_assert!(!s.decode(y).is_nan(), "{s:?} decode({y})");
    }
}

// ---------------------------------------------------------------------------------------------
// Inference: seeded fixture models, f32 and int8.

const SEEDS: [u64; 2] = [3, 41];

fn models() -> &'static [(F32Models, I8Models)] {
    static M: OnceLock<Vec<(F32Models, I8Models)>> = OnceLock::new();
    M.get_or_init(|| {
        SEEDS
            .iter()
            .map(|&s| {
                let f = f32_models(s);
                let q = quantize(&f);
                (f, q)
            })
            .collect()
    })
}

fn hierarchy_f32() -> &'static Hierarchy<F32> {
    static H: OnceLock<Box<Hierarchy<F32>>> = OnceLock::new();
    H.get_or_init(|| Hierarchy::load(&seeded_bundle(SEEDS[0], Quant::F32)).unwrap())
}

fn hierarchy_i8() -> &'static Hierarchy<I8> {
    static H: OnceLock<Box<Hierarchy<I8>>> = OnceLock::new();
    H.get_or_init(|| Hierarchy::load(&seeded_bundle(SEEDS[0], Quant::I8)).unwrap())
}

fn all_finite(xs: &[f32]) -> bool {
    xs.iter().all(|v| v.is_finite())
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// int8 error bounds against f32 on the same seeded weights, for every encoded input:
/// Q-values, PPO logits and value within 0.1 (their magnitudes are O(1)); LSTM outputs
/// (encoded units) within 0.01. Largest errors measured over 20 000 random inputs for four
/// seeds (a third of them with corner values): ΔQ 0.035, Δlogit/value 0.044, Δy 0.0023.
const I8_BOUND_Q: f32 = 0.1;
const I8_BOUND_PPO: f32 = 0.1;
const I8_BOUND_LSTM: f32 = 0.01;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Every encoded input gives finite outputs in f32 and int8, with int8 within the stated
    /// bounds of f32.
    #[test]
    fn models_are_finite_and_int8_is_close(
        seed in 0..SEEDS.len(),
        xs in prop::array::uniform23(unit()),
        xt in prop::array::uniform25(unit()),
        win in prop::array::uniform12(prop::array::uniform5(unit())),
    ) {
        let (f, q) = &models()[seed];
        for k in [Kernels::generic(), Kernels::detect()] {
            let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
            prop_assert!(f.dqn.forward(&k, &xs, &mut a).is_ok() && all_finite(&a), "{a:?}");
            prop_assert!(q.dqn.forward(&k, &xs, &mut b).is_ok() && all_finite(&b), "{b:?}");
            prop_assert!(max_abs_diff(&a, &b) <= I8_BOUND_Q, "ΔQ {} ({a:?} vs {b:?})", max_abs_diff(&a, &b));

            let (mut la, mut lb) = ([0.0; TACTICAL_ACTIONS], [0.0; TACTICAL_ACTIONS]);
            let va = f.ppo.forward(&k, &xt, &mut la);
            let vb = q.ppo.forward(&k, &xt, &mut lb);
            prop_assert!(va.is_ok_and(f32::is_finite) && all_finite(&la), "{va:?} {la:?}");
            prop_assert!(vb.is_ok_and(f32::is_finite) && all_finite(&lb), "{vb:?} {lb:?}");
            let (va, vb) = (va.unwrap_or(0.0), vb.unwrap_or(0.0));
            prop_assert!(max_abs_diff(&la, &lb) <= I8_BOUND_PPO, "Δlogit {}", max_abs_diff(&la, &lb));
            prop_assert!((va - vb).abs() <= I8_BOUND_PPO, "Δvalue {va} vs {vb}");

            let (mut ya, mut yb) = ([0.0; 3], [0.0; 3]);
            prop_assert!(f.lstm.forward(&k, &win, &mut ya).is_ok() && all_finite(&ya), "{ya:?}");
            prop_assert!(q.lstm.forward(&k, &win, &mut yb).is_ok() && all_finite(&yb), "{yb:?}");
            prop_assert!(ya.iter().chain(&yb).all(|v| *v >= 0.0), "LSTM outputs are non-negative");
            prop_assert!(max_abs_diff(&ya, &yb) <= I8_BOUND_LSTM, "Δy {} ({ya:?} vs {yb:?})", max_abs_diff(&ya, &yb));
        }
    }

    /// Every raw observation in the documented domain gives a decision with finite numbers
    /// in their ranges, in f32 and int8, over a sequence that fills the window.
    #[test]
    fn decisions_are_finite_for_every_valid_observation(obs in prop::collection::vec(observation(), 1..=14)) {
        check_decisions(hierarchy_f32(), &obs)?;
        check_decisions(hierarchy_i8(), &obs)?;
    }
}

fn check_decisions<P: Precision>(h: &Hierarchy<P>, obs: &[Observation]) -> Result<(), TestCaseError> {
    let mut w = Window::new();
    for o in obs {
        let d = h.decide(&mut w, o);
        prop_assert!(d.is_ok(), "{o:?}: {d:?}");
        let Ok(d) = d else { unreachable!() };
        prop_assert!(all_finite(&d.q_values) && d.value.is_finite(), "{d:?}");
        prop_assert!((0.0..=1.0).contains(&d.tactical_prob), "{d:?}");
        let fc = d.forecast;
        prop_assert!(all_finite(&[fc.request_rate, fc.memory_used_mb, fc.cpu_util]), "{d:?}");
        prop_assert!(fc.request_rate >= 0.0 && fc.memory_used_mb >= 0.0 && (0.0..=1.0).contains(&fc.cpu_util), "{d:?}");
        prop_assert!(d.region < 4 && (d.memory_tier as usize) < MEMORY_TIERS_MB.len(), "{d:?}");
        let need = o.app.memory_need_mb;
        if need <= *MEMORY_TIERS_MB.last().unwrap_or(&0) as f32 {
            prop_assert!(d.memory_mb as f32 >= need, "tier {} MB below need {need}", d.memory_mb);
        }
    }
    prop_assert_eq!(w.len(), obs.len().min(12));
    Ok(())
}
