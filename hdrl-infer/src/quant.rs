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
    if max_abs.is_finite() && max_abs > 0.0 {
        max_abs / QMAX
    } else {
        1.0
    }
}

/// Quantise one value with a given scale, saturating at ±127.
#[inline(always)]
pub fn quantize(v: f32, scale: f32) -> i8 {
    let q = round(v / scale);
    q.clamp(-QMAX, QMAX) as i8
}

/// Quantise an activation vector into `out` (same length); returns its scale.
/// Non-finite inputs are not expected here (layers check their inputs) and quantise to 0.
#[inline]
pub fn quantize_vec(x: &[f32], out: &mut [i8]) -> f32 {
    let mut m = 0.0f32;
    for &v in x {
        let a = crate::math::abs(v);
        if a > m && a.is_finite() {
            m = a;
        }
    }
    let s = scale_for(m);
    let inv = 1.0 / s;
    for (o, &v) in out.iter_mut().zip(x) {
        *o = if v.is_finite() { round(v * inv).clamp(-QMAX, QMAX) as i8 } else { 0 };
    }
    s
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
