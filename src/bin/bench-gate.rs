//! The latency gate: compares the median of every bench named in `benches/thresholds.toml`
//! with its threshold and exits non-zero when any median exceeds it by more than the file's
//! noise margin, or when a bench has no result.
//!
//! ```sh
//! cargo bench --bench decisions -- --warm-up-time 0.2 --measurement-time 0.5
//! cargo run --release --bin bench-gate
//! ```
//!
//! Medians come from criterion's `<criterion dir>/<group>/<bench>/new/estimates.json`; the
//! criterion dir is `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else
//! `target/criterion`. Options: `--thresholds FILE`, `--criterion-dir DIR`, and `--all` to
//! also list every other result found (the kernel benches, for instance) without gating it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Thresholds read from the TOML file (a flat subset: `noise_margin = x` and one
/// `"group/bench" = nanoseconds` line per bench under `[median_ns]`).
#[derive(Debug, PartialEq)]
struct Thresholds {
    noise_margin: f64,
    median_ns: Vec<(String, f64)>,
}

fn parse_thresholds(text: &str) -> Result<Thresholds, String> {
    let mut noise_margin = None;
    let mut median_ns = Vec::new();
    let mut section = String::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| format!("line {}: expected `key = value`", n + 1))?;
        let key = key.trim().trim_matches('"');
        let value: f64 = value.trim().replace('_', "").parse().map_err(|e| format!("line {}: {e}", n + 1))?;
        match (section.as_str(), key) {
            ("", "noise_margin") => noise_margin = Some(value),
            ("median_ns", name) => median_ns.push((name.to_string(), value)),
            _ => {
                return Err(format!("line {}: unknown key `{key}` in [{section}]", n + 1));
            }
        }
    }
    let noise_margin = noise_margin.ok_or("no `noise_margin`")?;
    Ok(Thresholds { noise_margin, median_ns })
}

/// `median.point_estimate` (ns) of a criterion `estimates.json`.
fn median_ns(json: &str) -> Option<f64> {
    let at = json.find("\"median\":")?;
    let rest = &json[at..];
    let p = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let num: String = rest[p..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
        .collect();
    num.parse().ok()
}

fn read_median(dir: &Path, name: &str) -> Option<f64> {
    let path = dir.join(name).join("new").join("estimates.json");
    median_ns(&std::fs::read_to_string(path).ok()?)
}

fn criterion_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CRITERION_HOME") {
        return d.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
    target.join("criterion")
}

/// Every bench under `dir` with a `new/estimates.json`, as `group/bench` names.
fn all_results(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "report" || !p.is_dir() {
            continue;
        }
        if name == "new" && p.join("estimates.json").is_file() {
            out.push(prefix.trim_end_matches('/').to_string());
        } else if name != "base" && name != "change" {
            all_results(&p, &format!("{prefix}{name}/"), out);
        }
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.3} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn main() -> ExitCode {
    let mut thresholds = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/thresholds.toml");
    let mut dir = criterion_dir();
    let mut all = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--thresholds" => thresholds = args.next().unwrap_or_default().into(),
            "--criterion-dir" => dir = args.next().unwrap_or_default().into(),
            "--all" => all = true,
            _ => {
                eprintln!("usage: bench-gate [--thresholds FILE] [--criterion-dir DIR] [--all]");
                return ExitCode::from(2);
            }
        }
    }
    let t = match std::fs::read_to_string(&thresholds).map_err(|e| e.to_string()).and_then(|s| parse_thresholds(&s)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench-gate: {}: {e}", thresholds.display());
            return ExitCode::from(2);
        }
    };
    println!(
        "bench-gate: {} thresholds from {}, criterion results in {}, noise margin {:.0} %",
        t.median_ns.len(),
        thresholds.display(),
        dir.display(),
        t.noise_margin * 100.0
    );
    println!("{:<22} {:>12} {:>12} {:>7}  status", "bench", "median", "threshold", "ratio");
    let mut failed = 0;
    for (name, limit) in &t.median_ns {
        let (median, status) = match read_median(&dir, name) {
            None => (String::from("-"), "FAIL (no result: run the bench first)"),
            Some(m) if m > limit * (1.0 + t.noise_margin) => (human(m), "FAIL"),
            Some(m) if m > *limit => (human(m), "ok (within noise margin)"),
            Some(m) => (human(m), "ok"),
        };
        let ratio = read_median(&dir, name).map_or(String::from("-"), |m| format!("{:.2}", m / limit));
        if status.starts_with("FAIL") {
            failed += 1;
        }
        println!("{name:<22} {median:>12} {:>12} {ratio:>7}  {status}", human(*limit));
    }
    if all {
        let mut names = Vec::new();
        all_results(&dir, "", &mut names);
        names.sort();
        println!("\nother results (not gated):");
        for n in names.iter().filter(|n| !t.median_ns.iter().any(|(k, _)| k == *n)) {
            if let Some(m) = read_median(&dir, n) {
                println!("{n:<40} {:>12}", human(m));
            }
        }
    }
    if failed > 0 {
        eprintln!("bench-gate: {failed} bench(es) over threshold + {:.0} % or missing", t.noise_margin * 100.0);
        ExitCode::FAILURE
    } else {
        println!("bench-gate: all {} medians within their thresholds", t.median_ns.len());
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_threshold_subset() {
        let t = parse_thresholds(
            "# comment\nnoise_margin = 0.25\n\n[median_ns]\n\"dqn/f32\" = 400 # target\n\"load/f32\" = 1_000_000\n",
        )
        .unwrap();
        assert_eq!(t.noise_margin, 0.25);
        assert_eq!(t.median_ns, vec![("dqn/f32".into(), 400.0), ("load/f32".into(), 1e6)]);
        assert!(parse_thresholds("[median_ns]\n\"a\" = 1\n").is_err());
        assert!(parse_thresholds("noise_margin = 0.1\n[other]\nx = 1\n").is_err());
    }

    #[test]
    fn reads_the_median_not_the_mean_or_mad() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.0,"standard_error":0.1},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5e2,"standard_error":0.1},"median_abs_dev":{"point_estimate":9.0}}"#;
        assert_eq!(median_ns(json), Some(150.0));
        assert_eq!(median_ns("{}"), None);
    }
}
