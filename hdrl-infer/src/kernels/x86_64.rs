//! x86-64 kernel bodies written with `std::arch` intrinsics, reachable only through [`plug`],
//! which checks the CPU first. Two tiers:
//!
//! - [`Tier::Avx2Fma`]: f32 matrix-vector product with FMA over column blocks of 64/32/16/8
//!   (plus a masked tail); int8 products with `vpmaddubsw` and the abs/sign trick, eight rows
//!   at a time (two or four rows per vector for inputs of ≤ 16 or ≤ 8), and over the packed
//!   layout; int8 quantisation of activations, bit-identical to the scalar one; vectorised
//!   sigmoid/tanh.
//! - [`Tier::Avx512Vnni`]: the same, except that int8 dot products use `vpdpbusd` (AVX-512
//!   VNNI): 256-bit on row-major matrices, one instruction per 32 multiply-accumulates instead
//!   of three; 512-bit over the packed layout, with two accumulator sets; and quantisation and
//!   sigmoid/tanh run 16 lanes at a time (AVX-512 F, BW).
//!
//! Both tiers also normalise (LayerNorm then ReLU) with the generic body's lane order, so the
//! bits are the same as the generic ones.
//!
//! The abs/sign trick: `vpmaddubsw` and `vpdpbusd` multiply *unsigned* by signed bytes, so
//! `x·w` is computed as `|x| · sign(w, x)` (`vpsignb` negates `w` where `x < 0` and zeroes it
//! where `x = 0`). That is exact whenever `w ≠ −128`, which [`crate::DenseI8`] guarantees by
//! clamping at load; `|x|` may be 128. `vpmaddubsw` adds two products into an i16 with
//! saturation, and `2 · 128 · 127 = 32 512 < 32 767`, so it never saturates. When no input
//! is negative (every ReLU output) the sign step is skipped: `x` is already the unsigned
//! operand.
//!
//! The packed layout ([`super::packed_index`]) needs no sign step on the VNNI tier: its weights
//! are stored as unsigned bytes `w + 128`, one broadcast group of 4 input bytes meets 8 outputs'
//! 32 bytes in one `vpdpbusd` with no horizontal sum, and `128 · Σx` comes back out once per
//! call. The LSTM's 128×128 gate product takes 100 ns that way against 185 ns row-major with
//! signed inputs (`cargo bench --bench kernels`, Zen 4), and the int8 LSTM window's products
//! run within about 10 % of the time it takes just to read their bytes from L2
//! (`weight_stream/*` in the same bench).
//!
//! Tried and left out: sigmoid/tanh with `vrcp14ps` and a Newton step instead of the
//! division measured the same on Zen 4 (60 ns per 128 values), and so did one fused pass for
//! the whole LSTM cell update (its five activations per unit group run out of the 16 AVX2
//! registers); both are bound by instruction issue, which is why the 16-lane activations pay
//! (41 against 63 ns per 128 values) although Zen 4 splits every 512-bit operation in two.
//! 512-bit `vpdpbusd` runs at half the instruction rate of the 256-bit form there (measured
//! 0.96 against 1.6 per cycle). On the Intel Xeon CI runs on, the 512-bit packed product with
//! two accumulator sets (even and odd groups of 4 inputs) takes 21 ns for 64×64 and 63 ns for
//! 128×128 against 76 and 142 ns for the 256-bit one with a single set (`cargo bench --bench
//! kernels`, 2026-12-07), so the VNNI tier uses it; on Zen 4 it is at worst even.
//!
//! No legacy-SSE instruction may run inside these bodies: libm's `sqrtf` is an `sqrtss`
//! without VEX encoding, and issued while the upper halves of the vector registers are in use
//! it stalled the AVX2 layer normalisation to 3× its time on that Xeon (hence `_mm_sqrt_ss`).
#![allow(unsafe_code)]

use core::arch::x86_64::*;

use super::{Kernels, Tier};

fn has_avx2_fma() -> bool {
    std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
}

fn has_vnni() -> bool {
    has_avx2_fma()
        && std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512vnni")
        && std::is_x86_feature_detected!("avx512vl")
}

/// Overwrite the entries this CPU can run faster.
pub(super) fn plug(k: &mut Kernels) {
    if has_avx2_fma() {
        plug_avx2(k);
        if has_vnni() {
            plug_vnni(k);
        }
    }
}

/// The [`Tier::Avx2Fma`] entries. Only after [`has_avx2_fma`].
fn plug_avx2(k: &mut Kernels) {
    k.tier = Tier::Avx2Fma;
    k.matvec_f32 = avx2_matvec_f32;
    k.matvec_i8 = avx2_matvec_i8;
    k.matvec_i8_packed = avx2_matvec_i8_packed;
    k.quantize_i8 = avx2_quantize_i8;
    k.sigmoid = avx2_sigmoid_f32;
    k.tanh = avx2_tanh_f32;
    k.layer_norm_relu = avx2_layer_norm_relu;
}

/// The [`Tier::Avx512Vnni`] entries, on top of [`plug_avx2`]. Only after [`has_vnni`].
fn plug_vnni(k: &mut Kernels) {
    k.tier = Tier::Avx512Vnni;
    k.matvec_i8 = vnni_matvec_i8;
    k.matvec_i8_packed = vnni_matvec_i8_packed;
    k.quantize_i8 = avx512_quantize_i8;
    k.dequant_i8 = avx512_dequant_i8;
    k.sigmoid = avx512_sigmoid_f32;
    k.tanh = avx512_tanh_f32;
}

/// Every x86-64 table this CPU can run, lowest tier first, so the test suite covers the AVX2
/// int8 body also on a CPU where [`plug`] would pick VNNI.
#[cfg(test)]
pub(super) fn tables() -> heapless::Vec<Kernels, 2> {
    let mut v = heapless::Vec::new();
    if has_avx2_fma() {
        let mut k = Kernels::generic();
        plug_avx2(&mut k);
        let _ = v.push(k);
        if has_vnni() {
            plug_vnni(&mut k);
            let _ = v.push(k);
        }
    }
    v
}

// ---------------------------------------------------------------------------------------------
// f32 matrix-vector product, input-major W[I][O]: y = b + Σ_i x_i · W[i][..]

fn avx2_matvec_f32(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    let cols = y.len();
    if cols == 0 || w.len() != x.len() * cols || b.len() != cols {
        return;
    }
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU; the
    // lengths were checked just above, as `avx2_matvec_f32_tf` requires.
    unsafe { avx2_matvec_f32_tf(w, b, x, y) }
}

/// # Safety
/// AVX2 and FMA present; `cols = y.len() > 0`, `b.len() == cols`, `w.len() == x.len() * cols`.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_matvec_f32_tf(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    let cols = y.len();
    let mut j = 0;
    // SAFETY: each block covers columns j .. j + width with j + width ≤ cols (the loop and
    // `if` conditions), and the slice lengths are the caller's, as the blocks require.
    unsafe {
        while cols - j >= 64 {
            avx2_matvec_f32_8n::<8>(w, b, x, y, j);
            j += 64;
        }
        if cols - j >= 32 {
            avx2_matvec_f32_8n::<4>(w, b, x, y, j);
            j += 32;
        }
        if cols - j >= 16 {
            avx2_matvec_f32_8n::<2>(w, b, x, y, j);
            j += 16;
        }
        if cols - j >= 8 {
            avx2_matvec_f32_8n::<1>(w, b, x, y, j);
            j += 8;
        }
        if j < cols {
            avx2_matvec_f32_tail(w, b, x, y, j);
        }
    }
}

/// Columns `j .. j + 8N`, kept in `N` accumulators across all rows (8 of them hide the
/// 4-cycle FMA latency at 2 FMAs per cycle).
///
/// # Safety
/// As [`avx2_matvec_f32_tf`], and `j + 8 * N <= y.len()`.
#[target_feature(enable = "avx2,fma")]
#[inline]
unsafe fn avx2_matvec_f32_8n<const N: usize>(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32], j: usize) {
    let cols = y.len();
    debug_assert!(j + 8 * N <= cols && b.len() == cols && w.len() == x.len() * cols);
    let mut acc = [_mm256_setzero_ps(); N];
    let (wp, bp, yp) = (w.as_ptr(), b.as_ptr(), y.as_mut_ptr());
    // SAFETY: every offset read or written is below `j + 8N ≤ cols` within a row of `cols`
    // entries: b[j + 8k .. +8], y[j + 8k .. +8] and w[r·cols + j + 8k .. +8] for r < x.len(),
    // all inside their slices by the lengths the caller checked.
    unsafe {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = _mm256_loadu_ps(bp.add(j + 8 * k));
        }
        for (r, &xi) in x.iter().enumerate() {
            let xv = _mm256_set1_ps(xi);
            let row = wp.add(r * cols + j);
            for (k, a) in acc.iter_mut().enumerate() {
                *a = _mm256_fmadd_ps(xv, _mm256_loadu_ps(row.add(8 * k)), *a);
            }
        }
        for (k, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(yp.add(j + 8 * k), *a);
        }
    }
}

/// The last `y.len() − j < 8` columns, with masked loads and stores.
///
/// # Safety
/// As [`avx2_matvec_f32_tf`], and `y.len() - 8 < j < y.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_matvec_f32_tail(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32], j: usize) {
    let cols = y.len();
    let rem = (cols - j) as i32;
    let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    // SAFETY: masked lanes are neither read nor written (and cannot fault); the enabled lanes
    // are columns j .. cols of b, y and each row r < x.len() of w.
    unsafe {
        let mut acc = _mm256_maskload_ps(b.as_ptr().add(j), mask);
        for (r, &xi) in x.iter().enumerate() {
            let wv = _mm256_maskload_ps(w.as_ptr().add(r * cols + j), mask);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(xi), wv, acc);
        }
        _mm256_maskstore_ps(y.as_mut_ptr().add(j), mask, acc);
    }
}

// ---------------------------------------------------------------------------------------------
// int8 matrix-vector product, output-major W[O][I], exact i32 accumulation.

/// One 32-byte step of a dot product: `acc += Σ` of the 32 products `ax · sw`, grouped by 4
/// into the 8 i32 lanes (`ax` unsigned, `sw` signed).
trait DotI8 {
    /// # Safety
    /// The CPU has the instructions of the implementing tier.
    unsafe fn dot(acc: __m256i, ax: __m256i, sw: __m256i) -> __m256i;
}

/// `vpmaddubsw` (u8·i8 pairs → i16) then `vpmaddwd` with ones (i16 pairs → i32).
struct Avx2Dot;

impl DotI8 for Avx2Dot {
    #[inline(always)]
    unsafe fn dot(acc: __m256i, ax: __m256i, sw: __m256i) -> __m256i {
        // SAFETY: only called from `avx2,fma` bodies (the caller's contract).
        unsafe { avx2_dot_i8_32n(acc, ax, sw) }
    }
}

#[target_feature(enable = "avx2,fma")]
#[inline]
fn avx2_dot_i8_32n(acc: __m256i, ax: __m256i, sw: __m256i) -> __m256i {
    let pairs = _mm256_maddubs_epi16(ax, sw);
    _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
}

/// `vpdpbusd`: four u8·i8 products summed into each i32 lane in one instruction.
struct VnniDot;

impl DotI8 for VnniDot {
    #[inline(always)]
    unsafe fn dot(acc: __m256i, ax: __m256i, sw: __m256i) -> __m256i {
        // SAFETY: only called from `avx512vnni,avx512vl` bodies (the caller's contract).
        unsafe { vnni_dot_i8_32n(acc, ax, sw) }
    }
}

#[target_feature(enable = "avx2,fma,avx512vnni,avx512vl")]
#[inline]
fn vnni_dot_i8_32n(acc: __m256i, ax: __m256i, sw: __m256i) -> __m256i {
    _mm256_dpbusd_epi32(acc, ax, sw)
}

/// The shapes [`super::MatvecI8`] accepts; anything else writes nothing.
fn i8_shapes_ok(w: &[i8], x: &[i8], acc: &[i32]) -> bool {
    !x.is_empty() && w.len() == x.len() * acc.len()
}

fn avx2_matvec_i8(w: &[i8], x: &[i8], acc: &mut [i32]) {
    if i8_shapes_ok(w, x, acc) {
        // SAFETY: installed by `plug` only after AVX2 and FMA were detected; shapes checked.
        unsafe { matvec_i8_avx2_tf(w, x, acc) }
    }
}

fn vnni_matvec_i8(w: &[i8], x: &[i8], acc: &mut [i32]) {
    if i8_shapes_ok(w, x, acc) {
        // SAFETY: installed by `plug` only after AVX2, FMA, AVX-512 VNNI and VL were
        // detected; shapes checked.
        unsafe { matvec_i8_vnni_tf(w, x, acc) }
    }
}

/// # Safety
/// AVX2 present; `x.len() > 0`, `w.len() == x.len() * acc.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn matvec_i8_avx2_tf(w: &[i8], x: &[i8], acc: &mut [i32]) {
    // SAFETY: the caller's contract, and AVX2 makes `Avx2Dot` callable.
    unsafe { matvec_i8_body::<Avx2Dot>(w, x, acc) }
}

/// # Safety
/// AVX2, AVX-512 VNNI and VL present; shapes as [`matvec_i8_avx2_tf`].
#[target_feature(enable = "avx2,fma,avx512vnni,avx512vl")]
unsafe fn matvec_i8_vnni_tf(w: &[i8], x: &[i8], acc: &mut [i32]) {
    // SAFETY: the caller's contract, and VNNI + VL make `VnniDot` callable.
    unsafe { matvec_i8_body::<VnniDot>(w, x, acc) }
}

/// Load 32 bytes of `s` from `at`; bytes past the end of `s` read as zero. The slow path,
/// for the few rows of a small matrix where no 32-byte window around the row fits in `w`.
///
/// # Safety
/// AVX2 present; `at < s.len()`.
#[inline(never)]
unsafe fn load_i8_32_padded(s: &[i8], at: usize) -> __m256i {
    let mut buf = [0i8; 32];
    let n = (s.len() - at).min(32);
    buf[..n].copy_from_slice(&s[at..at + n]);
    // SAFETY: `buf` holds 32 bytes.
    unsafe { _mm256_loadu_si256(buf.as_ptr().cast()) }
}

/// Sum each of 8 vectors of 8 i32 into one lane each: `[Σa0, Σa1, …, Σa7]`.
#[inline(always)]
fn reduce8(a: &[__m256i; 8]) -> __m256i {
    // SAFETY: only inlined into `avx2` bodies (every caller is `matvec_i8_body`, whose
    // contract is AVX2).
    unsafe {
        let s01 = _mm256_hadd_epi32(a[0], a[1]);
        let s23 = _mm256_hadd_epi32(a[2], a[3]);
        let s45 = _mm256_hadd_epi32(a[4], a[5]);
        let s67 = _mm256_hadd_epi32(a[6], a[7]);
        let t0 = _mm256_hadd_epi32(s01, s23); // [Σa0..3 low halves | Σa0..3 high halves]
        let t1 = _mm256_hadd_epi32(s45, s67);
        let lo = _mm256_permute2x128_si256::<0x20>(t0, t1);
        let hi = _mm256_permute2x128_si256::<0x31>(t0, t1);
        _mm256_add_epi32(lo, hi)
    }
}

/// Sum each 128-bit half of 4 vectors `[rows 2k | 2k+1]` into one lane per row:
/// `[Σr0, …, Σr7]`.
#[inline(always)]
fn reduce4x2(a: &[__m256i; 4]) -> __m256i {
    // SAFETY: only inlined into `avx2` bodies, as `reduce8`.
    unsafe {
        let h01 = _mm256_hadd_epi32(a[0], a[1]);
        let h23 = _mm256_hadd_epi32(a[2], a[3]);
        let h = _mm256_hadd_epi32(h01, h23); // [r0 r2 r4 r6 | r1 r3 r5 r7]
        _mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
    }
}

/// Sum the 8 i32 lanes of one vector.
#[inline(always)]
fn reduce1(a: __m256i) -> i32 {
    // SAFETY: only inlined into `avx2` bodies, as `reduce8`.
    unsafe {
        let s = _mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256::<1>(a));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
        _mm_cvtsi128_si32(s)
    }
}

/// The operands of one 32-byte step: `x·w` as unsigned `|x|` times `sign(w, x)`, or, when
/// the whole input is non-negative (every ReLU output), plain `x` times `w`.
#[inline(always)]
fn operands<const SIGNED: bool>(xv: __m256i, wv: __m256i) -> (__m256i, __m256i) {
    if SIGNED {
        // SAFETY: only inlined into `avx2` bodies (every caller is `matvec_i8_rows`).
        unsafe { (_mm256_abs_epi8(xv), _mm256_sign_epi8(wv, xv)) }
    } else {
        (xv, wv)
    }
}

/// Rows in groups of 8 (one accumulator each, reduced together), then single rows; inputs in
/// 32-byte chunks. A partial last chunk is read as the 32-byte window that starts at the
/// chunk (`x` zero-padded after the tail) or, near the end of `w`, the window that ends with
/// the row (`x` zero-padded before the tail): the bytes of neighbouring rows it also reads
/// meet zeros of `x` (`sign(w, 0) = 0`, `0 · w = 0`), so they add nothing.
///
/// # Safety
/// AVX2 and whatever `D` needs are present; `x.len() > 0`, `w.len() == x.len() * acc.len()`.
#[inline(always)]
unsafe fn matvec_i8_body<D: DotI8>(w: &[i8], x: &[i8], acc: &mut [i32]) {
    if w.len() < 32 {
        super::generic::matvec_i8_body(w, x, acc);
        return;
    }
    let nonneg = x.iter().fold(0u8, |a, &v| a | v as u8) & 0x80 == 0;
    // SAFETY: the caller's contract, passed on.
    unsafe { if nonneg { matvec_i8_rows::<D, false>(w, x, acc) } else { matvec_i8_rows::<D, true>(w, x, acc) } }
}

/// # Safety
/// As [`matvec_i8_body`], and `w.len() >= 32`; if `!SIGNED`, every `x ≥ 0`.
#[inline(always)]
unsafe fn matvec_i8_rows<D: DotI8, const SIGNED: bool>(w: &[i8], x: &[i8], acc: &mut [i32]) {
    let (cols, rows, len) = (x.len(), acc.len(), w.len());
    let full = cols / 32;
    let tail = cols % 32;
    let wp = w.as_ptr();
    // Where row `r`'s partial chunk is read, and with which x: forward from the chunk while
    // that stays inside `w`, else backward from the row's end while that does, else neither.
    let fwd = |r: usize| r * cols + 32 * full + 32 <= len;
    let bwd = |r: usize| (r + 1) * cols >= 32;
    // SAFETY (whole body): AVX2 is present (contract). Full chunks read
    // w[row·cols + 32c .. +32] with 32c + 32 ≤ cols, inside row `row < rows`; partial chunks
    // and narrow rows read a window checked by `fwd` / `bwd` or the inline conditions (or the
    // padded copy); x chunks read x[32c .. +32] with 32c + 32 ≤ cols, and x windows read the
    // 64-byte `xt`; stores go to acc[o .. o + 8] with o + 8 ≤ rows.
    unsafe {
        // One zero-padded copy of the partial chunk, at offset 32 of a 64-byte buffer: read at
        // 32 it is the chunk followed by zeros, read further left it is zeros then the chunk.
        // Every x window below comes from it (one small copy per call instead of one each).
        let mut xt = [0i8; 64];
        if tail > 0 {
            xt[32..32 + tail].copy_from_slice(&x[32 * full..]);
        }
        let xtp = xt.as_ptr();
        let x_fwd = _mm256_loadu_si256(xtp.add(32).cast());
        let x_bwd = _mm256_loadu_si256(xtp.add(tail).cast());

        // Narrow rows (≤ 16 inputs, the first layer of every model): two rows per vector, one
        // 16-byte window each, half the dot products and a shorter reduction.
        let narrow = if cols <= 16 {
            let fwd16 = _mm_loadu_si128(xtp.add(32).cast());
            let bwd16 = _mm_loadu_si128(xtp.add(16 + cols).cast());
            Some((_mm256_set_m128i(fwd16, fwd16), _mm256_set_m128i(bwd16, bwd16)))
        } else {
            None
        };
        // Very narrow rows (≤ 8 inputs, the LSTM's 5): four rows per vector, 8 bytes each.
        let narrow8 = if cols <= 8 {
            let fwd8 = xtp.add(32).cast::<i64>().read_unaligned();
            let bwd8 = xtp.add(24 + cols).cast::<i64>().read_unaligned();
            Some((_mm256_set1_epi64x(fwd8), _mm256_set1_epi64x(bwd8)))
        } else {
            None
        };
        let mut o = 0;
        while o + 8 <= rows {
            if let Some((xf, xb)) = narrow8 {
                let window = if (o + 7) * cols + 8 <= len {
                    Some((o * cols, xf))
                } else if (o + 1) * cols >= 8 {
                    Some(((o + 1) * cols - 8, xb))
                } else {
                    None
                };
                if let Some((at, xv)) = window {
                    let row = |r: usize| wp.add(at + r * cols).cast::<i64>().read_unaligned();
                    let v0 = _mm256_setr_epi64x(row(0), row(1), row(2), row(3));
                    let v1 = _mm256_setr_epi64x(row(4), row(5), row(6), row(7));
                    let (a0, b0) = operands::<SIGNED>(xv, v0);
                    let (a1, b1) = operands::<SIGNED>(xv, v1);
                    let z = _mm256_setzero_si256();
                    let h = _mm256_hadd_epi32(D::dot(z, a0, b0), D::dot(z, a1, b1));
                    // [r0 r1 r4 r5 | r2 r3 r6 r7] → [r0 … r7]
                    let h = _mm256_permutevar8x32_epi32(h, _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
                    _mm256_storeu_si256(acc.as_mut_ptr().add(o).cast(), h);
                    o += 8;
                    continue;
                }
            }
            if let Some((xf, xb)) = narrow {
                // Windows of 16 bytes: forward from each row while the last one fits in `w`,
                // else backward from each row's end while the first one does.
                let window = if (o + 7) * cols + 16 <= len {
                    Some((o * cols, xf))
                } else if (o + 1) * cols >= 16 {
                    Some(((o + 1) * cols - 16, xb))
                } else {
                    None
                };
                if let Some((at, xv)) = window {
                    let mut s = [_mm256_setzero_si256(); 4];
                    for (k, sk) in s.iter_mut().enumerate() {
                        let lo = wp.add(at + 2 * k * cols);
                        let wv = _mm256_loadu2_m128i(lo.add(cols).cast(), lo.cast());
                        let (a, b) = operands::<SIGNED>(xv, wv);
                        *sk = D::dot(*sk, a, b);
                    }
                    _mm256_storeu_si256(acc.as_mut_ptr().add(o).cast(), reduce4x2(&s));
                    o += 8;
                    continue;
                }
            }
            let mut s = [_mm256_setzero_si256(); 8];
            for c in 0..full {
                let xv = _mm256_loadu_si256(x.as_ptr().add(32 * c).cast());
                for (r, sr) in s.iter_mut().enumerate() {
                    let wv = _mm256_loadu_si256(wp.add((o + r) * cols + 32 * c).cast());
                    let (a, b) = operands::<SIGNED>(xv, wv);
                    *sr = D::dot(*sr, a, b);
                }
            }
            if tail > 0 {
                let (at, xv) = if fwd(o + 7) {
                    (o * cols + 32 * full, x_fwd)
                } else if bwd(o) {
                    ((o + 1) * cols - 32, x_bwd)
                } else {
                    (usize::MAX, x_fwd)
                };
                if at != usize::MAX {
                    for (r, sr) in s.iter_mut().enumerate() {
                        let wv = _mm256_loadu_si256(wp.add(at + r * cols).cast());
                        let (a, b) = operands::<SIGNED>(xv, wv);
                        *sr = D::dot(*sr, a, b);
                    }
                } else {
                    for (r, sr) in s.iter_mut().enumerate() {
                        let wv = load_i8_32_padded(w, (o + r) * cols + 32 * full);
                        let (a, b) = operands::<SIGNED>(xv, wv);
                        *sr = D::dot(*sr, a, b);
                    }
                }
            }
            _mm256_storeu_si256(acc.as_mut_ptr().add(o).cast(), reduce8(&s));
            o += 8;
        }
        for (r, a) in acc.iter_mut().enumerate().skip(o) {
            let mut s = _mm256_setzero_si256();
            for c in 0..full {
                let xv = _mm256_loadu_si256(x.as_ptr().add(32 * c).cast());
                let wv = _mm256_loadu_si256(wp.add(r * cols + 32 * c).cast());
                let (a, b) = operands::<SIGNED>(xv, wv);
                s = D::dot(s, a, b);
            }
            if tail > 0 {
                let (wv, xv) = if fwd(r) {
                    (_mm256_loadu_si256(wp.add(r * cols + 32 * full).cast()), x_fwd)
                } else if bwd(r) {
                    (_mm256_loadu_si256(wp.add((r + 1) * cols - 32).cast()), x_bwd)
                } else {
                    (load_i8_32_padded(w, r * cols + 32 * full), x_fwd)
                };
                let (a, b) = operands::<SIGNED>(xv, wv);
                s = D::dot(s, a, b);
            }
            *a = reduce1(s);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// int8 matrix-vector product over the packed layout of `super::packed_index`.

/// The shapes [`super::MatvecI8Packed`] accepts; anything else writes nothing.
fn packed_shapes_ok(w: &[i8], x: &[i8], acc: &[i32]) -> bool {
    super::packs(acc.len(), x.len()) && w.len() == x.len() * acc.len()
}

fn avx2_matvec_i8_packed(w: &[i8], x: &[i8], acc: &mut [i32]) {
    if packed_shapes_ok(w, x, acc) {
        // SAFETY: installed by `plug` only after AVX2 and FMA were detected; shapes checked.
        unsafe { packed_avx2_tf(w, x, acc) }
    }
}

fn vnni_matvec_i8_packed(w: &[i8], x: &[i8], acc: &mut [i32]) {
    if packed_shapes_ok(w, x, acc) {
        // SAFETY: installed by `plug` only after AVX2, FMA, AVX-512 F, VNNI and VL were
        // detected; shapes checked.
        unsafe { packed_vnni512_tf(w, x, acc) }
    }
}

/// # Safety
/// AVX2 present; shapes as [`packed_shapes_ok`].
#[target_feature(enable = "avx2,fma")]
unsafe fn packed_avx2_tf(w: &[i8], x: &[i8], acc: &mut [i32]) {
    // SAFETY: the caller's contract; AVX2 makes the sign-trick body callable.
    unsafe { packed_bands::<Avx2Band>(w, x, acc) }
}

/// One band of `N` tiles of the packed product: [`packed_bands`] picks `N`.
trait PackedBand {
    /// Whether the stored bytes are multiplied as unsigned (`w + 128`), so that the sums start
    /// at `−128 · Σx`.
    const UNSIGNED: bool;
    /// # Safety
    /// As [`packed_band`].
    unsafe fn band<const N: usize>(w: *const i8, start: i32, x: &[i8], acc: *mut i32);
}

/// 256-bit `vpmaddubsw` with the sign trick ([`packed_band`]).
struct Avx2Band;

impl PackedBand for Avx2Band {
    const UNSIGNED: bool = false;
    #[inline(always)]
    unsafe fn band<const N: usize>(w: *const i8, start: i32, x: &[i8], acc: *mut i32) {
        // SAFETY: the caller's contract.
        unsafe { packed_band::<Avx2Dot, false, N>(w, start, x, acc) }
    }
}

/// 512-bit `vpdpbusd` ([`packed_band512`]).
struct Vnni512Band;

impl PackedBand for Vnni512Band {
    const UNSIGNED: bool = true;
    #[inline(always)]
    unsafe fn band<const N: usize>(w: *const i8, start: i32, x: &[i8], acc: *mut i32) {
        // SAFETY: the caller's contract.
        unsafe { packed_band512::<N>(w, start, x, acc) }
    }
}

/// Band by band (64 outputs, or what is left), one `B::band` each.
///
/// # Safety
/// As the `_tf` callers: their CPU features, shapes as [`packed_shapes_ok`].
#[inline(always)]
unsafe fn packed_bands<B: PackedBand>(w: &[i8], x: &[i8], acc: &mut [i32]) {
    use super::{PACKED_ROWS, PACKED_TILES};
    let cols = x.len();
    let band_rows = PACKED_ROWS * PACKED_TILES;
    // What the unsigned weights `w + 128` add to every sum, taken back out at the start (the
    // AVX2 body multiplies signed weights and needs no correction).
    let start = if B::UNSIGNED { -128 * x.iter().map(|&v| i32::from(v)).sum::<i32>() } else { 0 };
    let mut o = 0;
    while o < acc.len() {
        let tiles = (acc.len() - o).min(band_rows) / PACKED_ROWS;
        // SAFETY: rows o .. o + 8·tiles lie inside `acc`, and their weights are the
        // 8·tiles·cols bytes of `w` from o·cols (the layout of `packed_index`).
        unsafe {
            let (wp, ap) = (w.as_ptr().add(o * cols), acc.as_mut_ptr().add(o));
            match tiles {
                8 => B::band::<8>(wp, start, x, ap),
                7 => B::band::<7>(wp, start, x, ap),
                6 => B::band::<6>(wp, start, x, ap),
                5 => B::band::<5>(wp, start, x, ap),
                4 => B::band::<4>(wp, start, x, ap),
                3 => B::band::<3>(wp, start, x, ap),
                2 => B::band::<2>(wp, start, x, ap),
                _ => B::band::<1>(wp, start, x, ap),
            }
        }
        o += tiles * PACKED_ROWS;
    }
}

/// `N` tiles of 8 outputs, one accumulator each, over every group of 4 inputs: the group is
/// broadcast to all lanes and meets each tile's 32 bytes in one dot step. `UNSIGNED` (VNNI):
/// the stored bytes are the unsigned operand as they are, the signed input the other, and the
/// sums start at `start = −128 · Σ x`, which takes the `+ 128` of every weight back out,
/// exactly; otherwise (AVX2) the weights get their sign bits back and meet the input through
/// the sign trick of [`operands`], from zero.
///
/// # Safety
/// The CPU features of `D`; `w` points at the band's `8·N·x.len()` bytes, `acc` at its `8·N`
/// entries.
#[inline(always)]
unsafe fn packed_band<D: DotI8, const UNSIGNED: bool, const N: usize>(
    w: *const i8,
    start: i32,
    x: &[i8],
    acc: *mut i32,
) {
    // SAFETY (whole body): AVX2 is present (every `D` implies it); reads stay in the band's
    // weights (group g, tile t at (g·N + t)·32, g < x.len()/4) and x's groups; writes 8·N
    // entries of `acc`.
    unsafe {
        let mut a = [if UNSIGNED { _mm256_set1_epi32(start) } else { _mm256_setzero_si256() }; N];
        let flip = _mm256_set1_epi8(i8::MIN);
        let xp = x.as_ptr().cast::<i32>();
        for g in 0..x.len() / super::PACKED_COLS {
            let xs = _mm256_set1_epi32(xp.add(g).read_unaligned());
            let row = w.add(g * N * 32);
            for (t, at) in a.iter_mut().enumerate() {
                let wv = _mm256_loadu_si256(row.add(32 * t).cast());
                *at = if UNSIGNED {
                    D::dot(*at, wv, xs)
                } else {
                    let (ax, sw) = operands::<true>(xs, _mm256_xor_si256(wv, flip));
                    D::dot(*at, ax, sw)
                };
            }
        }
        for (t, at) in a.iter().enumerate() {
            _mm256_storeu_si256(acc.add(8 * t).cast(), *at);
        }
    }
}

/// The packed product with 512-bit `vpdpbusd` ([`Vnni512Band`]): the same layout and the same
/// exact sums as the AVX2 body, two tiles (16 outputs) per instruction, and the groups of 4
/// inputs split between two accumulator sets (even and odd groups) so that the dot steps of one
/// set do not wait on the previous step's latency.
///
/// # Safety
/// AVX2, AVX-512 F, VNNI and VL present; shapes as [`packed_shapes_ok`].
#[target_feature(enable = "avx2,fma,avx512f,avx512vnni,avx512vl")]
unsafe fn packed_vnni512_tf(w: &[i8], x: &[i8], acc: &mut [i32]) {
    // SAFETY: the caller's contract; AVX-512 F, VNNI and VL make the 512-bit body callable.
    unsafe { packed_bands::<Vnni512Band>(w, x, acc) }
}

/// `N` tiles of 8 outputs as [`packed_band`] computes them (VNNI, unsigned stored weights, sums
/// starting at `start`): tiles `2p` and `2p + 1` of a group are 64 contiguous bytes, one
/// 512-bit step; an odd last tile takes a 256-bit step. Accumulator set 0 takes the even
/// groups, set 1 the odd ones; they are added at the end.
///
/// # Safety
/// AVX-512 F, VNNI and VL present; `w` points at the band's `8·N·x.len()` bytes, `acc` at its
/// `8·N` entries.
#[inline(always)]
unsafe fn packed_band512<const N: usize>(w: *const i8, start: i32, x: &[i8], acc: *mut i32) {
    const PAIRS: usize = super::PACKED_TILES / 2;
    let pairs = N / 2;
    let odd = N % 2 == 1;
    // SAFETY (whole body): the features of the `_tf` caller; reads stay in the band's weights
    // (group g, tile t at (g·N + t)·32, g < x.len()/4) and x's groups; writes 8·N entries of
    // `acc`.
    unsafe {
        // Every output's sum starts at `start` once: in set 0.
        let mut a0 = [_mm512_set1_epi32(start); PAIRS];
        let mut a1 = [_mm512_setzero_si512(); PAIRS];
        let (mut t0, mut t1) = (_mm256_set1_epi32(start), _mm256_setzero_si256());
        let xp = x.as_ptr().cast::<i32>();
        let groups = x.len() / super::PACKED_COLS;
        let step = |g: usize, a: &mut [__m512i; PAIRS], t: &mut __m256i| {
            let xv = xp.add(g).read_unaligned();
            let row = w.add(g * N * 32);
            let xs = _mm512_set1_epi32(xv);
            for (p, ap) in a.iter_mut().enumerate().take(pairs) {
                let wv = _mm512_loadu_si512(row.add(64 * p).cast());
                *ap = _mm512_dpbusd_epi32(*ap, wv, xs);
            }
            if odd {
                let wv = _mm256_loadu_si256(row.add(64 * pairs).cast());
                *t = _mm256_dpbusd_epi32(*t, wv, _mm256_set1_epi32(xv));
            }
        };
        let mut g = 0;
        while g + 1 < groups {
            step(g, &mut a0, &mut t0);
            step(g + 1, &mut a1, &mut t1);
            g += 2;
        }
        if g < groups {
            step(g, &mut a0, &mut t0);
        }
        for p in 0..pairs {
            _mm512_storeu_si512(acc.add(16 * p).cast(), _mm512_add_epi32(a0[p], a1[p]));
        }
        if odd {
            _mm256_storeu_si256(acc.add(16 * pairs).cast(), _mm256_add_epi32(t0, t1));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// int8 quantisation of activations, bit-identical to `crate::quant::quantize_vec`.

fn avx2_quantize_i8(x: &[f32], out: &mut [i8]) -> f32 {
    if out.len() != x.len() {
        return crate::quant::quantize_vec(x, out);
    }
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected; equal lengths.
    unsafe { avx2_quantize_i8_tf(x, out) }
}

/// Same steps as the scalar version, 8 lanes at a time: max of the finite `|x|`, then per
/// value `min(|x/s|, 127) + 0.5` truncated (that is the floor: the value is positive), the
/// sign put back, non-finite inputs zeroed, and the i32 lanes packed down to i8.
///
/// # Safety
/// AVX2 present; `out.len() == x.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_quantize_i8_tf(x: &[f32], out: &mut [i8]) -> f32 {
    let sign = _mm256_set1_ps(-0.0);
    let big = _mm256_set1_ps(f32::MAX);
    let mut chunks = x.chunks_exact(8);
    let mut mv = _mm256_setzero_ps();
    for c in &mut chunks {
        // SAFETY: `c` holds exactly 8 f32.
        let v = unsafe { _mm256_loadu_ps(c.as_ptr()) };
        let a = _mm256_andnot_ps(sign, v);
        let finite = _mm256_cmp_ps::<_CMP_LE_OQ>(a, big);
        mv = _mm256_max_ps(mv, _mm256_and_ps(a, finite));
    }
    let mut lanes = [0.0f32; 8];
    // SAFETY: `lanes` holds 8 f32.
    unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), mv) };
    let mut m = lanes.iter().fold(0.0f32, |a, &b| if b > a { b } else { a });
    for &v in chunks.remainder() {
        m = crate::quant::max_finite_abs(m, v);
    }
    let s = crate::quant::scale_for(m);
    let inv = 1.0 / s;

    let vinv = _mm256_set1_ps(inv);
    let (q127, half) = (_mm256_set1_ps(crate::quant::QMAX), _mm256_set1_ps(0.5));
    let mut xs = x.chunks_exact(8);
    let mut os = out.chunks_exact_mut(8);
    for (c, o) in (&mut xs).zip(&mut os) {
        // SAFETY: `c` holds exactly 8 f32.
        let v = unsafe { _mm256_loadu_ps(c.as_ptr()) };
        let t = _mm256_mul_ps(v, vinv);
        let y = _mm256_add_ps(_mm256_min_ps(_mm256_andnot_ps(sign, t), q127), half);
        let n = _mm256_sign_epi32(_mm256_cvttps_epi32(y), _mm256_castps_si256(t));
        let finite = _mm256_cmp_ps::<_CMP_LE_OQ>(_mm256_andnot_ps(sign, v), big);
        let n = _mm256_and_si256(n, _mm256_castps_si256(finite));
        let n16 = _mm_packs_epi32(_mm256_castsi256_si128(n), _mm256_extracti128_si256::<1>(n));
        let n8 = _mm_packs_epi16(n16, n16);
        // SAFETY: `o` holds exactly 8 bytes.
        unsafe { _mm_storel_epi64(o.as_mut_ptr().cast(), n8) };
    }
    for (o, &v) in os.into_remainder().iter_mut().zip(xs.remainder()) {
        *o = crate::quant::round_clamped(v * inv, v.is_finite());
    }
    s
}

fn avx512_quantize_i8(x: &[f32], out: &mut [i8]) -> f32 {
    if out.len() != x.len() {
        return crate::quant::quantize_vec(x, out);
    }
    // SAFETY: installed by `plug` only after AVX-512 F, BW and VL were detected; equal lengths.
    unsafe { avx512_quantize_i8_tf(x, out) }
}

/// The lanes of a 16-lane step that lie inside a slice with `left` values from the step on.
#[inline(always)]
fn mask16(left: usize) -> __mmask16 {
    if left >= 16 { u16::MAX } else { (1u16 << left) - 1 }
}

/// [`avx2_quantize_i8_tf`] 16 lanes at a time, the last step masked (no scalar tail): the
/// same float operations in the same order, so the same bytes and scale.
///
/// # Safety
/// AVX-512 F, BW and VL present; `out.len() == x.len()`.
#[target_feature(enable = "avx2,fma,avx512f,avx512bw,avx512vl")]
unsafe fn avx512_quantize_i8_tf(x: &[f32], out: &mut [i8]) -> f32 {
    let n = x.len();
    let big = _mm512_set1_ps(f32::MAX);
    let mut mv = _mm512_setzero_ps();
    let mut i = 0;
    while i < n {
        let k = mask16(n - i);
        // SAFETY: the masked lanes lie inside `x` (masked-off lanes are not read).
        let v = unsafe { _mm512_maskz_loadu_ps(k, x.as_ptr().add(i)) };
        let a = _mm512_abs_ps(v);
        let finite = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(a, big);
        mv = _mm512_mask_max_ps(mv, finite, mv, a);
        i += 16;
    }
    let s = crate::quant::scale_for(_mm512_reduce_max_ps(mv));
    let inv = _mm512_set1_ps(1.0 / s);
    let (q127, half, zero) = (_mm512_set1_ps(crate::quant::QMAX), _mm512_set1_ps(0.5), _mm512_setzero_si512());
    let mut i = 0;
    while i < n {
        let k = mask16(n - i);
        // SAFETY: as above.
        let v = unsafe { _mm512_maskz_loadu_ps(k, x.as_ptr().add(i)) };
        let t = _mm512_mul_ps(v, inv);
        let y = _mm512_add_ps(_mm512_min_ps(_mm512_abs_ps(t), q127), half);
        let q = _mm512_cvttps_epi32(y);
        let negative = _mm512_cmplt_epi32_mask(_mm512_castps_si512(t), zero);
        let q = _mm512_mask_sub_epi32(q, negative, zero, q);
        let finite = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(_mm512_abs_ps(v), big);
        let bytes = _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32(finite, q));
        // SAFETY: the masked lanes lie inside `out`.
        unsafe { _mm_mask_storeu_epi8(out.as_mut_ptr().add(i), k, bytes) };
        i += 16;
    }
    s
}

fn avx512_dequant_i8(acc: &[i32], scale: &[f32], x_scale: f32, bias: &[f32], y: &mut [f32], add: bool) {
    let n = y.len();
    if acc.len() != n || scale.len() != n || bias.len() != n {
        return;
    }
    // SAFETY: installed by `plug` only after AVX-512 F was detected; equal lengths.
    unsafe { avx512_dequant_i8_tf(acc, scale, x_scale, bias, y, add) }
}

/// [`crate::quant::dequant`] 16 lanes at a time, the last step masked: the same multiplies
/// and adds in the same order.
///
/// # Safety
/// AVX-512 F present; every slice as long as `y`.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn avx512_dequant_i8_tf(acc: &[i32], scale: &[f32], x_scale: f32, bias: &[f32], y: &mut [f32], add: bool) {
    let n = y.len();
    let xs = _mm512_set1_ps(x_scale);
    let mut i = 0;
    while i < n {
        let k = mask16(n - i);
        // SAFETY: the masked lanes lie inside the slices, which are all `n` long.
        unsafe {
            let a = _mm512_cvtepi32_ps(_mm512_maskz_loadu_epi32(k, acc.as_ptr().add(i)));
            let s = _mm512_maskz_loadu_ps(k, scale.as_ptr().add(i));
            let b = _mm512_maskz_loadu_ps(k, bias.as_ptr().add(i));
            let mut v = _mm512_add_ps(_mm512_mul_ps(a, _mm512_mul_ps(s, xs)), b);
            if add {
                v = _mm512_add_ps(_mm512_maskz_loadu_ps(k, y.as_ptr().add(i)), v);
            }
            _mm512_mask_storeu_ps(y.as_mut_ptr().add(i), k, v);
        }
        i += 16;
    }
}

// ---------------------------------------------------------------------------------------------
// Layer normalisation then ReLU, bit-identical to `crate::layers::layer_norm_relu`.

fn avx2_layer_norm_relu(x: &mut [f32], gamma: &[f32], beta: &[f32]) {
    if x.is_empty() || gamma.len() != x.len() || beta.len() != x.len() {
        return;
    }
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected; equal lengths.
    unsafe { avx2_layer_norm_relu_tf(x, gamma, beta) }
}

/// The generic body's 32 partial sums are the lanes of four vectors: block by block of 32
/// values, the remainder into the first lanes (whole vectors, then one masked load that adds
/// exact zeros elsewhere), combined in the generic order; the normalisation is
/// `((x − mean) · inv) · γ + β` with separate multiplies and adds, then `max(·, 0)` (which maps
/// NaN and −0 to +0, as the scalar ReLU).
///
/// # Safety
/// AVX2 present; `x`, `gamma` and `beta` of one non-zero length.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_layer_norm_relu_tf(x: &mut [f32], gamma: &[f32], beta: &[f32]) {
    let n = x.len();
    let full = n / 8 * 8;
    let tail = n - full;
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail as i32), lanes);
    let xp = x.as_mut_ptr();
    // SAFETY (every load and store below): vectors of 8 at `j < full` lie inside the slices;
    // the tail is read through the mask of its `tail` lanes.
    let load = |j: usize| unsafe { _mm256_loadu_ps(xp.add(j)) };
    // SAFETY: as above.
    let mean = unsafe { lane_sum_avx2::<false>(xp, full, keep, _mm256_setzero_ps()) } / n as f32;
    let vmean = _mm256_set1_ps(mean);
    // SAFETY: as above.
    let var = unsafe { lane_sum_avx2::<true>(xp, full, keep, vmean) } / n as f32;
    // `1 / sqrt(var + ε)` as the generic body computes it, with the VEX-encoded square root:
    // libm's `sqrtss` is the legacy SSE encoding, and running it with the upper halves of the
    // vector registers in use stalls (it made this kernel 3× slower on an Intel Xeon).
    let inv = 1.0 / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(var + crate::layers::LAYER_NORM_EPS)));
    let vinv = _mm256_set1_ps(inv);
    let zero = _mm256_setzero_ps();
    for j in (0..full).step_by(8) {
        // SAFETY: as above.
        unsafe {
            let g = _mm256_loadu_ps(gamma.as_ptr().add(j));
            let b = _mm256_loadu_ps(beta.as_ptr().add(j));
            let y = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(_mm256_sub_ps(load(j), vmean), vinv), g), b);
            _mm256_storeu_ps(xp.add(j), _mm256_max_ps(y, zero));
        }
    }
    for ((v, g), b) in x[full..].iter_mut().zip(&gamma[full..]).zip(&beta[full..]) {
        *v = crate::math::relu((*v - mean) * inv * g + b);
    }
}

/// `Σ x_i` (or, with `SQUARES`, `Σ (x_i − m)²`) over the `full` values at `xp` and the tail
/// lanes `keep` after them, in the four vectors of `crate::layers::lane_sum` (vector k takes
/// values 8k..8k+8 of each block of 32), then combined in its order.
///
/// # Safety
/// AVX2 present; `xp` points at `full` values followed by the lanes set in `keep`.
#[inline(always)]
unsafe fn lane_sum_avx2<const SQUARES: bool>(xp: *const f32, full: usize, keep: __m256i, m: __m256) -> f32 {
    // SAFETY (whole body): the caller's contract.
    unsafe {
        let f = |v: __m256, m: __m256| {
            if SQUARES {
                let d = _mm256_sub_ps(v, m);
                _mm256_mul_ps(d, d)
            } else {
                v
            }
        };
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut j = 0;
        while j + 32 <= full {
            for (k, a) in acc.iter_mut().enumerate() {
                *a = _mm256_add_ps(*a, f(_mm256_loadu_ps(xp.add(j + 8 * k)), m));
            }
            j += 32;
        }
        let mut k = 0;
        while j < full {
            acc[k] = _mm256_add_ps(acc[k], f(_mm256_loadu_ps(xp.add(j)), m));
            j += 8;
            k += 1;
        }
        if _mm256_testz_si256(keep, keep) == 0 {
            let v = f(_mm256_maskload_ps(xp.add(full), keep), m);
            acc[k] = _mm256_add_ps(acc[k], _mm256_and_ps(v, _mm256_castsi256_ps(keep)));
        }
        let g = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
        let mut a = [0.0f32; 8];
        _mm256_storeu_ps(a.as_mut_ptr(), g);
        crate::layers::combine8(&a)
    }
}

// ---------------------------------------------------------------------------------------------
// Activations: the polynomial exp of `crate::math::exp`, 8 lanes at a time.

/// `e^x` for 8 lanes, as [`crate::math::exp`] (clamp to [−87, 88], Cody–Waite reduction,
/// degree-6 polynomial, exponent bits); NaN stays NaN.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn avx2_exp_f32_8(x: __m256) -> __m256 {
    // max/min return their second operand when one is NaN, so NaN passes through.
    let x = _mm256_min_ps(_mm256_set1_ps(88.0), _mm256_max_ps(_mm256_set1_ps(-87.0), x));
    use crate::math::{EXP_POLY, LN2_HI, LN2_LO, ROUND_MAGIC};
    let magic = _mm256_set1_ps(ROUND_MAGIC);
    let t = _mm256_fmadd_ps(x, _mm256_set1_ps(core::f32::consts::LOG2_E), magic);
    let n = _mm256_sub_ps(t, magic);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
    let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
    let mut p = _mm256_set1_ps(EXP_POLY[0]);
    for c in &EXP_POLY[1..] {
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(*c));
    }
    let p = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0));
    let e = _mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)));
    _mm256_mul_ps(p, _mm256_castsi256_ps(e))
}

/// Apply an 8-lane function in place; the last `len % 8` values take the scalar function.
///
/// # Safety
/// AVX2 and FMA present.
#[inline(always)]
unsafe fn map_f32_8n(xs: &mut [f32], v: impl Fn(__m256) -> __m256, s: impl Fn(f32) -> f32) {
    let mut chunks = xs.chunks_exact_mut(8);
    for c in &mut chunks {
        // SAFETY: `c` holds exactly 8 f32; AVX is present (contract).
        unsafe { _mm256_storeu_ps(c.as_mut_ptr(), v(_mm256_loadu_ps(c.as_ptr()))) };
    }
    for x in chunks.into_remainder() {
        *x = s(*x);
    }
}

fn avx2_sigmoid_f32(xs: &mut [f32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_sigmoid_f32_tf(xs) }
}

/// # Safety
/// AVX2 and FMA present.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_sigmoid_f32_tf(xs: &mut [f32]) {
    // SAFETY: AVX2 and FMA are present (contract).
    unsafe { map_f32_8n(xs, |x| avx2_sigmoid_f32_8(x), crate::math::sigmoid) }
}

/// `1 / (1 + e^−x)` for 8 lanes.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn avx2_sigmoid_f32_8(x: __m256) -> __m256 {
    let one = _mm256_set1_ps(1.0);
    let e = avx2_exp_f32_8(_mm256_sub_ps(_mm256_setzero_ps(), x));
    _mm256_div_ps(one, _mm256_add_ps(one, e))
}

/// `sign(x) · (1 − e^{−2|x|}) / (1 + e^{−2|x|})` for 8 lanes.
#[target_feature(enable = "avx2,fma")]
#[inline]
fn avx2_tanh_f32_8(x: __m256) -> __m256 {
    let one = _mm256_set1_ps(1.0);
    let sign = _mm256_set1_ps(-0.0);
    let ax = _mm256_andnot_ps(sign, x);
    let e = avx2_exp_f32_8(_mm256_mul_ps(_mm256_set1_ps(-2.0), ax));
    let t = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    _mm256_or_ps(t, _mm256_and_ps(sign, x))
}

fn avx2_tanh_f32(xs: &mut [f32]) {
    // SAFETY: installed by `plug` only after AVX2 and FMA were detected on this CPU.
    unsafe { avx2_tanh_f32_tf(xs) }
}

/// # Safety
/// AVX2 and FMA present.
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_tanh_f32_tf(xs: &mut [f32]) {
    // SAFETY: AVX2 and FMA are present (contract).
    unsafe { map_f32_8n(xs, |x| avx2_tanh_f32_8(x), crate::math::tanh) }
}

// ---------------------------------------------------------------------------------------------
// Activations on 16 lanes (AVX-512 F), for the VNNI tier.

/// [`avx2_exp_f32_8`] on 16 lanes (the same operations, so the same results).
#[target_feature(enable = "avx2,fma,avx512f")]
#[inline]
fn avx512_exp_f32_16(x: __m512) -> __m512 {
    let x = _mm512_min_ps(_mm512_set1_ps(88.0), _mm512_max_ps(_mm512_set1_ps(-87.0), x));
    use crate::math::{EXP_POLY, LN2_HI, LN2_LO, ROUND_MAGIC};
    let magic = _mm512_set1_ps(ROUND_MAGIC);
    let t = _mm512_fmadd_ps(x, _mm512_set1_ps(core::f32::consts::LOG2_E), magic);
    let n = _mm512_sub_ps(t, magic);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_HI), x);
    let r = _mm512_fnmadd_ps(n, _mm512_set1_ps(LN2_LO), r);
    let mut p = _mm512_set1_ps(EXP_POLY[0]);
    for c in &EXP_POLY[1..] {
        p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(*c));
    }
    let p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0));
    let e = _mm512_slli_epi32::<23>(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)));
    _mm512_mul_ps(p, _mm512_castsi512_ps(e))
}

fn avx512_sigmoid_f32(xs: &mut [f32]) {
    // SAFETY: installed by `plug_vnni` only after AVX-512 F (and AVX2, FMA) were detected.
    unsafe { avx512_sigmoid_f32_tf(xs) }
}

/// 16 lanes at a time; the last `len % 16` values take the 8-lane body.
///
/// # Safety
/// AVX2, FMA and AVX-512 F present.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn avx512_sigmoid_f32_tf(xs: &mut [f32]) {
    let one = _mm512_set1_ps(1.0);
    let mut chunks = xs.chunks_exact_mut(16);
    for c in &mut chunks {
        // SAFETY: `c` holds exactly 16 f32.
        unsafe {
            let x = _mm512_loadu_ps(c.as_ptr());
            let e = avx512_exp_f32_16(_mm512_sub_ps(_mm512_setzero_ps(), x));
            _mm512_storeu_ps(c.as_mut_ptr(), _mm512_div_ps(one, _mm512_add_ps(one, e)));
        }
    }
    // SAFETY: AVX2 and FMA are present.
    unsafe { avx2_sigmoid_f32_tf(chunks.into_remainder()) }
}

fn avx512_tanh_f32(xs: &mut [f32]) {
    // SAFETY: as `avx512_sigmoid_f32`.
    unsafe { avx512_tanh_f32_tf(xs) }
}

/// As [`avx2_tanh_f32_8`], 16 lanes at a time; the last `len % 16` values take the 8-lane body.
///
/// # Safety
/// AVX2, FMA and AVX-512 F present.
#[target_feature(enable = "avx2,fma,avx512f")]
unsafe fn avx512_tanh_f32_tf(xs: &mut [f32]) {
    let one = _mm512_set1_ps(1.0);
    let mut chunks = xs.chunks_exact_mut(16);
    for c in &mut chunks {
        // SAFETY: `c` holds exactly 16 f32.
        unsafe {
            let x = _mm512_loadu_ps(c.as_ptr());
            let ax = _mm512_abs_ps(x);
            let e = avx512_exp_f32_16(_mm512_mul_ps(_mm512_set1_ps(-2.0), ax));
            let t = _mm512_div_ps(_mm512_sub_ps(one, e), _mm512_add_ps(one, e));
            let sign = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(i32::MIN));
            _mm512_storeu_ps(c.as_mut_ptr(), _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(t), sign)));
        }
    }
    // SAFETY: AVX2 and FMA are present.
    unsafe { avx2_tanh_f32_tf(chunks.into_remainder()) }
}
