//! Layer normalisation.

use super::{Part, all_finite};
use crate::rng::SplitMix64;
use crate::payload::{Exhausted, Reader, Writer};

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
        let mean = x.iter().sum::<f32>() / n;
        let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / libm::sqrtf(var + EPS);
        for ((v, g), b) in x.iter_mut().zip(&self.gamma).zip(&self.beta) {
            *v = (*v - mean) * inv * g + b;
        }
    }
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
