//! The compute kernels behind every layer, chosen once and passed around as a plain `Copy`
//! table of function pointers (no global state, no per-call CPU detection).
//!
//! [`Kernels::generic`] is the portable scalar version of every kernel and the test oracle;
//! [`Kernels::detect`] (with the `std` feature) starts from it and lets each CPU tier that
//! is present overwrite entries with faster bodies.

mod generic;
#[cfg(all(target_arch = "x86_64", feature = "std"))]
mod x86_64;

#[cfg(test)]
mod tests;

/// `y = b + xᵀ·W` for an input-major f32 matrix `W` of `x.len()` rows and `y.len()` columns.
///
/// Lengths: `w.len() == x.len() * y.len()`, `b.len() == y.len()`. Callers (the layers) pass
/// slices of fixed-size arrays, so the lengths always hold; a kernel that is handed
/// inconsistent lengths writes nothing rather than panicking.
pub type MatvecF32 = fn(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]);

/// `acc[o] = Σ_i W[o][i] · x[i]` for an output-major i8 matrix of `acc.len()` rows and
/// `x.len()` columns, accumulated exactly in i32 (|x| ≤ 128, |W| ≤ 127, so no overflow for
/// any row shorter than 132 000 entries). Weights must not be −128: the SIMD tiers multiply
/// `|x|` by `W` with the sign of `x`, which −128 overflows (`DenseI8` never holds −128).
pub type MatvecI8 = fn(w: &[i8], x: &[i8], acc: &mut [i32]);

/// Quantise an activation vector into `out` (same length) and return its scale, exactly as
/// [`crate::quant::quantize_vec`] does (the generic entry *is* that function).
pub type QuantizeI8 = fn(x: &[f32], out: &mut [i8]) -> f32;

/// An in-place elementwise activation over a slice.
pub type Elementwise = fn(xs: &mut [f32]);

/// Which implementation tier filled the table (for reports and benches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tier {
    /// Portable Rust, whatever the target.
    Generic,
    /// x86-64 AVX2 + FMA bodies.
    Avx2Fma,
    /// x86-64 AVX2 + FMA for f32, AVX-512 VNNI (256-bit) dot products for int8.
    Avx512Vnni,
}

/// The table of kernels a model runs with.
#[derive(Clone, Copy, Debug)]
pub struct Kernels {
    /// Tier that provided the fastest entries.
    pub tier: Tier,
    /// f32 matrix-vector product.
    pub matvec_f32: MatvecF32,
    /// int8 matrix-vector product.
    pub matvec_i8: MatvecI8,
    /// Per-vector int8 quantisation of activations (the input of every int8 product).
    pub quantize_i8: QuantizeI8,
    /// Logistic function in place.
    pub sigmoid: Elementwise,
    /// Hyperbolic tangent in place.
    pub tanh: Elementwise,
}

impl Kernels {
    /// The portable table: plain Rust, identical on every target. Always available.
    pub const fn generic() -> Self {
        Self {
            tier: Tier::Generic,
            matvec_f32: generic::matvec_f32,
            matvec_i8: generic::matvec_i8,
            quantize_i8: crate::quant::quantize_vec,
            sigmoid: crate::math::sigmoid_slice,
            tanh: crate::math::tanh_slice,
        }
    }

    /// The fastest table this CPU supports, detected once at run time.
    #[cfg(feature = "std")]
    pub fn detect() -> Self {
        #[allow(unused_mut)]
        let mut k = Self::generic();
        #[cfg(target_arch = "x86_64")]
        x86_64::plug(&mut k);
        k
    }

    /// The fastest table known at compile time, for targets without `std` (on a Cortex-M this
    /// is the generic table).
    #[cfg(not(feature = "std"))]
    pub const fn detect() -> Self {
        Self::generic()
    }
}

impl Default for Kernels {
    fn default() -> Self {
        Self::detect()
    }
}
