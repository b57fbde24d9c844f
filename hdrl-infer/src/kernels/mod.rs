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

/// `acc[o] = Σ_i W[o][i] · x[i]`, exactly, for an i8 matrix in the packed layout of
/// [`packed_index`] (`acc.len()` a multiple of [`PACKED_ROWS`], `x.len()` of [`PACKED_COLS`]),
/// each weight stored with its sign bit flipped ([`flip`]: the unsigned byte `W + 128`).
///
/// Unsigned weights are what `vpdpbusd` multiplies by signed inputs, with no sign step: the
/// VNNI tier sums `(W + 128) · x` and takes `128 · Σ x` (one number per call) back out.
/// Weights must not be −128 (as [`MatvecI8`]). Inconsistent lengths write nothing.
pub type MatvecI8Packed = fn(w: &[i8], x: &[i8], acc: &mut [i32]);

/// Outputs per tile of the packed int8 layout (one 256-bit vector of i32 sums).
pub const PACKED_ROWS: usize = 8;
/// Inputs per tile of the packed int8 layout (the four bytes one `vpdpbusd` lane sums).
pub const PACKED_COLS: usize = 4;
/// Tiles of [`PACKED_ROWS`] outputs that one pass over the input keeps in registers.
const PACKED_TILES: usize = 8;

/// Whether a `rows × cols` i8 matrix is stored packed (see [`packed_index`]).
pub const fn packs(rows: usize, cols: usize) -> bool {
    rows.is_multiple_of(PACKED_ROWS) && cols.is_multiple_of(PACKED_COLS) && rows > 0 && cols > 0
}

/// Where weight `W[o][i]` of a packed `rows × cols` matrix is stored.
///
/// Outputs go in bands of up to 64 (8 tiles of 8); within a band, input by input group of 4,
/// each tile's 8 outputs × 4 inputs as 32 contiguous bytes (output-major, input-minor): the
/// layout `vpdpbusd` reads, one broadcast group of 4 input bytes against 8 outputs at once, so
/// no horizontal sum is needed and one pass over the input fills 64 outputs. A band's
/// `nb` tiles for group `g` are 32 · `nb` contiguous bytes, so the pass reads memory in order.
pub const fn packed_index(o: usize, i: usize, rows: usize, cols: usize) -> usize {
    let (start, stride) = packed_row(o, rows, cols);
    start + (i / PACKED_COLS) * stride + i % PACKED_COLS
}

/// Row `o` of a packed `rows × cols` matrix: where its first weight is stored, and the
/// distance from one group of [`PACKED_COLS`] inputs to the next (input `i` is at
/// `start + (i / 4) · stride + i % 4`).
pub const fn packed_row(o: usize, rows: usize, cols: usize) -> (usize, usize) {
    let band_rows = PACKED_ROWS * PACKED_TILES;
    let band = o / band_rows;
    let left = rows - band * band_rows;
    let tiles = (if left < band_rows { left } else { band_rows }) / PACKED_ROWS;
    let tile = (o % band_rows) / PACKED_ROWS;
    let start = band * band_rows * cols + tile * (PACKED_ROWS * PACKED_COLS) + (o % PACKED_ROWS) * PACKED_COLS;
    (start, tiles * PACKED_ROWS * PACKED_COLS)
}

/// A weight as the packed layout stores it, and back: its sign bit flipped, so the byte read
/// as unsigned is `w + 128`.
pub const fn flip(w: i8) -> i8 {
    w ^ i8::MIN
}

/// Quantise an activation vector into `out` (same length) and return its scale, exactly as
/// [`crate::quant::quantize_vec`] does (the generic entry *is* that function).
pub type QuantizeI8 = fn(x: &[f32], out: &mut [i8]) -> f32;

/// An in-place elementwise activation over a slice.
pub type Elementwise = fn(xs: &mut [f32]);

/// The f32 outputs of an int8 product: `y[o] = acc[o] · (scale[o] · x_scale) + bias[o]`, or, with
/// `add`, `y[o] += ` that (in this order of operations, no fused multiply-add, so every tier
/// gives the same bits). All slices of one length; otherwise nothing is written.
pub type DequantI8 = fn(acc: &[i32], scale: &[f32], x_scale: f32, bias: &[f32], y: &mut [f32], add: bool);

/// Layer normalisation then ReLU in place: `x ← max(0, (x − mean) / sqrt(var + ε) · γ + β)`
/// (`gamma.len() == beta.len() == x.len()`; otherwise nothing is written). Every tier gives
/// the bits of the generic body ([`crate::layers::LayerNorm::forward`] then ReLU): the sums
/// run in the same eight lanes, combined in the same order, with no fused multiply-add.
pub type LayerNormRelu = fn(x: &mut [f32], gamma: &[f32], beta: &[f32]);

/// Which implementation tier filled the table (for reports and benches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Tier {
    /// Portable Rust, whatever the target.
    Generic,
    /// x86-64 AVX2 + FMA bodies.
    Avx2Fma,
    /// x86-64 AVX2 + FMA for f32 products, AVX-512 VNNI dot products for int8 (512-bit over
    /// the packed layout), 16-lane AVX-512 quantisation and activations.
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
    /// int8 matrix-vector product over the packed layout.
    pub matvec_i8_packed: MatvecI8Packed,
    /// Per-vector int8 quantisation of activations (the input of every int8 product).
    pub quantize_i8: QuantizeI8,
    /// Logistic function in place.
    pub sigmoid: Elementwise,
    /// Hyperbolic tangent in place.
    pub tanh: Elementwise,
    /// Layer normalisation followed by ReLU, in place.
    pub layer_norm_relu: LayerNormRelu,
    /// The f32 outputs of an int8 product (scales and bias), written or added.
    pub dequant_i8: DequantI8,
}

impl Kernels {
    /// The portable table: plain Rust, identical on every target. Always available.
    pub const fn generic() -> Self {
        Self {
            tier: Tier::Generic,
            matvec_f32: generic::matvec_f32,
            matvec_i8: generic::matvec_i8,
            matvec_i8_packed: generic::matvec_i8_packed,
            quantize_i8: crate::quant::quantize_vec,
            sigmoid: crate::math::sigmoid_slice,
            tanh: crate::math::tanh_slice,
            layer_norm_relu: crate::layers::layer_norm_relu,
            dequant_i8: crate::quant::dequant,
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
