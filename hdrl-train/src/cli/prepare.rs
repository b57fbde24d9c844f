//! `hdrl prepare`: what the research's data-preparation phase produced, in open formats.
//!
//! `prepare` writes into its output directory:
//! - `train.parquet`, `validation.parquet`, `test.parquet`: one row per invocation with its
//!   engineered features (see `metadata.json` for every column, its unit and normalisation);
//! - `series.parquet`: the per-function binned series (`--step`, default 15 s); steps with
//!   neither a start nor busy time are omitted (the series is sparse);
//! - `functions.csv` (id → hash, app, trigger) and `apps.csv` (per-app profile: rate,
//!   duration and memory statistics, trigger mix where the format records it);
//! - `metadata.json`: source, load report, split boundaries, features.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use hdrl_infer::{EncoderConfig, Scale};
use polars::prelude::{DataFrame, ParquetWriter, df};
use serde::Serialize;

use crate::data::load::load_trace;
use crate::data::series;
use crate::data::trace::{self, Trace};
use crate::data::workload::{DAY_S, Profile, Split, profiles};
use crate::output::files::{write_atomic, write_json};

#[derive(Serialize)]
struct Feature {
    name: &'static str,
    unit: &'static str,
    normalisation: String,
    description: &'static str,
}

#[derive(Serialize)]
struct Metadata<'a> {
    source: &'a str,
    load_report: &'a trace::LoadReport,
    invocations: usize,
    functions: usize,
    apps: usize,
    days: usize,
    split_days_0_based_end_exclusive: Split,
    split_seconds: BTreeMap<&'static str, (f64, f64)>,
    series_step_s: f64,
    invocation_columns: Vec<Feature>,
    series_columns: Vec<Feature>,
    derived: &'static str,
}

fn scale_text(s: &Scale) -> String {
    match s.kind {
        Scale::LOG1P => format!("log1p(x) / log1p({})", s.hi),
        Scale::LINEAR => format!("(x - {}) / ({} - {})", s.lo, s.hi, s.lo),
        _ => format!("(sin(2π x / {}) + 1) / 2", s.hi),
    }
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    let tmp = path.with_extension("parquet.tmp");
    let f = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    ParquetWriter::new(f).finish(df).with_context(|| format!("writing {}", path.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// Per-invocation engineered features of one time range.
fn invocation_frame(t: &Trace, prof: &[Profile], range: (f64, f64)) -> Result<DataFrame> {
    let by_func = t.by_func();
    let (
        mut app,
        mut func,
        mut start,
        mut dur,
        mut day,
        mut hour,
        mut hsin,
        mut dow,
        mut gap,
        mut conc,
        mut mem,
        mut sla,
    ) = (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (f, inv) in by_func.iter().enumerate() {
        let mut ends: std::collections::BinaryHeap<std::cmp::Reverse<u64>> = Default::default();
        let mut prev_end: Option<f64> = None;
        for i in inv {
            let end = i.start + i.duration as f64;
            while ends.peek().is_some_and(|e| (e.0 as f64) / 1e6 <= i.start) {
                ends.pop();
            }
            if i.start >= range.0 && i.start < range.1 {
                app.push(t.funcs[f].app);
                func.push(f as u32);
                start.push(i.start);
                dur.push(i.duration as f64);
                day.push((i.start / DAY_S) as u32);
                let h = (i.start % DAY_S) / 3600.0;
                hour.push(h);
                hsin.push((std::f64::consts::TAU * h / 24.0).sin());
                dow.push(((i.start / DAY_S) as u32) % 7);
                gap.push(prev_end.map(|p| i.start - p));
                conc.push(ends.len() as u32);
                mem.push(prof[f].memory_need_mb as f64);
                sla.push(prof[f].sla_ms as f64);
            }
            ends.push(std::cmp::Reverse((end * 1e6) as u64));
            prev_end = Some(prev_end.map_or(end, |p: f64| p.max(end)));
        }
    }
    let mut df = df!(
        "app" => app,
        "func" => func,
        "start_s" => start,
        "duration_s" => dur,
        "day" => day,
        "hour_of_day" => hour,
        "hour_sin" => hsin,
        "day_of_week" => dow,
        "idle_before_s" => gap,
        "concurrency_at_start" => conc,
        "memory_need_mb" => mem,
        "sla_ms" => sla,
    )?;
    df.sort_in_place(["start_s"], Default::default())?;
    Ok(df)
}

/// The sparse binned series: steps with neither a start nor busy time are omitted.
fn series_frame(t: &Trace, prof: &[Profile], step_s: f64) -> Result<DataFrame> {
    let steps = (t.days() as f64 * DAY_S / step_s).ceil() as usize;
    let (mut sf, mut sk, mut cnt, mut busy, mut rate, mut conc, mut memu, mut cpu, mut hour) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for (f, inv) in t.by_func().iter().enumerate() {
        for (k, b) in series::bin(inv, 0.0, step_s, steps).iter().enumerate() {
            if b.count == 0 && b.busy_s == 0.0 {
                continue;
            }
            let s = series::step_features(b, &prof[f], step_s, k as f64 * step_s);
            sf.push(f as u32);
            sk.push(k as u32);
            cnt.push(b.count);
            busy.push(b.busy_s);
            rate.push(s.request_rate);
            conc.push(s.queue_depth);
            memu.push(s.memory_used_mb);
            cpu.push(s.cpu_util);
            hour.push(s.hour_of_day);
        }
    }
    Ok(df!(
        "func" => sf, "step" => sk, "count" => cnt, "busy_s" => busy, "request_rate" => rate,
        "concurrency" => conc, "memory_used_mb" => memu, "cpu_util" => cpu, "hour_of_day" => hour,
    )?)
}

/// `functions.csv`: id → hash, app, trigger and the derived profile.
fn functions_csv(t: &Trace, prof: &[Profile]) -> String {
    let mut fcsv = String::from("func,hash,app,trigger,memory_need_mb,cpu_frac,home_region,sla_ms\n");
    for (i, (f, p)) in t.funcs.iter().zip(prof).enumerate() {
        fcsv += &format!(
            "{i},{},{},{},{},{:.3},{},{:.1}\n",
            f.name, f.app, f.trigger, p.memory_need_mb, p.cpu_frac, p.home_region, p.sla_ms
        );
    }
    fcsv
}

/// `apps.csv`: per-app rate, duration and memory statistics, trigger mix.
fn apps_csv(t: &Trace, prof: &[Profile]) -> String {
    let by_func = t.by_func();
    let mut acsv = String::from(
        "app,hash,functions,invocations,invocations_per_day,duration_mean_s,duration_p50_s,duration_p95_s,memory_need_mb,trigger_mix\n",
    );
    for (a, hash) in t.apps.iter().enumerate() {
        let fs: Vec<usize> = (0..t.funcs.len()).filter(|&f| t.funcs[f].app as usize == a).collect();
        let mut d: Vec<f32> = fs.iter().flat_map(|&f| by_func[f].iter().map(|i| i.duration)).collect();
        d.sort_by(f32::total_cmp);
        let n = d.len();
        let pct = |q: f64| if n == 0 { 0.0 } else { d[((n - 1) as f64 * q) as usize] };
        let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
        for &f in &fs {
            let tr = t.funcs[f].trigger.as_str();
            *mix.entry(if tr.is_empty() { "unknown" } else { tr }).or_default() += 1;
        }
        let mix: Vec<String> = mix.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        acsv += &format!(
            "{a},{hash},{},{n},{:.1},{:.4},{:.4},{:.4},{},{}\n",
            fs.len(),
            n as f64 / t.days() as f64,
            if n == 0 { 0.0 } else { d.iter().sum::<f32>() / n as f32 },
            pct(0.5),
            pct(0.95),
            fs.first().map(|&f| prof[f].memory_need_mb).unwrap_or(0.0),
            mix.join(";")
        );
    }
    acsv
}

/// `metadata.json`: source, load report, split boundaries, every column.
fn metadata<'a>(t: &'a Trace, split: Split, step_s: f64) -> Metadata<'a> {
    let enc = EncoderConfig::DEFAULT;
    let none = || "none (raw)".to_string();
    Metadata {
        source: &t.source,
        load_report: &t.report,
        invocations: t.inv.len(),
        functions: t.funcs.len(),
        apps: t.apps.len(),
        days: t.days(),
        split_days_0_based_end_exclusive: split,
        split_seconds: BTreeMap::from([
            ("train", Split::secs(split.train)),
            ("validation", Split::secs(split.val)),
            ("test", Split::secs(split.test)),
        ]),
        series_step_s: step_s,
        invocation_columns: vec![
            Feature { name: "app", unit: "id", normalisation: none(), description: "app index (apps.csv)" },
            Feature { name: "func", unit: "id", normalisation: none(), description: "function index (functions.csv)" },
            Feature {
                name: "start_s",
                unit: "s",
                normalisation: none(),
                description: "start time from trace start (end_timestamp − duration)",
            },
            Feature {
                name: "duration_s",
                unit: "s",
                normalisation: none(),
                description: "execution time from the trace",
            },
            Feature { name: "day", unit: "day", normalisation: none(), description: "0-based day of the trace" },
            Feature {
                name: "hour_of_day",
                unit: "h",
                normalisation: scale_text(&enc.operational[4]),
                description: "UTC hour",
            },
            Feature { name: "hour_sin", unit: "1", normalisation: none(), description: "sin(2π hour / 24)" },
            Feature {
                name: "day_of_week",
                unit: "day",
                normalisation: none(),
                description: "0 = the trace's first day (a Sunday for Azure 2021)",
            },
            Feature {
                name: "idle_before_s",
                unit: "s",
                normalisation: none(),
                description: "time since the function's previous invocation ended (null for the first)",
            },
            Feature {
                name: "concurrency_at_start",
                unit: "invocations",
                normalisation: scale_text(&enc.operational[3]),
                description: "other invocations of the function in flight at start",
            },
            Feature {
                name: "memory_need_mb",
                unit: "MB",
                normalisation: scale_text(&enc.app[1]),
                description: "derived from the Azure 2019 memory sample (README: data)",
            },
            Feature {
                name: "sla_ms",
                unit: "ms",
                normalisation: scale_text(&enc.app[3]),
                description: "1.5 × train-day p95 duration + 500 ms",
            },
        ],
        series_columns: vec![
            Feature { name: "count", unit: "invocations", normalisation: none(), description: "starts in the step" },
            Feature { name: "busy_s", unit: "s", normalisation: none(), description: "execution time inside the step" },
            Feature {
                name: "request_rate",
                unit: "requests/s",
                normalisation: scale_text(&enc.operational[0]),
                description: "LSTM feature 1",
            },
            Feature {
                name: "memory_used_mb",
                unit: "MB",
                normalisation: scale_text(&enc.operational[1]),
                description: "LSTM feature 2: memory need × busy instances",
            },
            Feature {
                name: "cpu_util",
                unit: "0–1",
                normalisation: scale_text(&enc.operational[2]),
                description: "LSTM feature 3: CPU-bound fraction × min(concurrency, 1)",
            },
            Feature {
                name: "concurrency",
                unit: "in-flight",
                normalisation: scale_text(&enc.operational[3]),
                description: "LSTM feature 4 (queue depth): busy_s / step",
            },
            Feature {
                name: "hour_of_day",
                unit: "h",
                normalisation: scale_text(&enc.operational[4]),
                description: "LSTM feature 5",
            },
        ],
        derived: "The 2021 trace has no memory or CPU: memory need per app from the real Azure 2019 memory sample (pct100 of a function picked by app hash), CPU-bound fraction per function uniform in [0.2, 0.9] by hash.",
    }
}

/// `hdrl prepare`.
///
/// # Errors
/// Bad trace, I/O.
pub fn prepare(trace_path: Option<&Path>, out: &Path, step_s: f64, seed: u64) -> Result<()> {
    anyhow::ensure!(step_s > 0.0 && step_s.is_finite(), "--step must be a positive number of seconds");
    let t0 = std::time::Instant::now();
    let t = load_trace(trace_path, seed, 1.0)?;
    eprintln!("{}: {} ({:.1} s)", t.source, t.report, t0.elapsed().as_secs_f64());
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let split = Split::for_days(t.days());
    let mem = trace::load_memory_str(crate::data::refdata::AZURE2019_MEMORY)?;
    let prof = profiles(&t, &split, &mem);
    for (name, r) in [("train", split.train), ("validation", split.val), ("test", split.test)] {
        let mut df = invocation_frame(&t, &prof, Split::secs(r))?;
        write_parquet(&out.join(format!("{name}.parquet")), &mut df)?;
        eprintln!("{name}.parquet: {} rows", df.height());
    }
    let mut series_df = series_frame(&t, &prof, step_s)?;
    write_parquet(&out.join("series.parquet"), &mut series_df)?;
    eprintln!("series.parquet: {} non-empty steps of {step_s} s", series_df.height());
    write_atomic(&out.join("functions.csv"), functions_csv(&t, &prof).as_bytes())?;
    write_atomic(&out.join("apps.csv"), apps_csv(&t, &prof).as_bytes())?;
    write_json(&out.join("metadata.json"), &metadata(&t, split, step_s))?;
    eprintln!("wrote {} in {:.1} s", out.display(), t0.elapsed().as_secs_f64());
    Ok(())
}
