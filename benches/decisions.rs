//! Decision latency, batch 1, one core: each model in f32 and int8, the whole hierarchy from a
//! raw observation (encoders included), one request on a gateway's cached path (telemetry and
//! the cached decision), and loading a bundle from bytes.
//!
//! Every iteration takes the next input of a rotating set of 64 (through `black_box`), so
//! nothing constant-folds and the branch predictor cannot learn one input. Weights are the
//! seeded fixtures of `hdrl_infer::fixtures` unless `HDRL_BENCH_BUNDLE_F32` /
//! `HDRL_BENCH_BUNDLE_I8` name trained bundles. The gate (`src/bin/bench-gate.rs`) compares the
//! medians with `benches/thresholds.toml`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hdrl_fixtures::bench_inputs::{self, ROTATION};
use hdrl_infer::{AppContext, CarbonObs, F32, Hierarchy, I8, Kernels, Outcome, Precision, Quant, Tracker, Window};

/// Next index of a rotating set.
#[inline(always)]
fn next(i: &mut usize) -> usize {
    *i = (*i + 1) & (ROTATION - 1);
    *i
}

fn loaded<P: Precision>(quant: Quant) -> Box<Hierarchy<P>> {
    let (bytes, _) = bench_inputs::bundle(quant);
    Hierarchy::<P>::load(&bytes).expect("bench bundle loads")
}

fn models<P: Precision>(c: &mut Criterion, h: &Hierarchy<P>, tag: &str) {
    let k: Kernels = *h.kernels();
    let xs = bench_inputs::dqn_inputs(ROTATION);
    let xt = bench_inputs::ppo_inputs(ROTATION);
    let ws = bench_inputs::windows(ROTATION);

    let mut g = c.benchmark_group("dqn");
    let mut i = 0;
    g.bench_function(tag, |b| {
        b.iter(|| {
            let mut q = [0.0; 3];
            let r = h.dqn.forward(&k, black_box(&xs[next(&mut i)]), &mut q);
            black_box((r, q))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ppo_actor");
    g.bench_function(tag, |b| {
        b.iter(|| {
            let mut logits = [0.0; 24];
            let r = h.ppo.actor(&k, black_box(&xt[next(&mut i)]), &mut logits);
            black_box((r, logits))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ppo_critic");
    g.bench_function(tag, |b| b.iter(|| black_box(h.ppo.critic(&k, black_box(&xt[next(&mut i)])))));
    g.finish();

    // One tactical decision as `decide` makes it: the trunk once, both heads.
    let mut g = c.benchmark_group("ppo");
    g.bench_function(tag, |b| {
        b.iter(|| {
            let mut logits = [0.0; 24];
            let r = h.ppo.forward(&k, black_box(&xt[next(&mut i)]), &mut logits);
            black_box((r, logits))
        })
    });
    g.finish();

    let mut g = c.benchmark_group("lstm_window");
    g.bench_function(tag, |b| {
        b.iter(|| {
            let mut y = [0.0; 3];
            let r = h.lstm.forward(&k, black_box(&ws[next(&mut i)]), &mut y);
            black_box((r, y))
        })
    });
    g.finish();

    // The whole decision from a raw observation: three encoders, DQN, PPO actor + critic,
    // masking and softmax, the window update and the LSTM over a full window.
    let obs = bench_inputs::observations(ROTATION, 4);
    let mut window = Window::new();
    for o in &obs[..12] {
        h.observe(&mut window, &o.step).expect("finite fixture");
    }
    let mut g = c.benchmark_group("hierarchy");
    g.bench_function(tag, |b| b.iter(|| black_box(h.decide(&mut window, black_box(&obs[next(&mut i)])))));
    g.finish();
}

/// One request on a gateway's cached path: the tracker records its start, the refresh finds
/// no layer due and the cached decision is copied, then the end is recorded. The simulated
/// clock moves 1 µs per request, so a 15-s step closes (and the LSTM runs) once every 15 M
/// requests: the amortised cost at 1 M requests/s of one function.
fn cached_request<P: Precision>(c: &mut Criterion, h: &Hierarchy<P>, tag: &str) {
    let app =
        AppContext { mean_duration_ms: 120.0, memory_need_mb: 300.0, home_region: 1, sla_ms: 1000.0, cpu_share: 0.4 };
    let mut tr = Tracker::new(app, 15.0).expect("15-s steps");
    let carbon = CarbonObs::default();
    let mut t = 86_400.0 * 20_000.0;
    h.refresh(&mut tr, t, &carbon).expect("first refresh");
    let done = Outcome { latency_ms: 120.0, cold: false, cost_usd: 2e-6 };
    let mut g = c.benchmark_group("request");
    g.bench_function(tag, |b| {
        b.iter(|| {
            t += 1e-6;
            tr.start(black_box(t)).expect("clock");
            h.refresh(&mut tr, t, &carbon).expect("refresh");
            let d = *tr.decision().expect("decided");
            tr.end(t, black_box(&done)).expect("clock");
            black_box(d)
        })
    });
    g.finish();
}

fn load<P: Precision>(c: &mut Criterion, quant: Quant, tag: &str) {
    let (bytes, _) = bench_inputs::bundle(quant);
    let mut h = Hierarchy::<P>::load(&bytes).expect("bench bundle loads");
    let mut g = c.benchmark_group("load");
    // Parse, CRC-32 and copy of the whole bundle into an existing (boxed) hierarchy.
    g.bench_function(tag, |b| b.iter(|| black_box(h.load_into(black_box(&bytes)))));
    g.finish();
}

fn decisions(c: &mut Criterion) {
    let hf = loaded::<F32>(Quant::F32);
    let hq = loaded::<I8>(Quant::I8);
    eprintln!("kernels: {:?} (weights: {})", hf.kernels().tier, bench_inputs::bundle(Quant::F32).1);
    models(c, &hf, "f32");
    models(c, &hq, "int8");
    cached_request(c, &hq, "cached_int8");
    load::<F32>(c, Quant::F32, "f32");
    load::<I8>(c, Quant::I8, "int8");
}

criterion_group!(benches, decisions);
criterion_main!(benches);
