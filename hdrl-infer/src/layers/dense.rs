//! f32 fully connected layer.

use super::{Linear, Part, all_finite, xavier};
use crate::kernels::Kernels;
use crate::payload::{Exhausted, Reader, Writer};
use crate::rng::SplitMix64;

/// `y = Wᵀ x + b` with `W` stored input-major (`w[i][o]`), the layout burn's `Linear` uses,
/// so export is a straight copy and the kernel streams rows of outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense<const I: usize, const O: usize> {
    /// Weights, `w[input][output]`.
    pub w: [[f32; O]; I],
    /// Bias, one per output.
    pub b: [f32; O],
}

impl<const I: usize, const O: usize> Dense<I, O> {
    /// The all-zero layer.
    pub const fn zeroed() -> Self {
        const { assert!(I > 0 && O > 0, "Dense needs non-zero dimensions") }
        Self { w: [[0.0; O]; I], b: [0.0; O] }
    }
}

impl<const I: usize, const O: usize> Part for Dense<I, O> {
    const ZERO: Self = Self::zeroed();
    const PAYLOAD_BYTES: usize = 4 * (I * O + O);
    type Twin = Self;

    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted> {
        r.f32s(self.w.as_flattened_mut())?;
        r.f32s(&mut self.b)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted> {
        w.f32s(self.w.as_flattened())?;
        w.f32s(&self.b)
    }

    fn is_finite(&self) -> bool {
        all_finite(self.w.as_flattened()) && all_finite(&self.b)
    }

    fn quantize_from(&mut self, twin: &Self) {
        self.w = twin.w;
        self.b = twin.b;
    }

    fn randomize(&mut self, rng: &mut SplitMix64) {
        let a = xavier(I, O);
        for v in self.w.as_flattened_mut() {
            *v = rng.symmetric(a);
        }
        for v in &mut self.b {
            *v = rng.symmetric(0.1);
        }
    }
}

impl<const I: usize, const O: usize> Linear<I, O> for Dense<I, O> {
    type Prepared = [f32; I];

    #[inline]
    fn prepare(x: &[f32; I]) -> [f32; I] {
        *x
    }

    #[inline]
    fn forward_prepared(&self, k: &Kernels, x: &[f32; I], y: &mut [f32; O]) {
        (k.matvec_f32)(self.w.as_flattened(), &self.b, x, y)
    }

    #[inline]
    fn forward(&self, k: &Kernels, x: &[f32; I], y: &mut [f32; O]) {
        (k.matvec_f32)(self.w.as_flattened(), &self.b, x, y)
    }
}
