//! Portable bodies of every kernel. Written so that LLVM vectorises them for whatever the
//! target offers, and kept simple because they are the oracle the SIMD bodies are tested
//! against.

/// Outputs kept in registers at once: 32 f32 = 8 AVX registers or 4 SSE / 8 NEON pairs.
pub(crate) const BLOCK: usize = 32;

/// See [`super::MatvecF32`].
#[inline(always)]
pub(crate) fn matvec_f32_body(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    let cols = y.len();
    if cols == 0 || w.len() != x.len() * cols || b.len() != cols {
        return;
    }
    let mut start = 0;
    while start < cols {
        let n = (cols - start).min(BLOCK);
        let mut acc = [0.0f32; BLOCK];
        acc[..n].copy_from_slice(&b[start..start + n]);
        if n == BLOCK {
            for (xi, row) in x.iter().zip(w.chunks_exact(cols)) {
                let wb: &[f32; BLOCK] = match row[start..start + BLOCK].try_into() {
                    Ok(a) => a,
                    Err(_) => return,
                };
                for (a, wv) in acc.iter_mut().zip(wb) {
                    *a += xi * wv;
                }
            }
        } else {
            for (xi, row) in x.iter().zip(w.chunks_exact(cols)) {
                for (a, wv) in acc[..n].iter_mut().zip(&row[start..start + n]) {
                    *a += xi * wv;
                }
            }
        }
        y[start..start + n].copy_from_slice(&acc[..n]);
        start += n;
    }
}

/// See [`super::MatvecF32`].
pub(crate) fn matvec_f32(w: &[f32], b: &[f32], x: &[f32], y: &mut [f32]) {
    matvec_f32_body(w, b, x, y)
}

/// See [`super::MatvecI8`].
#[inline(always)]
pub(crate) fn matvec_i8_body(w: &[i8], x: &[i8], acc: &mut [i32]) {
    let cols = x.len();
    if cols == 0 || w.len() != cols * acc.len() {
        return;
    }
    for (a, row) in acc.iter_mut().zip(w.chunks_exact(cols)) {
        let mut s: i32 = 0;
        for (&wv, &xv) in row.iter().zip(x) {
            s += i32::from(i16::from(wv) * i16::from(xv));
        }
        *a = s;
    }
}

/// See [`super::MatvecI8`].
pub(crate) fn matvec_i8(w: &[i8], x: &[i8], acc: &mut [i32]) {
    matvec_i8_body(w, x, acc)
}

/// See [`super::MatvecI8Packed`]. Walks the weights in storage order (see
/// [`super::packed_index`]), each tile's 8 × 4 bytes (sign bits flipped back) against its group
/// of 4 inputs. The oracle of the SIMD bodies; slower than [`matvec_i8_body`] on row-major
/// weights, which is why only targets with a SIMD body pack (see `DenseI8::PACKED`).
pub(crate) fn matvec_i8_packed(w: &[i8], x: &[i8], acc: &mut [i32]) {
    let (rows, cols) = (acc.len(), x.len());
    if !super::packs(rows, cols) || w.len() != rows * cols {
        return;
    }
    acc.fill(0);
    let band_rows = super::PACKED_ROWS * super::PACKED_TILES;
    let tile_bytes = super::PACKED_ROWS * super::PACKED_COLS;
    for (wb, ab) in w.chunks(band_rows * cols).zip(acc.chunks_mut(band_rows)) {
        let tiles = ab.len() / super::PACKED_ROWS;
        for (g, xg) in x.chunks_exact(super::PACKED_COLS).enumerate() {
            let group = &wb[g * tiles * tile_bytes..(g + 1) * tiles * tile_bytes];
            for (wt, at) in group.chunks_exact(tile_bytes).zip(ab.chunks_exact_mut(super::PACKED_ROWS)) {
                for (a, wr) in at.iter_mut().zip(wt.chunks_exact(super::PACKED_COLS)) {
                    let mut s = 0i32;
                    for (&wv, &xv) in wr.iter().zip(xg) {
                        s += i32::from(i16::from(super::flip(wv)) * i16::from(xv));
                    }
                    *a += s;
                }
            }
        }
    }
}
