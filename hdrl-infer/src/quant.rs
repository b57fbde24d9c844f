//! Symmetric int8 quantisation, the one definition used by export and inference.
//!
//! Weights: one scale per output channel, `s_o = max_i |w[o][i]| / 127`, `q = round(w / s_o)`.
//! Activations: quantised on the fly, one scale per vector, `s_x = max_i |x_i| / 127`, so every
//! matrix product runs on i8 × i8 → i32 and is rescaled once per output by `s_o · s_x`.
//! LayerNorm, activations, the LSTM cell state and every bias stay f32.

/// Largest magnitude of a quantised value; −128 is never produced, so products fit the
/// saturating SIMD instructions.
pub const QMAX: f32 = 127.0;

/// Round half away from zero without `std`.
#[inline(always)]
pub fn round(v: f32) -> f32 {
    let r = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
    (r as i32) as f32
}

/// Scale for a set of values whose largest magnitude is `max_abs`. Never zero or NaN:
/// an all-zero (or non-finite) channel gets scale 1.
#[inline]
pub fn scale_for(max_abs: f32) -> f32 {
    if max_abs.is_finite() && max_abs > 0.0 { max_abs / QMAX } else { 1.0 }
}

/// Quantise one value with a given scale, saturating at ±127.
#[inline(always)]
pub fn quantize(v: f32, scale: f32) -> i8 {
    let q = round(v / scale);
    q.clamp(-QMAX, QMAX) as i8
}

/// Quantise an activation vector into `out` (same length); returns its scale.
/// Non-finite inputs are not expected here (layers check their inputs) and quantise to 0.
///
/// Written lane-wise and branch-free (8 partial maxima, clamp before rounding) so that LLVM
/// vectorises both passes; the result is the same as `quantize(v, scale)` per element.
#[inline]
pub fn quantize_vec(x: &[f32], out: &mut [i8]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (m, &v) in lanes.iter_mut().zip(c) {
            *m = max_finite_abs(*m, v);
        }
    }
    for (m, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *m = max_finite_abs(*m, v);
    }
    let m = lanes.iter().fold(0.0f32, |a, &b| if b > a { b } else { a });
    let s = scale_for(m);
    let inv = 1.0 / s;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = round_clamped(v * inv, v.is_finite());
    }
    s
}

/// `round(t).clamp(−127, 127)` (half away from zero, as [`round`]) as an i8, or 0 when
/// `keep` is false, in float and integer operations that vectorise: no saturating
/// float→int cast. `floor(y)` for `0 ≤ y < 2²²` is `y + 1.5·2²³` rounded to nearest (whose
/// low mantissa bits are the integer) minus one when that rounded up.
#[inline(always)]
pub(crate) fn round_clamped(t: f32, keep: bool) -> i8 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let y = abs_clamped(t) + 0.5; // the same float add as `round`, on |t|
    let big = y + MAGIC;
    let n = (big.to_bits() as i32 - MAGIC.to_bits() as i32) - i32::from(big - MAGIC > y);
    let n = if t < 0.0 { -n } else { n };
    if keep { n as i8 } else { 0 }
}

/// `min(|t|, 127)`; NaN gives 0.
#[inline(always)]
fn abs_clamped(t: f32) -> f32 {
    let a = crate::math::abs(t);
    if a < QMAX {
        a
    } else if a >= QMAX {
        QMAX
    } else {
        0.0
    }
}

/// `max(m, |v|)`, ignoring NaN and ±∞.
#[inline(always)]
pub(crate) fn max_finite_abs(m: f32, v: f32) -> f32 {
    let a = crate::math::abs(v);
    if a > m && a <= f32::MAX { a } else { m }
}

/// The generic [`crate::kernels::DequantI8`]: `y[o] (+)= acc[o] · (scale[o] · x_scale) + bias[o]`.
pub fn dequant(acc: &[i32], scale: &[f32], x_scale: f32, bias: &[f32], y: &mut [f32], add: bool) {
    let n = y.len();
    if acc.len() != n || scale.len() != n || bias.len() != n {
        return;
    }
    for (((yo, &a), &s), &b) in y.iter_mut().zip(acc).zip(scale).zip(bias) {
        let v = a as f32 * (s * x_scale) + b;
        *yo = if add { *yo + v } else { v };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_round_trips_within_half_a_step() {
        let x = [0.3f32, -1.7, 2.54, 0.0, 1e-4];
        let mut q = [0i8; 5];
        let s = quantize_vec(&x, &mut q);
        assert_eq!(q[2], 127);
        for (v, qv) in x.iter().zip(q) {
            assert!((v - qv as f32 * s).abs() <= s * 0.5 + 1e-7);
        }
    }

    #[test]
    fn vector_rounding_matches_scalar_quantize() {
        // Every multiple of 1/64 in [-130, 130] plus the values next to each tie.
        for i in -130 * 64..=130 * 64 {
            let t = i as f32 / 64.0;
            for v in [t, f32::from_bits(t.to_bits() + 1), f32::from_bits(t.to_bits().saturating_sub(1))] {
                assert_eq!(round_clamped(v, true), quantize(v, 1.0), "{v}");
            }
        }
        assert_eq!(round_clamped(f32::NAN, false), 0);
        assert_eq!(round_clamped(0.499_999_97, true), quantize(0.499_999_97, 1.0));
    }

    #[test]
    fn zero_and_nonfinite_vectors_get_a_usable_scale() {
        let mut q = [1i8; 3];
        assert_eq!(quantize_vec(&[0.0; 3], &mut q), 1.0);
        assert_eq!(q, [0; 3]);
        let s = quantize_vec(&[f32::NAN, 2.0, f32::INFINITY], &mut q);
        assert_eq!(q, [0, 127, 0]);
        assert!((s - 2.0 / 127.0).abs() < 1e-9);
        assert_eq!(quantize(1e9, 1.0), 127);
        assert_eq!(quantize(-1e9, 1.0), -127);
    }
}
