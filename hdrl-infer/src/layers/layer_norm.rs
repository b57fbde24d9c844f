//! Layer normalisation.

use super::{Part, all_finite};
use crate::payload::{Exhausted, Reader, Writer};
use crate::rng::SplitMix64;

/// burn's default epsilon, which the trainer uses too.
pub const EPS: f32 = 1e-5;

/// `y = (x − mean) / sqrt(var + ε) · γ + β` over `N` features, with the population variance
/// (as burn and PyTorch compute it). Always f32, also in int8 models.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm<const N: usize> {
    /// Scale γ.
    pub gamma: [f32; N],
    /// Shift β.
    pub beta: [f32; N],
}

impl<const N: usize> LayerNorm<N> {
    /// Identity normalisation (γ = 1, β = 0).
    pub const fn identity() -> Self {
        const { assert!(N > 0, "LayerNorm needs a non-zero size") }
        Self { gamma: [1.0; N], beta: [0.0; N] }
    }

    /// Normalise `x` in place.
    #[inline]
    pub fn forward(&self, x: &mut [f32; N]) {
        let n = N as f32;
        let mean = lane_sum(x, |v| v) / n;
        let var = lane_sum(x, |v| (v - mean) * (v - mean)) / n;
        let inv = 1.0 / libm::sqrtf(var + EPS);
        for ((v, g), b) in x.iter_mut().zip(&self.gamma).zip(&self.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
}

/// `Σ f(x_i)` in 8 independent partial sums, which LLVM turns into vector adds (a single
/// running sum is one chain of dependent scalar adds, which it may not reorder).
#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; 8];
    let mut chunks = x.chunks_exact(8);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(v);
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

impl<const N: usize> Part for LayerNorm<N> {
    const ZERO: Self = Self::identity();
    const PAYLOAD_BYTES: usize = 8 * N;
    type Twin = Self;

    /// γ then β.
    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted> {
        r.f32s(&mut self.gamma)?;
        r.f32s(&mut self.beta)
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted> {
        w.f32s(&self.gamma)?;
        w.f32s(&self.beta)
    }

    fn is_finite(&self) -> bool {
        all_finite(&self.gamma) && all_finite(&self.beta)
    }

    fn quantize_from(&mut self, twin: &Self) {
        self.gamma = twin.gamma;
        self.beta = twin.beta;
    }

    fn randomize(&mut self, rng: &mut SplitMix64) {
        for (g, b) in self.gamma.iter_mut().zip(&mut self.beta) {
            *g = 1.0 + rng.symmetric(0.1);
            *b = rng.symmetric(0.1);
        }
    }
}
