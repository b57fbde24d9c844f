//! Scalar activations and their slice forms, written without `std` and without branches in
//! the hot paths so that LLVM vectorises the slice loops.
//!
//! # Accuracy
//! Measured against `f64` references by the tests at the bottom of this file over the whole
//! range the models use (sweeps of 200 001 points):
//!
//! | function | domain | max error |
//! |---|---|---|
//! | [`exp`] | [-87, 88] | 2.4e-7 relative |
//! | [`sigmoid`] | any finite | 1.2e-7 absolute |
//! | [`tanh`] | any finite | 2.4e-7 absolute |
//! | [`softplus`] | any finite | 2.4e-7 relative + 1e-7 absolute |
//!
//! The tests fail if these bounds are exceeded, so the table stays true.

/// ln(2) split in a high and a low part for exact range reduction (Cody–Waite).
pub(crate) const LN2_HI: f32 = 0.693_359_4;
pub(crate) const LN2_LO: f32 = -2.121_944_4e-4;
const LOG2E: f32 = core::f32::consts::LOG2_E;
/// 1.5 · 2^23: adding it rounds an f32 of magnitude < 2^22 to the nearest integer.
pub(crate) const ROUND_MAGIC: f32 = 12_582_912.0;
/// Degree-6 minimax polynomial of e^r on [-ln2/2, ln2/2] (Cephes expf coefficients), highest
/// first; the last step, `p · r² + r + 1`, is written out where it is used.
pub(crate) const EXP_POLY: [f32; 6] =
    [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];

/// `e^x`, clamped to the finite f32 range: inputs below −87 give ≈ 1.6e-38, above 88 give ≈ 1.65e38.
/// NaN in gives NaN out.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // n = round(x / ln 2)
    let t = x * LOG2E + ROUND_MAGIC;
    let n = t - ROUND_MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    // Degree-6 minimax polynomial of e^r on [-ln2/2, ln2/2].
    let [c0, c1, c2, c3, c4, c5] = EXP_POLY;
    let p = c0;
    let p = p * r + c1;
    let p = p * r + c2;
    let p = p * r + c3;
    let p = p * r + c4;
    let p = p * r + c5;
    let p = p * r * r + r + 1.0;
    // 2^n by building the exponent bits; n is in [-126, 127] thanks to the clamp.
    let bits = ((n as i32 + 127) as u32) << 23;
    p * f32::from_bits(bits)
}

/// `|x|` without relying on `std`.
#[inline(always)]
pub fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// Logistic function `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Hyperbolic tangent, computed as `sign(x) · (1 − e^{-2|x|}) / (1 + e^{-2|x|})`.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp(-2.0 * abs(x));
    let t = (1.0 - e) / (1.0 + e);
    f32::from_bits(t.to_bits() | (x.to_bits() & 0x8000_0000))
}

/// `max(x, 0)`; NaN gives 0.
#[inline(always)]
pub fn relu(x: f32) -> f32 {
    if x > 0.0 { x } else { 0.0 }
}

/// `ln(1 + e^x)`, computed stably as `max(x, 0) + ln(1 + e^{-|x|})`.
#[inline(always)]
pub fn softplus(x: f32) -> f32 {
    relu(x) + libm::log1pf(exp(-abs(x)))
}

/// In-place logistic function over a slice.
pub fn sigmoid_slice(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}

/// In-place hyperbolic tangent over a slice.
pub fn tanh_slice(xs: &mut [f32]) {
    for x in xs {
        *x = tanh(*x);
    }
}

/// In-place ReLU over a slice.
pub fn relu_slice(xs: &mut [f32]) {
    for x in xs {
        *x = relu(*x);
    }
}

/// Index of the largest value; ties go to the lowest index; NaNs are never chosen unless
/// every value is NaN (then 0). An empty slice gives 0.
pub fn argmax(xs: &[f32]) -> usize {
    let mut best = 0;
    let mut best_v = f32::NEG_INFINITY;
    let mut seen = false;
    for (i, &v) in xs.iter().enumerate() {
        if v > best_v || (!seen && !v.is_nan()) {
            best = i;
            best_v = v;
            seen = true;
        }
    }
    best
}

/// Numerically stable softmax of `logits` into `out` (same length; extra entries are left alone).
/// Non-finite logits are treated as −∞ (probability 0); if none is finite, the result is uniform.
pub fn softmax(logits: &[f32], out: &mut [f32]) {
    let m = logits.iter().copied().filter(|v| v.is_finite()).fold(f32::NEG_INFINITY, f32::max);
    let n = logits.len().min(out.len());
    if m == f32::NEG_INFINITY {
        for o in out.iter_mut().take(n) {
            *o = 1.0 / n as f32;
        }
        return;
    }
    let mut sum = 0.0;
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = if l.is_finite() { exp(l - m) } else { 0.0 };
        sum += *o;
    }
    // sum >= 1 because the maximum contributes e^0 = 1.
    for o in out.iter_mut().take(n) {
        *o /= sum;
    }
}

/// Numerically stable log-softmax: `l_i − m − ln Σ e^{l_j − m}`. Finite for finite logits of
/// any magnitude that f32 holds.
pub fn log_softmax(logits: &[f32], out: &mut [f32]) {
    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for &l in logits {
        sum += exp(l - m);
    }
    let lse = m + libm::logf(sum);
    for (o, &l) in out.iter_mut().zip(logits) {
        *o = l - lse;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sweep(lo: f64, hi: f64) -> impl Iterator<Item = f32> {
        let n = 200_000;
        (0..=n).map(move |i| (lo + (hi - lo) * i as f64 / n as f64) as f32)
    }

    #[test]
    fn exp_relative_error_is_bounded() {
        let mut worst: f64 = 0.0;
        for x in sweep(-87.0, 88.0) {
            let want = (x as f64).exp();
            let rel = ((exp(x) as f64 - want) / want).abs();
            worst = worst.max(rel);
        }
        assert!(worst < 2.4e-7, "exp max relative error {worst}");
    }

    #[test]
    fn sigmoid_and_tanh_absolute_error_is_bounded() {
        let (mut ws, mut wt) = (0.0f64, 0.0f64);
        for x in sweep(-30.0, 30.0) {
            let xd = x as f64;
            ws = ws.max((sigmoid(x) as f64 - 1.0 / (1.0 + (-xd).exp())).abs());
            wt = wt.max((tanh(x) as f64 - xd.tanh()).abs());
        }
        assert!(ws < 1.2e-7, "sigmoid max abs error {ws}");
        assert!(wt < 2.4e-7, "tanh max abs error {wt}");
        assert_eq!(tanh(1e30), 1.0);
        assert_eq!(tanh(-1e30), -1.0);
        assert!(sigmoid(-1e30) >= 0.0 && sigmoid(-1e30) < 1e-37);
        assert!(sigmoid(1e30) == 1.0);
    }

    #[test]
    fn softplus_error_is_bounded() {
        let mut worst: f64 = 0.0;
        for x in sweep(-40.0, 40.0) {
            let xd = x as f64;
            let want = xd.max(0.0) + (-xd.abs()).exp().ln_1p();
            let err = (softplus(x) as f64 - want).abs() - 2.4e-7 * want;
            worst = worst.max(err);
        }
        assert!(worst < 1e-7, "softplus error beyond bound {worst}");
    }

    #[test]
    fn nan_is_not_chosen_by_argmax() {
        assert_eq!(argmax(&[f32::NAN, 1.0, 3.0, 3.0]), 2);
        assert_eq!(argmax(&[f32::NAN, f32::NAN]), 0);
        assert_eq!(argmax(&[]), 0);
        assert_eq!(relu(f32::NAN), 0.0);
    }

    #[test]
    fn softmax_sums_to_one_for_extreme_logits() {
        let logits = [1e4, -1e4, 0.0, 5.0, f32::NAN];
        let mut p = [0.0; 5];
        softmax(&logits, &mut p);
        let s: f32 = p.iter().sum();
        assert!((s - 1.0).abs() < 1e-6, "sum {s}");
        assert_eq!(p[4], 0.0);
        let mut l = [0.0; 4];
        log_softmax(&logits[..4], &mut l);
        assert!(l.iter().all(|v| v.is_finite()), "{l:?}");
        assert!(l[0].abs() < 1e-3);
    }
}
