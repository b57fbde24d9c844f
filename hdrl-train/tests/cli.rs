//! The command line on real inputs: `synth`, `prepare` (both trace formats), `decide`,
//! `eval-forecast`, and clear errors for bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::{ParquetReader, SerReader};

fn hdrl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hdrl"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hdrl-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn data(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn parquet_rows(p: &Path) -> usize {
    ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap().height()
}

#[test]
fn synth_writes_the_2021_format_and_it_loads_back() {
    let d = tmp("synth");
    let out = d.join("synth.csv");
    assert!(hdrl().args(["synth", "--scale", "0.01", "--seed", "3", "--out"]).arg(&out).status().unwrap().success());
    let t = hdrl_train::data::trace::load_2021(&out).unwrap();
    let direct = hdrl_train::data::synth::generate(3, 0.01);
    assert_eq!(t.inv.len(), direct.inv.len());
    assert_eq!(t.report.dropped_total(), 0);
    assert_eq!(t.funcs.len(), 424);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().next(), Some("app,func,end_timestamp,duration"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn prepare_writes_parquet_csv_and_metadata_for_both_formats() {
    for (name, trace) in [
        ("2021", data("tests/data/Azure2021_head198.csv")),
        ("2019", data("data/traces/azure2019-100/invocations.csv")),
    ] {
        let d = tmp(&format!("prepare-{name}"));
        let ok = hdrl().args(["prepare", "--trace"]).arg(&trace).arg("--out").arg(&d).status().unwrap().success();
        assert!(ok, "{name}");
        let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("metadata.json")).unwrap()).unwrap();
        let n = meta["invocations"].as_u64().unwrap() as usize;
        let rows: usize =
            ["train", "validation", "test"].iter().map(|s| parquet_rows(&d.join(format!("{s}.parquet")))).sum();
        assert_eq!(rows, n, "{name}: every invocation lands in exactly one split");
        assert!(parquet_rows(&d.join("series.parquet")) > 0);
        assert!(meta["invocation_columns"].as_array().unwrap().len() >= 10);
        assert!(meta["split_seconds"]["test"].is_array());
        let apps = std::fs::read_to_string(d.join("apps.csv")).unwrap();
        assert!(apps.starts_with("app,hash,functions,invocations"));
        if name == "2019" {
            assert!(apps.contains("timer:") || apps.contains("http:"), "trigger mix recorded");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn bad_inputs_get_clear_errors() {
    let d = tmp("bad");
    let notes = d.join("notes.txt");
    std::fs::write(&notes, "hello\n").unwrap();
    let o = hdrl().args(["prepare", "--trace"]).arg(&notes).arg("--out").arg(d.join("o")).output().unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("notes.txt") && e.contains("line 1"), "{e}");
    let o = hdrl().args(["run", "--device", "tpu", "--quick", "--out"]).arg(d.join("r")).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown device"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn decide_prints_a_decision_for_a_fixture_bundle() {
    let d = tmp("decide");
    let b = d.join("b.hdrl");
    std::fs::write(&b, hdrl_infer::fixtures::seeded_bundle(5, hdrl_infer::Quant::I8)).unwrap();
    let o = hdrl()
        .args(["decide", "--model"])
        .arg(&b)
        .args(["--observation", r#"{"app_memory_need_mb": 300, "app_mean_duration_ms": 120, "step_request_rate": 4, "step_hour_of_day": 9}"#])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(["aws", "azure", "gcp"].contains(&v["provider"].as_str().unwrap()));
    assert!(v["memory_mb"].as_u64().unwrap() >= 512, "a tier that fits 300 MB");
    assert_eq!(v["forecast_source"], "warming_up");
    let o = hdrl()
        .args(["decide", "--model"])
        .arg(&b)
        .args(["--observation", r#"{"app_memory_need_mb": -1}"#])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("outside its documented range"));
    let _ = std::fs::remove_dir_all(&d);
}
