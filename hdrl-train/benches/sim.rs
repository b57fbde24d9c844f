//! Trace loading and simulator throughput.
//!
//! `cargo bench -p hdrl-train --bench sim`: loads a 2 M-row Azure 2021-format file (written
//! once from the synthetic trace) alone and with the featurisation training uses, and steps the vectorised tactical environment (the PPO
//! rollout path) and the operational environment.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hdrl_train::sim::Pool;
use hdrl_train::sim::Scenario;
use hdrl_train::sim::env::{Env, OperationalEnv, TacticalEnv};
use hdrl_train::sim::tables::default_placement;

fn trace_load(c: &mut Criterion) {
    let path = std::env::temp_dir().join("hdrl-bench-2m.csv");
    if !path.exists() {
        hdrl_train::data::trace::write_2021(&hdrl_train::data::synth::generate(42, 1.0), &path).unwrap();
    }
    let rows = hdrl_train::data::trace::load_2021(&path).unwrap().report.rows;
    let mut g = c.benchmark_group("trace_load");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.throughput(Throughput::Elements(rows as u64));
    g.bench_function(format!("azure2021_{rows}_rows"), |b| {
        b.iter(|| black_box(hdrl_train::data::trace::load_2021(&path).unwrap().inv.len()))
    });
    // Load, then everything training and evaluation derive from the trace: per-app profiles,
    // hourly per-function series, the simulator tables (what `hdrl run` times as `tables`).
    g.bench_function(format!("azure2021_{rows}_rows_and_featurise"), |b| {
        b.iter(|| {
            black_box(Scenario::new(hdrl_train::data::trace::load_2021(&path).unwrap()).unwrap().tab.profiles.len())
        })
    });
    g.finish();
}

fn env_steps(c: &mut Criterion) {
    let d = Scenario::new(hdrl_train::data::synth::generate(42, 0.1)).unwrap();
    let mut g = c.benchmark_group("env");
    let n = 32;
    let mut tac = TacticalEnv::new(&d.sim, &d.tab, d.enc, d.split.train, n, 1);
    let actions: Vec<usize> = (0..n).map(|i| (i * 7) % 24).collect();
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("tactical_step_all_32", |b| b.iter(|| black_box(tac.step_all(&actions).reward[0])));
    let f = (0..d.tab.profiles.len()).max_by_key(|&f| d.hourly.by_func[f].len()).unwrap();
    let pl = default_placement(&d.tab.profiles[f], hdrl_infer::Provider::Aws);
    let mut op = OperationalEnv::new(
        &d.sim,
        f,
        d.tab.profiles[f],
        &d.hourly.by_func[f],
        pl,
        Pool::provider_window(pl),
        0.0,
        15.0,
        14 * 5760,
    );
    op.reset();
    g.throughput(Throughput::Elements(1));
    g.bench_function("operational_step_busiest_function", |b| {
        b.iter(|| {
            let (_, r, done) = op.step(1);
            if done {
                op.reset();
            }
            black_box(r)
        })
    });
    g.finish();
}

criterion_group!(benches, trace_load, env_steps);
criterion_main!(benches);
