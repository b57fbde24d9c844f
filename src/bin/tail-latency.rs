//! The latency distribution of single decisions: each pass timed on its own, many times, and
//! its percentiles reported, so the tail (p99 against p50) can be read, which criterion's
//! batched medians hide.
//!
//! ```sh
//! cargo run --release --bin tail-latency                 # 200 000 timed calls per pass
//! cargo run --release --bin tail-latency -- --samples 50000
//! taskset -c 1 target/release/tail-latency               # pinned to one core
//! ```
//!
//! Same weights and rotating inputs as `benches/decisions.rs` (the seeded fixtures, or the
//! bundles named by `HDRL_BENCH_BUNDLE_F32` / `HDRL_BENCH_BUNDLE_I8`). Each sample is one call
//! between two `Instant::now()` readings; the first line reports what two readings with nothing
//! between them cost (its p50 is included in every number below it, which matters only for the
//! sub-microsecond passes). The tail includes whatever the machine did meanwhile: interrupts,
//! other processes on the core, frequency changes; the second line, a register-only loop of
//! about the LSTM window's length, shows how much of it is the machine's. Run it on a quiet
//! machine, pinned, to see the code's own tail.

use std::hint::black_box;
use std::time::Instant;

use hdrl_fixtures::bench_inputs::{self, ROTATION};
use hdrl_infer::{F32, Hierarchy, I8, Precision, Quant, Window};

/// Percentiles reported, with their column names.
const PERCENTILES: [(f64, &str); 4] = [(0.50, "p50"), (0.90, "p90"), (0.99, "p99"), (0.999, "p99.9")];

fn main() {
    let samples = match parse_samples(std::env::args().skip(1)) {
        Ok(n) => n,
        Err(msg) => {
            eprintln!("tail-latency: {msg}\nusage: tail-latency [--samples N]   (N ≥ 1000, default 200000)");
            std::process::exit(2);
        }
    };
    let hf = loaded::<F32>(Quant::F32);
    let hq = loaded::<I8>(Quant::I8);
    println!(
        "tail-latency: {samples} timed calls per pass after {} warm-up calls; kernels {:?}; weights: {}",
        samples / 10,
        hf.kernels().tier,
        bench_inputs::bundle(Quant::F32).1
    );
    println!("| pass | p50 | p90 | p99 | p99.9 | max | p99 / p50 |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    report("timer alone (Instant::now twice)", &time(samples, |_| ()));
    report(
        "control: register-only loop, no memory",
        &time(samples, |i| {
            black_box(spin(black_box(i as f64)));
        }),
    );
    passes(&hf, "f32", samples);
    passes(&hq, "int8", samples);
}

fn parse_samples(mut args: impl Iterator<Item = String>) -> Result<usize, String> {
    let mut samples = 200_000;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--samples" => {
                let v = args.next().ok_or("--samples needs a number")?;
                samples = v.parse().map_err(|_| format!("--samples {v}: not a number"))?;
                if samples < 1000 {
                    return Err(format!("--samples {samples}: at least 1000, or p99.9 means nothing"));
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(samples)
}

fn loaded<P: Precision>(quant: Quant) -> Box<Hierarchy<P>> {
    let (bytes, _) = bench_inputs::bundle(quant);
    Hierarchy::<P>::load(&bytes).expect("bench bundle loads")
}

/// The passes of `benches/decisions.rs`, each timed call by call.
fn passes<P: Precision>(h: &Hierarchy<P>, tag: &str, samples: usize) {
    let k = *h.kernels();
    let xs = bench_inputs::dqn_inputs(ROTATION);
    let xt = bench_inputs::ppo_inputs(ROTATION);
    let ws = bench_inputs::windows(ROTATION);
    report(
        &format!("dqn/{tag}"),
        &time(samples, |i| {
            let mut q = [0.0; 3];
            let _ = black_box((h.dqn.forward(&k, black_box(&xs[i]), &mut q), q));
        }),
    );
    report(
        &format!("ppo/{tag}"),
        &time(samples, |i| {
            let mut logits = [0.0; 24];
            let _ = black_box((h.ppo.forward(&k, black_box(&xt[i]), &mut logits), logits));
        }),
    );
    report(
        &format!("lstm_window/{tag}"),
        &time(samples, |i| {
            let mut y = [0.0; 3];
            let _ = black_box((h.lstm.forward(&k, black_box(&ws[i]), &mut y), y));
        }),
    );
    let obs = bench_inputs::observations(ROTATION, 4);
    let mut window = Window::new();
    for o in &obs[..12] {
        h.observe(&mut window, &o.step).expect("finite fixture");
    }
    report(
        &format!("hierarchy/{tag}"),
        &time(samples, |i| {
            let _ = black_box(h.decide(&mut window, black_box(&obs[i])));
        }),
    );
}

/// A chain of 20 000 dependent multiply-adds on one register: about the int8 LSTM window's
/// length here, touching no memory. Its tail is the machine's (interrupts, the hypervisor, the
/// other vCPU), not the code's: a pass whose p99 / p50 is no worse than this line's has no tail
/// of its own.
fn spin(mut x: f64) -> f64 {
    for _ in 0..20_000 {
        x = x * 0.999_999_9 + 1e-9;
    }
    x
}

/// Nanoseconds of `samples` single calls of `f` (on rotating input indices), after a tenth as
/// many untimed calls, sorted.
fn time(samples: usize, mut f: impl FnMut(usize)) -> Vec<u64> {
    let mut i = 0;
    for _ in 0..samples / 10 {
        f(i);
        i = (i + 1) % ROTATION;
    }
    let mut ns = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        f(i);
        ns.push(t.elapsed().as_nanos() as u64);
        i = (i + 1) % ROTATION;
    }
    ns.sort_unstable();
    ns
}

/// The value below which a fraction `p` of the sorted samples lie (nearest rank).
fn percentile(sorted: &[u64], p: f64) -> u64 {
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn report(name: &str, sorted: &[u64]) {
    let cells: Vec<String> = PERCENTILES.iter().map(|&(p, _)| micros(percentile(sorted, p))).collect();
    let (p50, p99) = (percentile(sorted, 0.50), percentile(sorted, 0.99));
    let max = sorted.last().copied().unwrap_or(0);
    println!("| {name} | {} | {} | {:.2} |", cells.join(" | "), micros(max), p99 as f64 / p50.max(1) as f64);
}

fn micros(ns: u64) -> String {
    format!("{:.2} µs", ns as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u64> = (1..=1000).collect();
        assert_eq!(percentile(&v, 0.50), 500);
        assert_eq!(percentile(&v, 0.99), 990);
        assert_eq!(percentile(&v, 0.999), 999);
        assert_eq!(percentile(&[7], 0.99), 7);
    }

    #[test]
    fn sample_counts_are_checked() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert_eq!(parse_samples(args(&[])), Ok(200_000));
        assert_eq!(parse_samples(args(&["--samples", "5000"])), Ok(5000));
        assert!(parse_samples(args(&["--samples", "10"])).unwrap_err().contains("at least 1000"));
        assert!(parse_samples(args(&["--samples"])).unwrap_err().contains("needs a number"));
        assert!(parse_samples(args(&["--samples", "x"])).unwrap_err().contains("not a number"));
        assert!(parse_samples(args(&["--fast"])).unwrap_err().contains("unknown argument"));
    }
}
