//! One suite run against every kernel table this machine can run, each compared with the
//! generic oracle.

use super::Kernels;

/// The generic table, every x86-64 tier this CPU can run (so the AVX2 int8 body is tested
/// also where `detect` picks VNNI), and the detected table itself.
fn tables() -> heapless::Vec<Kernels, 4> {
    let mut v = heapless::Vec::new();
    let _ = v.push(Kernels::generic());
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    for k in super::x86_64::tables() {
        let _ = v.push(k);
    }
    #[cfg(feature = "std")]
    let _ = v.push(Kernels::detect());
    v
}

/// Every (inputs, outputs) shape of the three models, plus shapes that exercise each column
/// block (64/32/16/8, masked tail) and each int8 path (8-row groups, single rows, partial
/// 32-byte chunks, the last row's chunk running past the end of the matrix).
const SHAPES: [(usize, usize); 33] = [
    (10, 128),
    (128, 64),
    (4, 32),
    (96, 64),
    (64, 32),
    (32, 3),
    (11, 128),
    (128, 128),
    (64, 24),
    (64, 1),
    (5, 128),
    (64, 64),
    (1, 1),
    (5, 3),
    (11, 24),
    (14, 33),
    (133, 128),
    (3, 97),
    (7, 120),
    (2, 7),
    (33, 9),
    (31, 17),
    (63, 8),
    (65, 15),
    (200, 5),
    (1, 250),
    (40, 2),
    (17, 16),
    (96, 255),
    (127, 31),
    (5, 8),
    (3, 12),
    (6, 7),
];

/// A tiny deterministic generator so the suite needs no dev-dependency.
fn lcg(state: &mut u64) -> f32 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

#[test]
fn matvec_f32_matches_f64_reference_for_odd_shapes() {
    let mut s = 7;
    for &(rows, cols) in &SHAPES {
        let w: std::vec::Vec<f32> = (0..rows * cols).map(|_| lcg(&mut s)).collect();
        let b: std::vec::Vec<f32> = (0..cols).map(|_| lcg(&mut s)).collect();
        let x: std::vec::Vec<f32> = (0..rows).map(|_| lcg(&mut s)).collect();
        for k in tables() {
            let mut y = std::vec![0.0; cols];
            (k.matvec_f32)(&w, &b, &x, &mut y);
            for c in 0..cols {
                let want: f64 = b[c] as f64 + (0..rows).map(|r| x[r] as f64 * w[r * cols + c] as f64).sum::<f64>();
                assert!(
                    (y[c] as f64 - want).abs() < 1e-5 * (rows as f64).sqrt() + 1e-6,
                    "{:?} {rows}x{cols} col {c}: {} vs {want}",
                    k.tier,
                    y[c]
                );
            }
        }
    }
}

/// Every table's `matvec_i8` against the exact i32 sum, for `rows` outputs of `x.len()` inputs.
fn assert_matvec_i8_exact(w: &[i8], x: &[i8], rows: usize) {
    let cols = x.len();
    for k in tables() {
        let mut acc = std::vec![0; rows];
        (k.matvec_i8)(w, x, &mut acc);
        for (r, &got) in acc.iter().enumerate() {
            let want: i32 = (0..cols).map(|c| w[r * cols + c] as i32 * x[c] as i32).sum();
            assert_eq!(got, want, "{:?} {rows}x{cols} row {r}", k.tier);
        }
    }
}

#[test]
fn matvec_i8_is_exact_for_extreme_values() {
    let mut s = 3;
    // The i8 matrix is output-major: `rows` outputs of `cols` inputs.
    for &(cols, rows) in &SHAPES {
        let mut w: std::vec::Vec<i8> = (0..rows * cols).map(|_| (lcg(&mut s) * 127.0) as i8).collect();
        let mut x: std::vec::Vec<i8> = (0..cols).map(|_| (lcg(&mut s) * 127.0) as i8).collect();
        // Worst case for saturating instructions: every product at ±127·127.
        if rows > 1 {
            for v in w[..cols].iter_mut() {
                *v = 127;
            }
            for v in w[cols..2 * cols].iter_mut() {
                *v = -127;
            }
            for v in x.iter_mut().step_by(2) {
                *v = 127;
            }
        }
        assert_matvec_i8_exact(&w, &x, rows);
    }
}

#[test]
fn matvec_i8_is_exact_for_minus_128_inputs() {
    // Quantised activations stop at ±127, but the contract allows any x: |−128| = 128 still
    // fits the unsigned operand of the SIMD dot products.
    for &(cols, rows) in &SHAPES {
        let w: std::vec::Vec<i8> =
            (0..rows * cols).map(|i| if i % 3 == 0 { -127 } else { 127 - (i % 7) as i8 }).collect();
        let x: std::vec::Vec<i8> = (0..cols).map(|c| if c % 5 == 4 { 0 } else { -128 }).collect();
        assert_matvec_i8_exact(&w, &x, rows);
    }
}

#[test]
fn dequant_i8_is_bit_identical_on_every_tier() {
    let mut s = 17;
    for len in [1usize, 3, 8, 15, 16, 17, 24, 32, 64, 100, 128] {
        let acc: std::vec::Vec<i32> = (0..len).map(|_| (lcg(&mut s) * 2e6) as i32).collect();
        let scale: std::vec::Vec<f32> = (0..len).map(|_| (lcg(&mut s) + 1.5) * 1e-3).collect();
        let bias: std::vec::Vec<f32> = (0..len).map(|_| lcg(&mut s)).collect();
        let y0: std::vec::Vec<f32> = (0..len).map(|_| lcg(&mut s) * 10.0).collect();
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>();
        for add in [false, true] {
            let mut want = y0.clone();
            crate::quant::dequant(&acc, &scale, 0.0123, &bias, &mut want, add);
            for (i, w) in want.iter().enumerate() {
                let v = acc[i] as f32 * (scale[i] * 0.0123) + bias[i];
                assert_eq!(w.to_bits(), if add { y0[i] + v } else { v }.to_bits());
            }
            for k in tables() {
                let mut got = y0.clone();
                (k.dequant_i8)(&acc, &scale, 0.0123, &bias, &mut got, add);
                assert_eq!(bits(&got), bits(&want), "{:?} len {len} add {add}", k.tier);
                // mismatched lengths write nothing
                let mut got = y0.clone();
                (k.dequant_i8)(&acc[..len - 1], &scale, 0.0123, &bias, &mut got, add);
                assert_eq!(bits(&got), bits(&y0));
            }
        }
    }
}

#[test]
fn layer_norm_relu_is_bit_identical_on_every_tier() {
    let mut s = 11;
    for len in [1usize, 3, 7, 8, 9, 15, 16, 31, 32, 33, 47, 64, 100, 127, 128] {
        for case in 0..4 {
            let mut x: std::vec::Vec<f32> = (0..len).map(|_| lcg(&mut s) * 4.0 + 1.0).collect();
            let gamma: std::vec::Vec<f32> = (0..len).map(|_| 1.0 + lcg(&mut s) * 0.3).collect();
            let beta: std::vec::Vec<f32> = (0..len).map(|_| lcg(&mut s) * 0.3).collect();
            match case {
                // a constant input: the variance is 0 and only ε keeps it finite
                1 => x.iter_mut().for_each(|v| *v = 2.5),
                // large offsets, where the summation order shows in the low bits
                2 => x.iter_mut().enumerate().for_each(|(i, v)| *v += 1e4 * (i % 3) as f32),
                3 if len > 2 => x[len / 2] = f32::NAN,
                _ => {}
            }
            let mut want = x.clone();
            crate::layers::layer_norm_relu(&mut want, &gamma, &beta);
            assert!(want.iter().all(|v| *v >= 0.0 && !v.is_sign_negative()), "ReLU output {want:?}");
            for k in tables() {
                let mut got = x.clone();
                (k.layer_norm_relu)(&mut got, &gamma, &beta);
                let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{:?} len {len} case {case}", k.tier);
            }
            // mismatched lengths write nothing
            for k in tables() {
                let mut got = x.clone();
                (k.layer_norm_relu)(&mut got, &gamma[..len - 1], &beta);
                assert_eq!(
                    got.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>(),
                    x.iter().map(|f| f.to_bits()).collect::<std::vec::Vec<_>>()
                );
            }
        }
    }
}

#[test]
fn quantize_i8_is_bit_identical_to_quantize_vec() {
    let mut s = 5;
    for len in [0usize, 1, 3, 5, 7, 8, 9, 11, 15, 16, 17, 25, 31, 32, 64, 100, 128] {
        for case in 0..4 {
            let mut x: std::vec::Vec<f32> = (0..len).map(|_| lcg(&mut s) * 3.0).collect();
            match case {
                // exact ties of the rounding: the max is 127 so the scale is 1
                1 if len > 2 => {
                    x[0] = 127.0;
                    for (i, v) in x.iter_mut().enumerate().skip(1) {
                        *v = (i as f32 - 60.0) + 0.5;
                    }
                }
                2 if len > 3 => {
                    x[1] = f32::NAN;
                    x[2] = f32::INFINITY;
                    x[len - 1] = f32::NEG_INFINITY;
                }
                3 => x.iter_mut().for_each(|v| *v = 0.0),
                _ => {}
            }
            let mut want = std::vec![0i8; len];
            let ws = crate::quant::quantize_vec(&x, &mut want);
            for k in tables() {
                let mut got = std::vec![1i8; len];
                let gs = (k.quantize_i8)(&x, &mut got);
                let tag = (k.tier, len, case);
                assert_eq!((gs.to_bits(), &got), (ws.to_bits(), &want), "{tag:?}");
            }
        }
    }
}

#[test]
fn activations_handle_tails_and_special_values() {
    let special = [0.0f32, -0.0, 1e-30, -1e-30, 1e-4, -1e-4, 87.5, -87.5, 200.0, -200.0, 1e30, -1e30];
    for len in 0..=special.len() {
        for k in tables() {
            for (f, g) in [(k.sigmoid, crate::math::sigmoid as fn(f32) -> f32), (k.tanh, crate::math::tanh)] {
                let mut a = special[..len].to_vec();
                f(&mut a);
                for (v, &x) in a.iter().zip(&special) {
                    assert!((v - g(x)).abs() < 1e-6, "{:?} len {len} at {x}: {v}", k.tier);
                }
            }
        }
    }
    // The same values tiled over 16-lane and 8-lane blocks and a tail.
    let tiled: std::vec::Vec<f32> = special.iter().cycle().take(41).copied().collect();
    for k in tables() {
        for (f, g) in [(k.sigmoid, crate::math::sigmoid as fn(f32) -> f32), (k.tanh, crate::math::tanh)] {
            let mut a = tiled.clone();
            f(&mut a);
            for (v, &x) in a.iter().zip(&tiled) {
                assert!((v - g(x)).abs() < 1e-6, "{:?} tiled at {x}: {v}", k.tier);
            }
        }
    }
    for k in tables() {
        for n in [9, 41] {
            let mut a = std::vec![f32::NAN; n];
            (k.sigmoid)(&mut a);
            assert!(a.iter().all(|v| v.is_nan()), "{:?} sigmoid(NaN) {a:?}", k.tier);
            let mut a = std::vec![f32::NAN; n];
            (k.tanh)(&mut a);
            assert!(a.iter().all(|v| v.is_nan()), "{:?} tanh(NaN) {a:?}", k.tier);
        }
    }
}

#[test]
fn activations_agree_with_generic() {
    let mut s = 11;
    let xs: std::vec::Vec<f32> = (0..1000).map(|_| lcg(&mut s) * 40.0).collect();
    for k in tables() {
        let (mut a, mut b) = (xs.clone(), xs.clone());
        (k.sigmoid)(&mut a);
        crate::math::sigmoid_slice(&mut b);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-6, "{:?}", k.tier);
        }
        let (mut a, mut b) = (xs.clone(), xs.clone());
        (k.tanh)(&mut a);
        crate::math::tanh_slice(&mut b);
        for (p, q) in a.iter().zip(&b) {
            assert!((p - q).abs() < 1e-6, "{:?}", k.tier);
        }
    }
}

#[test]
fn inconsistent_lengths_write_nothing() {
    for k in tables() {
        let mut y = [9.0f32; 3];
        (k.matvec_f32)(&[1.0; 5], &[0.0; 3], &[1.0; 2], &mut y);
        assert_eq!(y, [9.0; 3]);
        let mut acc = [9i32; 3];
        (k.matvec_i8)(&[1; 5], &[1; 2], &mut acc);
        assert_eq!(acc, [9; 3]);
    }
}

/// Every table's `matvec_i8_packed` against the exact i32 sum of the output-major `w`, which
/// it receives packed (sign bits flipped).
fn assert_packed_exact(w: &[i8], x: &[i8], rows: usize) {
    let cols = x.len();
    let mut packed = std::vec![0i8; rows * cols];
    for o in 0..rows {
        for i in 0..cols {
            packed[super::packed_index(o, i, rows, cols)] = super::flip(w[o * cols + i]);
        }
    }
    for k in tables() {
        let mut acc = std::vec![7; rows];
        (k.matvec_i8_packed)(&packed, x, &mut acc);
        for (r, &got) in acc.iter().enumerate() {
            let want: i32 = (0..cols).map(|c| w[r * cols + c] as i32 * x[c] as i32).sum();
            assert_eq!(got, want, "{:?} packed {rows}x{cols} row {r}", k.tier);
        }
    }
}

#[test]
fn packed_index_is_a_permutation() {
    for (rows, cols) in [(8, 4), (64, 128), (128, 128), (72, 12), (24, 64), (200, 8), (136, 132)] {
        let mut seen = std::vec![false; rows * cols];
        for o in 0..rows {
            for i in 0..cols {
                let p = super::packed_index(o, i, rows, cols);
                assert!(!seen[p], "{rows}x{cols}: [{o}][{i}] -> {p} twice");
                seen[p] = true;
            }
        }
    }
}

#[test]
fn matvec_i8_packed_is_exact_for_every_band_shape() {
    let mut s = 13;
    // (outputs, inputs): one tile, partial bands of 1..7 tiles after full ones, the models'
    // packed layers (128×128, 64×128, 64×64, 32×64, 24×128, 64×96, 32×8).
    let shapes = [
        (8, 4),
        (16, 8),
        (24, 12),
        (32, 16),
        (40, 20),
        (48, 28),
        (56, 36),
        (64, 4),
        (72, 132),
        (120, 64),
        (128, 128),
        (64, 128),
        (64, 64),
        (32, 64),
        (24, 128),
        (64, 96),
        (32, 8),
        (512, 128),
    ];
    for &(rows, cols) in &shapes {
        let mut w: std::vec::Vec<i8> = (0..rows * cols).map(|_| (lcg(&mut s) * 127.0) as i8).collect();
        let x: std::vec::Vec<i8> = (0..cols).map(|_| (lcg(&mut s) * 127.0) as i8).collect();
        assert_packed_exact(&w, &x, rows);
        // Extremes: ±127 weights against −128 / 127 / 0 inputs.
        for (j, v) in w.iter_mut().enumerate() {
            *v = if j % 3 == 0 { -127 } else { 127 };
        }
        let x: std::vec::Vec<i8> = (0..cols).map(|c| [-128, 127, 0, -1][c % 4]).collect();
        assert_packed_exact(&w, &x, rows);
    }
}

#[test]
fn matvec_i8_packed_rejects_unpackable_shapes() {
    for k in tables() {
        let mut acc = [9i32; 8];
        (k.matvec_i8_packed)(&[1; 40], &[1; 5], &mut acc);
        assert_eq!(acc, [9; 8], "{:?}: 5 inputs do not pack", k.tier);
        let mut acc = [9i32; 4];
        (k.matvec_i8_packed)(&[1; 16], &[1; 4], &mut acc);
        assert_eq!(acc, [9; 4], "{:?}: 4 outputs do not pack", k.tier);
        let mut acc = [9i32; 8];
        (k.matvec_i8_packed)(&[1; 31], &[1; 4], &mut acc);
        assert_eq!(acc, [9; 8], "{:?}: 31 weights for 8 × 4", k.tier);
    }
}

/// Every x86-64 tier's activations give the same bits (the 16-lane bodies run the 8-lane
/// operations), so a model decides identically whichever tier the CPU picks.
#[test]
fn activation_tiers_agree_bit_for_bit() {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    {
        let mut s = 23;
        let xs: std::vec::Vec<f32> = (0..1000).map(|_| lcg(&mut s) * 40.0).collect();
        let tiers = super::x86_64::tables();
        for pair in tiers.windows(2) {
            for (f, g, name) in [(pair[0].sigmoid, pair[1].sigmoid, "sigmoid"), (pair[0].tanh, pair[1].tanh, "tanh")] {
                let (mut a, mut b) = (xs.clone(), xs.clone());
                f(&mut a);
                g(&mut b);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<std::vec::Vec<_>>();
                assert_eq!(bits(&a), bits(&b), "{name}: {:?} vs {:?}", pair[0].tier, pair[1].tier);
            }
        }
    }
}
