//! Layers as const-generic types over fixed arrays, and the [`Precision`] switch that lets one
//! model definition run in f32 or int8.

mod dense;
mod dense_i8;
mod layer_norm;
mod lstm;

pub use dense::Dense;
pub use dense_i8::DenseI8;
pub use dense_i8::QuantVec;
pub use layer_norm::EPS as LAYER_NORM_EPS;
pub use layer_norm::LayerNorm;
pub(crate) use layer_norm::{combine8, layer_norm_relu};
pub use lstm::{GATES, LstmLayer};

use crate::kernels::Kernels;
use crate::payload::{Exhausted, Reader, Writer};
use crate::rng::SplitMix64;
use crate::weights::Quant;

/// A piece of a model that owns numbers: a linear layer, a LayerNorm, an LSTM layer.
/// Models are structs of parts and get loading, saving, quantisation and fixture
/// initialisation by walking their parts in field order.
pub trait Part: Sized + Send + Sync {
    /// The all-zero part, usable in `const` and `static` items.
    const ZERO: Self;
    /// Bytes this part occupies in a weight payload.
    const PAYLOAD_BYTES: usize;
    /// The f32 part this one is quantised from (itself for f32 parts).
    type Twin;

    /// Load from a payload.
    fn read(&mut self, r: &mut Reader<'_>) -> Result<(), Exhausted>;
    /// Append to a payload.
    fn write(&self, w: &mut Writer<'_>) -> Result<(), Exhausted>;
    /// Every stored number is finite (and every scale positive).
    fn is_finite(&self) -> bool;
    /// Become the quantised (or copied) version of an f32 part.
    fn quantize_from(&mut self, twin: &Self::Twin);
    /// Fill with seeded fixture values: Xavier-uniform weights, small biases,
    /// near-identity normalisation.
    fn randomize(&mut self, rng: &mut SplitMix64);
}

/// A fully connected layer `y = W x + b` with `I` inputs and `O` outputs, in some precision.
pub trait Linear<const I: usize, const O: usize>: Part<Twin = Dense<I, O>> {
    /// An input prepared once and reused by several layers that read the same vector
    /// (the four LSTM gates): a copy for f32, the quantised vector and its scale for int8.
    type Prepared;

    /// Prepare an input vector.
    fn prepare(x: &[f32; I]) -> Self::Prepared;
    /// Prepare an input vector with a kernel table (int8 layers quantise with
    /// [`Kernels::quantize_i8`]); the same result as [`Linear::prepare`], faster.
    fn prepare_with(k: &Kernels, x: &[f32; I]) -> Self::Prepared {
        let _ = k;
        Self::prepare(x)
    }
    /// `y = W x + b` from a prepared input.
    fn forward_prepared(&self, k: &Kernels, x: &Self::Prepared, y: &mut [f32; O]);
    /// `y += W x + b` from a prepared input (`y[o] + (W x + b)[o]`, the bits of
    /// [`Linear::forward_prepared`] into a temporary then added).
    fn add_prepared(&self, k: &Kernels, x: &Self::Prepared, y: &mut [f32; O]) {
        let mut t = [0.0f32; O];
        self.forward_prepared(k, x, &mut t);
        for (a, b) in y.iter_mut().zip(&t) {
            *a += b;
        }
    }
    /// `y = W x + b`.
    fn forward(&self, k: &Kernels, x: &[f32; I], y: &mut [f32; O]) {
        self.forward_prepared(k, &Self::prepare_with(k, x), y)
    }
}

/// Chooses the linear layer type a model is built from.
pub trait Precision: 'static {
    /// Tag stored in weight files.
    const QUANT: Quant;
    /// The linear layer of this precision.
    type Linear<const I: usize, const O: usize>: Linear<I, O>;
}

/// f32 weights and activations.
#[derive(Clone, Copy, Debug)]
pub struct F32;

/// int8 weights (per-output-channel scales), int8 activations inside matrix products,
/// f32 everywhere else. See [`crate::quant`].
#[derive(Clone, Copy, Debug)]
pub struct I8;

impl Precision for F32 {
    const QUANT: Quant = Quant::F32;
    type Linear<const I: usize, const O: usize> = Dense<I, O>;
}

impl Precision for I8 {
    const QUANT: Quant = Quant::I8;
    type Linear<const I: usize, const O: usize> = DenseI8<I, O>;
}

pub(crate) fn all_finite(xs: &[f32]) -> bool {
    xs.iter().all(|v| v.is_finite())
}

/// Xavier/Glorot uniform bound for a layer.
pub(crate) fn xavier(i: usize, o: usize) -> f32 {
    libm::sqrtf(6.0 / (i + o) as f32)
}
