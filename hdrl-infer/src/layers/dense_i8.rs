//! int8 twin of [`super::Dense`].

use super::{Dense, Linear, Part, all_finite, xavier};
use crate::kernels::{self, Kernels};
use crate::payload::{Exhausted, Reader, Writer};
use crate::quant;
use crate::rng::SplitMix64;

/// `y_o = s_o · s_x · Σ_i q_w[o][i] · q_x[i] + b_o`: int8 weights with one symmetric scale
/// per output channel; the input is quantised per call (see [`crate::quant`]).
///
/// In memory, on x86-64, the weights of a layer whose outputs are a multiple of 8 and inputs a
/// multiple of 4 (every hidden layer) are in the packed layout of [`kernels::packed_index`],
/// which the VNNI kernel reads without horizontal sums; the others (first layers of 5, 15 or
/// 25 inputs, outputs of 1 or 3) stay output-major. Payloads are always output-major: the
/// layout is chosen at load. Read single weights with [`DenseI8::weight`]. All-zero bytes (a
/// hierarchy zeroed in place before its first load) hold weights of −128 in a packed layer,
/// outside the kernels' contract: the hierarchy refuses to run a model it has not loaded
/// (`InferError::MissingModel`), and loading writes every weight.
#[derive(Clone, Debug, PartialEq)]
pub struct DenseI8<const I: usize, const O: usize> {
    /// Quantised weights: `O · I` bytes in the layout described above (packed ones with their
    /// sign bits flipped, see [`kernels::flip`]).
    w: [[i8; I]; O],
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
        Self { w: [[const { Self::stored(0) }; I]; O], scale: [1.0; O], b: [0.0; O] }
    }

    /// Whether the weights are stored in the packed layout: on x86-64 with `std` (where
    /// [`Kernels::detect`] has SIMD bodies for it) when the shape packs. Elsewhere (a Cortex-M)
    /// the generic output-major body is the faster one. The sums are exact either way, so the
    /// layout never changes a result.
    pub const PACKED: bool = cfg!(all(target_arch = "x86_64", feature = "std")) && kernels::packs(O, I);

    /// Where row `o` starts in the flattened `w`, and the step between its groups of
    /// [`kernels::PACKED_COLS`] inputs: weight `[o][i]` is at `start + (i / 4) · stride + i % 4`
    /// (output-major: `o · I` and 4).
    #[inline]
    const fn row(o: usize) -> (usize, usize) {
        if Self::PACKED { kernels::packed_row(o, O, I) } else { (o * I, kernels::PACKED_COLS) }
    }

    /// Where weight `[o][i]` is stored in the flattened `w`.
    #[inline]
    const fn at(o: usize, i: usize) -> usize {
        let (start, stride) = Self::row(o);
        start + (i / kernels::PACKED_COLS) * stride + i % kernels::PACKED_COLS
    }

    /// A weight as `w` stores it (and back: the flip is its own inverse).
    #[inline]
    const fn stored(v: i8) -> i8 {
        if Self::PACKED { kernels::flip(v) } else { v }
    }

    /// Store row `o` (output-major values).
    fn set_row(&mut self, o: usize, values: &[i8; I]) {
        let w = self.w.as_flattened_mut();
        if Self::PACKED {
            let (start, stride) = Self::row(o);
            for (g, group) in values.as_chunks::<{ kernels::PACKED_COLS }>().0.iter().enumerate() {
                if let Some(dst) = w.get_mut(start + g * stride..).and_then(|d| d.first_chunk_mut()) {
                    *dst = group.map(Self::stored);
                }
            }
        } else {
            w[o * I..(o + 1) * I].copy_from_slice(values);
        }
    }

    /// The quantised weight from input `i` to output `o`.
    ///
    /// # Panics
    /// If `o ≥ O` or `i ≥ I`.
    pub fn weight(&self, o: usize, i: usize) -> i8 {
        assert!(o < O && i < I, "weight [{o}][{i}] of a {O}×{I} layer");
        Self::stored(self.w.as_flattened()[Self::at(o, i)])
    }

    /// Set every weight from `f(output, input)`, in output-major order.
    fn set_weights(&mut self, mut f: impl FnMut(usize, usize) -> i8) {
        for o in 0..O {
            let row: [i8; I] = core::array::from_fn(|i| f(o, i));
            self.set_row(o, &row);
        }
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
        let mut row = [0i8; I];
        for o in 0..O {
            r.i8s(&mut row)?;
            for v in row.iter_mut() {
                *v = (*v).max(-127);
            }
            self.set_row(o, &row);
        }
        r.f32s(&mut self.scale)?;
        r.f32s(&mut self.b)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted> {
        for o in 0..O {
            let row: [i8; I] = core::array::from_fn(|i| self.weight(o, i));
            w.i8s(&row)?;
        }
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
            self.scale[o] = quant::scale_for(m);
            self.b[o] = d.b[o];
        }
        let scale = self.scale;
        self.set_weights(|o, i| quant::quantize(d.w[i][o], scale[o]));
    }

    /// Weights drawn in output-major order, whatever the layout, so a fixture's weights do
    /// not depend on it.
    fn randomize(&mut self, rng: &mut SplitMix64) {
        let a = xavier(I, O);
        self.set_weights(|_, _| quant::quantize(rng.symmetric(quant::QMAX), 1.0));
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
        let acc = self.sums(k, x);
        (k.dequant_i8)(&acc, &self.scale, x.scale, &self.b, y, false);
    }

    #[inline]
    fn add_prepared(&self, k: &Kernels, x: &QuantVec<I>, y: &mut [f32; O]) {
        let acc = self.sums(k, x);
        (k.dequant_i8)(&acc, &self.scale, x.scale, &self.b, y, true);
    }
}

impl<const I: usize, const O: usize> DenseI8<I, O> {
    /// The exact i32 sums `Σ_i q_w[o][i] · q_x[i]`.
    #[inline]
    fn sums(&self, k: &Kernels, x: &QuantVec<I>) -> [i32; O] {
        let mut acc = [0i32; O];
        if Self::PACKED {
            (k.matvec_i8_packed)(self.w.as_flattened(), &x.q, &mut acc);
        } else {
            (k.matvec_i8)(self.w.as_flattened(), &x.q, &mut acc);
        }
        acc
    }
}
