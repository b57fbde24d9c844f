//! `hdrl run --quick` end to end: the report has every field the issue names, the plots are
//! real PNGs, the exported bundles load, and the hierarchy beats `random`.

use std::path::Path;
use std::process::Command;

fn png_size(p: &Path) -> (u32, u32) {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", p.display());
    let w = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
    let h = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
    (w, h)
}

#[test]
fn quick_run_produces_a_complete_report() {
    let out = std::env::temp_dir().join(format!("hdrl-run-quick-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_hdrl"))
        .args(["run", "--quick", "--quiet", "--out"])
        .arg(&out)
        .status()
        .expect("run hdrl");
    assert!(status.success());
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();

    let policy_fields = [
        "mean_reward",
        "cost_usd_per_m",
        "latency_ms_p50",
        "latency_ms_p95",
        "latency_ms_p99",
        "carbon_g_per_m",
        "sla_violation_rate",
        "cold_start_rate",
    ];
    for p in ["hierarchy", "random", "cheapest", "fastest", "greenest", "best_fixed", "greedy_carbon", "oracle"] {
        for f in policy_fields {
            let v = &r["policies"][p][f];
            assert!(v.as_f64().is_some_and(f64::is_finite), "policies.{p}.{f} = {v}");
        }
    }
    for a in ["strategic_only", "strategic_tactical", "full"] {
        assert!(r["ablation"][a]["mean_reward"].as_f64().is_some(), "ablation.{a}");
    }
    for ds in ["trace", "azure2019"] {
        for m in ["lstm", "reactive", "static_2x", "ma5", "seasonal_naive", "ewma"] {
            for f in ["rmse", "mae", "r2", "mase", "under_rate", "over_ratio"] {
                assert!(r["forecast"][ds][m][f].is_number(), "forecast.{ds}.{m}.{f}");
            }
        }
    }
    // Per activity class too: every class dataset names its class and carries the LSTM.
    let fc = r["forecast"].as_object().unwrap();
    let classes: Vec<&String> = fc.keys().filter(|k| k.contains(", ")).collect();
    assert!(classes.iter().any(|k| k.starts_with("trace, ")), "{:?}", fc.keys());
    for k in classes {
        assert!(["busy", "medium", "sparse"].iter().any(|c| k.ends_with(&format!("{c} functions"))), "{k}");
        assert!(fc[k]["lstm"]["rmse"].as_f64().is_some_and(f64::is_finite), "{k}");
    }
    for f in ["dqn_agreement", "ppo_agreement", "lstm_rmse_f32", "lstm_rmse_int8", "hierarchy_mean_reward"] {
        assert!(r["int8"][f].as_f64().is_some(), "int8.{f}");
    }
    let wall = r["wall_s"].as_object().unwrap();
    for s in ["trace", "train_dqn", "train_ppo", "train_lstm", "export", "eval_simulate", "report"] {
        assert!(wall[s].as_f64().unwrap() >= 0.0, "wall_s.{s}");
    }

    // The hierarchy beats random, in the same simulation run.
    let h = r["policies"]["hierarchy"]["mean_reward"].as_f64().unwrap();
    let rnd = r["policies"]["random"]["mean_reward"].as_f64().unwrap();
    assert!(h > rnd, "hierarchy {h} does not beat random {rnd}");

    // Plots open as PNGs of a sensible size; the markdown links them.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for png in ["training_curves.png", "policies.png", "pareto.png", "forecast.png", "coldstarts.png", "prewarm.png"] {
        let (w, h) = png_size(&out.join(png));
        assert!(w >= 400 && h >= 300, "{png}: {w}x{h}");
        assert!(md.contains(png), "report.md does not show {png}");
    }

    // Exported bundles load in hdrl-infer and decide.
    let f32b = std::fs::read(out.join("models/bundle.f32.hdrl")).unwrap();
    let i8b = std::fs::read(out.join("models/bundle.int8.hdrl")).unwrap();
    let h32 = hdrl_infer::Hierarchy::<hdrl_infer::F32>::load(&f32b).unwrap();
    let h8 = hdrl_infer::Hierarchy::<hdrl_infer::I8>::load(&i8b).unwrap();
    let mut w = hdrl_infer::Window::new();
    h32.decide(&mut w, &hdrl_infer::Observation::default()).unwrap();
    h8.decide(&mut w, &hdrl_infer::Observation::default()).unwrap();
    let b = hdrl_infer::Bundle::parse(&f32b).unwrap();
    assert_eq!(b.provenance.seed, 42);
    assert!(b.provenance.metrics.iter().any(|m| m.name == "dqn_val_reward"));
    assert!(out.join("config.json").exists());

    // The saved forecaster evaluates on any per-minute file.
    let json = out.join("ef.json");
    let series = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/traces/azure2019-100/invocations.csv");
    let ok = Command::new(env!("CARGO_BIN_EXE_hdrl"))
        .args(["eval-forecast", "--model"])
        .arg(out.join("models/lstm2019.f32.hdrl"))
        .arg("--series")
        .arg(&series)
        .arg("--json")
        .arg(&json)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let ef: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();

    // The bundle carries the run's reward bounds, and `hdrl eval` scores it with them on a
    // trace it was not trained on, against that trace's own baselines.
    let bounds = &r["reward_bounds"];
    assert!(bounds["max_carbon_g"].as_f64().unwrap() > 0.0);
    let stored = bounds["max_latency_ms"].as_f64().unwrap();
    assert!((h32.reward_bounds.max_latency_ms as f64 - stored).abs() < 1e-6 * stored, "bundle and report agree");
    for c in ["cost", "perf", "carbon"] {
        assert!(r["objective_worth"][c].as_f64().unwrap() > 0.0, "objective_worth.{c}");
    }
    for b in ["expected_best", "oracle_hourly", "greedy_carbon"] {
        assert!(r["versus"][b]["delta"].as_f64().is_some(), "versus.{b}");
    }
    let ev = out.join("eval");
    let ok = Command::new(env!("CARGO_BIN_EXE_hdrl"))
        .args(["eval", "--quiet", "--scale", "0.02", "--seed", "7", "--bundle"])
        .arg(out.join("models/bundle.f32.hdrl"))
        .arg("--out")
        .arg(&ev)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let e: serde_json::Value = serde_json::from_slice(&std::fs::read(ev.join("report.json")).unwrap()).unwrap();
    assert_eq!(e["reward_bounds"], r["reward_bounds"], "eval scores with the bundle's bounds");
    assert!(e["trace"].as_str().unwrap().contains("seed=7"));
    assert!(e["policies"]["hierarchy"]["mean_reward"].as_f64().is_some_and(f64::is_finite));
    assert!(e["versus"]["expected_best"]["units"].as_u64().unwrap() > 0);
    let int8 = Command::new(env!("CARGO_BIN_EXE_hdrl"))
        .args(["eval", "--quiet", "--scale", "0.02", "--bundle"])
        .arg(out.join("models/bundle.int8.hdrl"))
        .arg("--out")
        .arg(out.join("eval8"))
        .output()
        .unwrap();
    assert!(!int8.status.success() && String::from_utf8_lossy(&int8.stderr).contains("f32 bundle"));
    assert_eq!(
        ef["all"]["lstm"]["rmse"], r["forecast"]["azure2019"]["lstm"]["rmse"],
        "same model, same data, same number"
    );
    let _ = std::fs::remove_dir_all(&out);
}
