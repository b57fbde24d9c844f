//! One suite run against every kernel table this machine can run, each compared with the
//! generic oracle.

use super::Kernels;

fn tables() -> heapless::Vec<Kernels, 4> {
    let mut v = heapless::Vec::new();
    let _ = v.push(Kernels::generic());
    #[cfg(feature = "std")]
    let _ = v.push(Kernels::detect());
    v
}

/// A tiny deterministic generator so the suite needs no dev-dependency.
fn lcg(state: &mut u64) -> f32 {
    *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    ((*state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
}

#[test]
fn matvec_f32_matches_f64_reference_for_odd_shapes() {
    let mut s = 7;
    for &(rows, cols) in &[(1, 1), (5, 3), (11, 24), (14, 33), (64, 32), (133, 128), (3, 97)] {
        let w: std::vec::Vec<f32> = (0..rows * cols).map(|_| lcg(&mut s)).collect();
        let b: std::vec::Vec<f32> = (0..cols).map(|_| lcg(&mut s)).collect();
        let x: std::vec::Vec<f32> = (0..rows).map(|_| lcg(&mut s)).collect();
        for k in tables() {
            let mut y = std::vec![0.0; cols];
            (k.matvec_f32)(&w, &b, &x, &mut y);
            for c in 0..cols {
                let want: f64 = b[c] as f64
                    + (0..rows).map(|r| x[r] as f64 * w[r * cols + c] as f64).sum::<f64>();
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

#[test]
fn matvec_i8_is_exact_for_extreme_values() {
    let mut s = 3;
    for &(rows, cols) in &[(1, 1), (3, 5), (24, 11), (128, 128), (64, 133), (7, 97)] {
        let mut w: std::vec::Vec<i8> =
            (0..rows * cols).map(|_| (lcg(&mut s) * 127.0) as i8).collect();
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
        for k in tables() {
            let mut acc = std::vec![0; rows];
            (k.matvec_i8)(&w, &x, &mut acc);
            for r in 0..rows {
                let want: i32 = (0..cols).map(|c| w[r * cols + c] as i32 * x[c] as i32).sum();
                assert_eq!(acc[r], want, "{:?} {rows}x{cols} row {r}", k.tier);
            }
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
