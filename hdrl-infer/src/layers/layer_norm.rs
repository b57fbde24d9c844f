//! Layer normalisation.

use super::{Part, all_finite};
use crate::kernels::Kernels;
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
        normalize(x, &self.gamma, &self.beta);
    }

    /// Normalise `x` in place, then ReLU (every normalisation in the models is followed by
    /// one), with the kernel table's [`layer_norm_relu`](crate::kernels::Kernels::layer_norm_relu):
    /// the same bits on every tier.
    #[inline]
    pub fn forward_relu(&self, k: &Kernels, x: &mut [f32; N]) {
        (k.layer_norm_relu)(x, &self.gamma, &self.beta);
    }
}

/// `x ← (x − mean) / sqrt(var + ε) · γ + β` over a slice. `false` (and nothing written)
/// unless γ and β are as long as a non-empty `x`.
#[inline]
fn normalize(x: &mut [f32], gamma: &[f32], beta: &[f32]) -> bool {
    if x.is_empty() || gamma.len() != x.len() || beta.len() != x.len() {
        return false;
    }
    let (mean, inv) = moments(x);
    for ((v, g), b) in x.iter_mut().zip(gamma).zip(beta) {
        *v = (*v - mean) * inv * g + b;
    }
    true
}

/// The mean of `x` and `1 / sqrt(var + ε)`, each sum in the lane order of [`lane_sum`], which
/// the SIMD bodies of [`crate::kernels`] reproduce bit for bit.
#[inline]
fn moments(x: &[f32]) -> (f32, f32) {
    let n = x.len() as f32;
    let mean = lane_sum(x, |v| v) / n;
    let var = lane_sum(x, |v| (v - mean) * (v - mean)) / n;
    (mean, finish(var))
}

/// `1 / sqrt(var + ε)` from the summed squares' mean (shared with the SIMD bodies).
#[inline(always)]
fn finish(var: f32) -> f32 {
    1.0 / libm::sqrtf(var + EPS)
}

/// The generic [`crate::kernels::LayerNormRelu`]: [`normalize`], then ReLU.
pub fn layer_norm_relu(x: &mut [f32], gamma: &[f32], beta: &[f32]) {
    if normalize(x, gamma, beta) {
        crate::math::relu_slice(x);
    }
}

/// Partial sums of [`lane_sum`]: four groups of eight lanes (four 256-bit vectors).
pub(crate) const SUM_LANES: usize = 32;

/// `Σ f(x_i)` in [`SUM_LANES`] independent partial sums (value `i` of each block of 32 goes to
/// sum `i`, the remainder into the first sums), which LLVM turns into vector adds and the SIMD
/// bodies of [`crate::kernels`] reproduce bit for bit: four vectors whose adds do not wait on
/// each other (a single running sum is one chain of dependent adds, which it may not reorder).
#[inline(always)]
pub(crate) fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0.0f32; SUM_LANES];
    let mut chunks = x.chunks_exact(SUM_LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(chunks.remainder()) {
        *a += f(v);
    }
    let g: [f32; 8] = core::array::from_fn(|j| (acc[j] + acc[8 + j]) + (acc[16 + j] + acc[24 + j]));
    combine8(&g)
}

/// Eight partial sums added in a fixed order (the last step of [`lane_sum`]).
#[inline(always)]
pub(crate) fn combine8(acc: &[f32; 8]) -> f32 {
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
