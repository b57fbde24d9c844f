//! int8 twin of [`super::Dense`].

use super::{Dense, Linear, Part, all_finite, xavier};
use crate::kernels::Kernels;
use crate::payload::{Exhausted, Reader, Writer};
use crate::quant;
use crate::rng::SplitMix64;

/// `y_o = s_o · s_x · Σ_i q_w[o][i] · q_x[i] + b_o`: int8 weights stored output-major with one
/// symmetric scale per output channel; the input is quantised per call (see [`crate::quant`]).
#[derive(Clone, Debug, PartialEq)]
pub struct DenseI8<const I: usize, const O: usize> {
    /// Quantised weights, `w[output][input]`.
    pub w: [[i8; I]; O],
    /// Per-output-channel weight scale.
    pub scale: [f32; O],
    /// Bias (f32), one per output.
    pub b: [f32; O],
}

/// A quantised input vector and its scale.
#[derive(Clone, Copy, Debug)]
pub struct QuantVec<const N: usize> {
    /// Quantised values.
    pub q: [i8; N],
    /// Scale: `x ≈ q · scale`.
    pub scale: f32,
}

impl<const I: usize, const O: usize> DenseI8<I, O> {
    /// The all-zero layer (scales 1).
    pub const fn zeroed() -> Self {
        const { assert!(I > 0 && O > 0, "DenseI8 needs non-zero dimensions") }
        Self { w: [[0; I]; O], scale: [1.0; O], b: [0.0; O] }
    }
}

impl<const I: usize, const O: usize> Part for DenseI8<I, O> {
    const ZERO: Self = Self::zeroed();
    const PAYLOAD_BYTES: usize = I * O + 8 * O;
    type Twin = Dense<I, O>;

    /// A stored −128 (which [`quant::quantize`] never writes) loads as −127, so every weight
    /// meets the `|w| ≤ 127` contract of [`crate::kernels::MatvecI8`] that the SIMD tiers'
    /// sign trick relies on.
    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted> {
        r.i8s(self.w.as_flattened_mut())?;
        for v in self.w.as_flattened_mut() {
            *v = (*v).max(-127);
        }
        r.f32s(&mut self.scale)?;
        r.f32s(&mut self.b)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted> {
        w.i8s(self.w.as_flattened())?;
        w.f32s(&self.scale)?;
        w.f32s(&self.b)
    }

    fn is_finite(&self) -> bool {
        all_finite(&self.scale) && all_finite(&self.b) && self.scale.iter().all(|&s| s > 0.0)
    }

    /// Per output channel `o`: `s_o = max_i |w[i][o]| / 127`, `q[o][i] = round(w[i][o] / s_o)`.
    /// Works in place, so no large temporary lands on the stack.
    fn quantize_from(&mut self, d: &Dense<I, O>) {
        for o in 0..O {
            let mut m = 0.0f32;
            for row in &d.w {
                m = m.max(crate::math::abs(row[o]));
            }
            let s = quant::scale_for(m);
            self.scale[o] = s;
            for (i, row) in d.w.iter().enumerate() {
                self.w[o][i] = quant::quantize(row[o], s);
            }
            self.b[o] = d.b[o];
        }
    }

    fn randomize(&mut self, rng: &mut SplitMix64) {
        let a = xavier(I, O);
        for v in self.w.as_flattened_mut() {
            *v = quant::quantize(rng.symmetric(quant::QMAX), 1.0);
        }
        for (s, b) in self.scale.iter_mut().zip(&mut self.b) {
            *s = a / quant::QMAX;
            *b = rng.symmetric(0.1);
        }
    }
}

impl<const I: usize, const O: usize> Linear<I, O> for DenseI8<I, O> {
    type Prepared = QuantVec<I>;

    #[inline]
    fn prepare(x: &[f32; I]) -> QuantVec<I> {
        let mut q = [0i8; I];
        let scale = quant::quantize_vec(x, &mut q);
        QuantVec { q, scale }
    }

    #[inline]
    fn prepare_with(k: &Kernels, x: &[f32; I]) -> QuantVec<I> {
        let mut q = [0i8; I];
        let scale = (k.quantize_i8)(x, &mut q);
        QuantVec { q, scale }
    }

    #[inline]
    fn forward_prepared(&self, k: &Kernels, x: &QuantVec<I>, y: &mut [f32; O]) {
        let mut acc = [0i32; O];
        (k.matvec_i8)(self.w.as_flattened(), &x.q, &mut acc);
        for (((yo, &a), &s), &b) in y.iter_mut().zip(&acc).zip(&self.scale).zip(&self.b) {
            *yo = a as f32 * (s * x.scale) + b;
        }
    }
}
