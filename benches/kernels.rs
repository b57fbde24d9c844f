//! Each kernel at the sizes the models use: the dispatched table (`Kernels::detect`) against
//! the portable one (`Kernels::generic`). Names: `op/IxO/table`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hdrl_infer::Kernels;
use hdrl_infer::kernels::MatvecI8;
use hdrl_infer::rng::SplitMix64;

/// (inputs, outputs) of every linear layer in the three models.
const SHAPES: [(usize, usize); 12] = [
    (15, 128),  // DQN strategic encoder 1
    (128, 64),  // DQN strategic encoder 2, PPO critic 1, LSTM 2 input transform (per gate)
    (8, 32),    // DQN app encoder
    (96, 64),   // DQN head 1
    (64, 32),   // DQN head 2, LSTM dense 1
    (32, 3),    // DQN out, LSTM out
    (25, 128),  // PPO trunk 1
    (128, 128), // PPO trunk 2, actor 1, LSTM 1 hidden transform (per gate)
    (64, 24),   // PPO actor out
    (64, 1),    // PPO critic out
    (5, 128),   // LSTM 1 input transform (per gate)
    (64, 64),   // LSTM 2 hidden transform (per gate)
];

fn tables() -> [(&'static str, Kernels); 2] {
    [("generic", Kernels::generic()), ("dispatched", Kernels::detect())]
}

fn matvec(c: &mut Criterion) {
    let mut r = SplitMix64::new(5);
    for (i, o) in SHAPES {
        let w: Vec<f32> = (0..i * o).map(|_| r.symmetric(0.2)).collect();
        let b: Vec<f32> = (0..o).map(|_| r.symmetric(0.1)).collect();
        let xs: Vec<Vec<f32>> = (0..8).map(|_| (0..i).map(|_| r.unit()).collect()).collect();
        let wq: Vec<i8> = (0..i * o).map(|_| r.symmetric(127.0) as i8).collect();
        let xq: Vec<Vec<i8>> = (0..8).map(|_| (0..i).map(|_| r.symmetric(127.0) as i8).collect()).collect();

        let mut g = c.benchmark_group(format!("matvec_f32/{i}x{o}"));
        g.throughput(Throughput::Elements((i * o) as u64));
        for (name, k) in tables() {
            let mut y = vec![0.0f32; o];
            let mut n = 0;
            g.bench_function(name, |bn| {
                bn.iter(|| {
                    n = (n + 1) & 7;
                    (k.matvec_f32)(black_box(&w), &b, black_box(&xs[n]), &mut y);
                    black_box(&y);
                })
            });
        }
        g.finish();

        bench_i8(c, "matvec_i8", &wq, &xq, o, |k| k.matvec_i8);
        // The layout the layers use for this shape when it packs (see `kernels::packed_index`;
        // the bench needs only the kernel's speed, so the row-major bytes stand in).
        if hdrl_infer::kernels::packs(o, i) {
            bench_i8(c, "matvec_i8_packed", &wq, &xq, o, |k| k.matvec_i8_packed);
        }
    }
}

/// One int8 matrix-vector kernel (picked from each table by `pick`) over `wq` and the 8 inputs
/// `xq`, into `o` outputs.
fn bench_i8(c: &mut Criterion, op: &str, wq: &[i8], xq: &[Vec<i8>], o: usize, pick: fn(&Kernels) -> MatvecI8) {
    let i = xq[0].len();
    let mut g = c.benchmark_group(format!("{op}/{i}x{o}"));
    g.throughput(Throughput::Elements((i * o) as u64));
    for (name, k) in tables() {
        let f = pick(&k);
        let mut acc = vec![0i32; o];
        let mut n = 0;
        g.bench_function(name, |bn| {
            bn.iter(|| {
                n = (n + 1) & 7;
                f(black_box(wq), black_box(&xq[n]), &mut acc);
                black_box(&acc);
            })
        });
    }
    g.finish();
}

/// The roofline of the LSTM window: only reading the weight bytes one window reads, in the
/// same passes (layer 1's input and hidden transforms every step, layer 2's input transform
/// once per block of 4 steps, its hidden transform every step), from buffers the size of the
/// model's weights (in L2, as in `lstm_window/*`), with 256-bit loads and nothing computed.
/// No window of that model can be faster than this on the machine.
fn weight_stream(c: &mut Criterion) {
    // (bytes of one matrix set, passes per window) for l1.x, l1.h, l2.x, l2.h (four gates each).
    let parts =
        |b: usize| [(4 * 5 * 128 * b, 12), (4 * 128 * 128 * b, 12), (4 * 128 * 64 * b, 3), (4 * 64 * 64 * b, 12)];
    let mut g = c.benchmark_group("weight_stream");
    for (tag, b) in [("lstm_window_f32", 4usize), ("lstm_window_int8", 1)] {
        let bufs: Vec<(Vec<u8>, usize)> = parts(b).iter().map(|&(n, passes)| (vec![1u8; n], passes)).collect();
        g.throughput(Throughput::Bytes(bufs.iter().map(|(v, p)| (v.len() * p) as u64).sum()));
        g.bench_function(tag, |bn| {
            bn.iter(|| {
                let mut s = 0u64;
                for (buf, passes) in &bufs {
                    for _ in 0..*passes {
                        s = s.wrapping_add(stream(black_box(buf)));
                    }
                }
                black_box(s)
            })
        });
    }
    g.finish();
}

/// Read every byte of `buf` once: XOR of its 32-byte chunks (AVX2 when the CPU has it).
fn stream(buf: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was just detected.
        return unsafe { stream_avx2(buf) };
    }
    buf.chunks_exact(8).fold(0u64, |a, c| a ^ u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn stream_avx2(buf: &[u8]) -> u64 {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_setzero_si256(); 4];
    for c in buf.chunks_exact(128) {
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: `c` holds 128 bytes, so the 32 at 32·k are inside it.
            *a = _mm256_xor_si256(*a, unsafe { _mm256_loadu_si256(c.as_ptr().add(32 * k).cast()) });
        }
    }
    let x = _mm256_xor_si256(_mm256_xor_si256(acc[0], acc[1]), _mm256_xor_si256(acc[2], acc[3]));
    (_mm256_extract_epi64::<0>(x) ^ _mm256_extract_epi64::<3>(x)) as u64
}

fn activations(c: &mut Criterion) {
    let mut r = SplitMix64::new(6);
    for n in [64usize, 128] {
        let xs: Vec<Vec<f32>> = (0..8).map(|_| (0..n).map(|_| r.symmetric(8.0)).collect()).collect();
        for (op, pick) in [("sigmoid", 0), ("tanh", 1)] {
            let mut g = c.benchmark_group(format!("{op}/{n}"));
            g.throughput(Throughput::Elements(n as u64));
            for (name, k) in tables() {
                let f = if pick == 0 { k.sigmoid } else { k.tanh };
                let mut buf = vec![0.0f32; n];
                let mut j = 0;
                g.bench_function(name, |bn| {
                    bn.iter(|| {
                        j = (j + 1) & 7;
                        buf.copy_from_slice(black_box(&xs[j]));
                        f(&mut buf);
                        black_box(&buf);
                    })
                });
            }
            g.finish();
        }
    }
}

criterion_group!(benches, matvec, activations, weight_stream);
criterion_main!(benches);
