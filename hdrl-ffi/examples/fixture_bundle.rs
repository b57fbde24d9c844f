//! Write a seeded, untrained weight bundle, for trying the C API before training one.
//!
//! ```sh
//! cargo run --release -p hdrl-ffi --example fixture_bundle -- bundle.hdrl [i8|f32] [SEED]
//! ```
//!
//! The weights are `hdrl_infer::fixtures::seeded_bundle`: deterministic Xavier-uniform
//! numbers that exercise every code path, not a trained policy. Real bundles come from
//! `hdrl export`.

use std::process::ExitCode;

use hdrl_infer::{Quant, fixtures};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || {
        eprintln!("usage: fixture_bundle OUT.hdrl [i8|f32] [SEED]");
        ExitCode::from(2)
    };
    let Some(out) = args.first() else {
        return usage();
    };
    let quant = match args.get(1).map(String::as_str) {
        None | Some("i8") => Quant::I8,
        Some("f32") => Quant::F32,
        Some(_) => return usage(),
    };
    let Ok(seed) = args.get(2).map_or(Ok(7), |s| s.parse::<u64>()) else {
        return usage();
    };
    let bytes = fixtures::seeded_bundle(seed, quant);
    if let Err(e) = std::fs::write(out, &bytes) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    println!("wrote {out}: {} bytes, {quant}, seed {seed}", bytes.len());
    ExitCode::SUCCESS
}
