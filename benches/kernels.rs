//! Each kernel at the sizes the models use: the dispatched table (`Kernels::detect`) against
//! the portable one (`Kernels::generic`). Names: `op/IxO/table`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hdrl_infer::Kernels;
use hdrl_infer::rng::SplitMix64;

/// (inputs, outputs) of every linear layer in the three models.
const SHAPES: [(usize, usize); 12] = [
    (10, 128),  // DQN strategic encoder 1
    (128, 64),  // DQN strategic encoder 2, PPO critic 1, LSTM 2 input transform (per gate)
    (4, 32),    // DQN app encoder
    (96, 64),   // DQN head 1
    (64, 32),   // DQN head 2, LSTM dense 1
    (32, 3),    // DQN out, LSTM out
    (11, 128),  // PPO trunk 1
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

        let mut g = c.benchmark_group(format!("matvec_i8/{i}x{o}"));
        g.throughput(Throughput::Elements((i * o) as u64));
        for (name, k) in tables() {
            let mut acc = vec![0i32; o];
            let mut n = 0;
            g.bench_function(name, |bn| {
                bn.iter(|| {
                    n = (n + 1) & 7;
                    (k.matvec_i8)(black_box(&wq), black_box(&xq[n]), &mut acc);
                    black_box(&acc);
                })
            });
        }
        g.finish();
    }
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

criterion_group!(benches, matvec, activations);
criterion_main!(benches);
