//! Write the seed corpora of the fuzz targets from seeded fixtures (nothing binary is
//! committed): `cargo run --release --example seeds -- DIR` fills `DIR/weights_loader` and
//! `DIR/c_abi_decide`. fuzz/smoke.sh runs it.

use std::mem::size_of;
use std::path::Path;

use hdrl::hdrl_observation;
use hdrl_infer::fixtures::{f32_models, quantize, seeded_bundle};
use hdrl_infer::weights::Metric;
use hdrl_infer::{Bundle, EncoderConfig, Model, ModelRecord, Provenance, Quant};

fn bundle(records: &[ModelRecord<'_>]) -> Vec<u8> {
    let mut metrics = heapless::Vec::new();
    let _ = metrics.push(Metric { name: "val_mean_reward", value: 0.42 });
    let provenance = Provenance {
        trace: "synthetic:7",
        seed: 7,
        created_unix_s: 1_700_000_000,
        git_rev: "0123abc",
        note: "fuzz seed",
        metrics,
    };
    let models = heapless::Vec::from_slice(records).expect("at most three records");
    Bundle {
        provenance,
        encoder: EncoderConfig::DEFAULT,
        reward_bounds: hdrl_infer::RewardBounds::DEFAULT,
        prices: None,
        carbon_profile: None,
        models,
    }
    .to_bytes()
    .expect("encodes")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
}

/// Both modes of the weights_loader target: 0 = as is, 1 = header rewritten.
fn write_loader_seed(dir: &Path, name: &str, file: &[u8]) {
    for mode in [0u8, 1] {
        let mut b = vec![mode];
        b.extend_from_slice(file);
        write(dir, &format!("{name}.mode{mode}"), &b);
    }
}

fn observation(i: u32) -> hdrl_observation {
    hdrl_observation {
        strategic_cost_usd_per_m: 2.0 + (i % 5) as f32,
        strategic_latency_p95_ms: 150.0 + 10.0 * (i % 13) as f32,
        strategic_daily_invocations: 5e4,
        app_mean_duration_ms: 180.0,
        app_memory_need_mb: 300.0,
        app_home_region: (i % 4) as u8,
        app_sla_ms: 800.0,
        app_cpu_share: 0.5,
        tactical_request_rate: (i % 9) as f32,
        tactical_region_rank: (i % 4) as u8,
        tactical_memory_tier: (i % 6) as u8,
        carbon_now_g_per_kwh: [[420.0, 90.0, 250.0, 480.0]; 3],
        carbon_past_day_g_per_kwh: [[400.0, 85.0, 240.0, 475.0]; 3],
        step_request_rate: (i % 7) as f32 * 3.0,
        step_memory_used_mb: 200.0,
        step_hour_of_day: (i % 24) as f32,
        ..Default::default()
    }
}

/// One c_abi_decide record: op, flags, param, observation bytes.
fn record(op: u8, flags: u8, param: u32, o: &hdrl_observation) -> Vec<u8> {
    let mut r = vec![op, flags];
    r.extend_from_slice(&param.to_le_bytes());
    // SAFETY: a plain `repr(C)` struct read as bytes; its padding was zeroed by `Default`
    // construction of a local whose bytes are then copied (padding may hold anything, which
    // the target accepts).
    let bytes = unsafe {
        std::slice::from_raw_parts((o as *const hdrl_observation).cast::<u8>(), size_of::<hdrl_observation>())
    };
    r.extend_from_slice(bytes);
    r
}

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "corpus".into());
    let (wl, cd) = (Path::new(&dir).join("weights_loader"), Path::new(&dir).join("c_abi_decide"));
    std::fs::create_dir_all(&wl).unwrap();
    std::fs::create_dir_all(&cd).unwrap();

    let f = f32_models(7);
    let q = quantize(&f);
    let (d32, p32, l32) = (f.dqn.payload(), f.ppo.payload(), f.lstm.payload());
    let (d8, p8, l8) = (q.dqn.payload(), q.ppo.payload(), q.lstm.payload());
    let dqn32 = <hdrl_infer::Dqn<hdrl_infer::F32> as Model>::record(&d32);
    let ppo32 = <hdrl_infer::ActorCritic<hdrl_infer::F32> as Model>::record(&p32);
    let lstm32 = <hdrl_infer::Forecaster<hdrl_infer::F32> as Model>::record(&l32);
    let dqn8 = <hdrl_infer::Dqn<hdrl_infer::I8> as Model>::record(&d8);
    let ppo8 = <hdrl_infer::ActorCritic<hdrl_infer::I8> as Model>::record(&p8);
    let lstm8 = <hdrl_infer::Forecaster<hdrl_infer::I8> as Model>::record(&l8);
    write_loader_seed(&wl, "empty", &bundle(&[]));
    write_loader_seed(&wl, "dqn_f32", &bundle(&[dqn32.clone()]));
    write_loader_seed(&wl, "dqn_i8", &bundle(&[dqn8.clone()]));
    write_loader_seed(&wl, "ppo_f32", &bundle(&[ppo32]));
    write_loader_seed(&wl, "ppo_i8", &bundle(&[ppo8]));
    write_loader_seed(&wl, "lstm_i8", &bundle(&[lstm8]));
    write_loader_seed(&wl, "lstm_f32", &bundle(&[lstm32]));
    write_loader_seed(&wl, "mixed", &bundle(&[dqn32, dqn8]));
    write_loader_seed(&wl, "all_i8", &seeded_bundle(7, Quant::I8));
    write_loader_seed(&wl, "all_f32", &seeded_bundle(7, Quant::F32));

    // c_abi_decide: a window-filling run of decisions per model, plain and with the
    // "finite" flag; one of every other call; NULL and misaligned patterns.
    for model in 0u8..3 {
        let mut run = Vec::new();
        for i in 0..14 {
            run.extend(record(model * 8, 0, 0, &observation(i)));
        }
        write(&cd, &format!("decide_model{model}"), &run);
    }
    let o = observation(3);
    let mut calls = Vec::new();
    for (op, param) in [(1u8, 0u32), (2, 0), (3, 3), (3, 2), (4, 1), (4, 7), (5, 0), (0, 0)] {
        calls.extend(record(op, 0x40, param, &o));
    }
    write(&cd, "every_call", &calls);
    let mut bad = Vec::new();
    for flags in [0x01u8, 0x02, 0x04, 0x08, 0x10, 0x20] {
        bad.extend(record(0, flags, 0, &o));
    }
    write(&cd, "bad_pointers", &bad);
    println!("seed corpora written to {dir}");
}
