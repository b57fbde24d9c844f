//! Trace loading: the Azure Functions 2021 invocation format and the 2019 per-minute format,
//! read with polars. The only file that knows their column names.
//!
//! Bad rows are counted by kind and reported; the load continues. A file that is not a trace
//! at all is an error naming the file and the first bad line.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::{
    CsvReadOptions, DataFrame, LazyCsvReader, LazyFileListReader, PlRefPath, SerReader, StringChunked,
};
use serde::Serialize;

/// Columns of the 2021 format, in order.
pub const COLUMNS_2021: [&str; 4] = ["app", "func", "end_timestamp", "duration"];
/// Leading columns of the 2019 per-minute format.
pub const COLUMNS_2019: [&str; 4] = ["HashOwner", "HashApp", "HashFunction", "Trigger"];

/// One invocation: function index, start time (s from trace start) and duration (s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Invocation {
    /// Index into [`Trace::funcs`].
    pub func: u32,
    /// Start time, seconds since the trace start (`end_timestamp − duration`).
    pub start: f64,
    /// Execution time, seconds.
    pub duration: f32,
}

/// A function of the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    /// Hash from the trace.
    pub name: String,
    /// Index into [`Trace::apps`].
    pub app: u32,
    /// Trigger type where the format records it (2019), else empty.
    pub trigger: String,
}

/// What a load found, by kind. Dropped rows are never silent: they are counted here.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LoadReport {
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Rows kept.
    pub kept: usize,
    /// Dropped rows by kind (`missing_field`, `unparsable_number`, `nan_value`,
    /// `negative_duration`, `negative_timestamp`).
    pub dropped: BTreeMap<String, usize>,
    /// Rows whose start time precedes the previous row's (kept; the trace is re-sorted).
    pub out_of_order: usize,
    /// First dropped row, as a 1-based file line number.
    pub first_bad_line: Option<usize>,
}

impl LoadReport {
    fn drop(&mut self, kind: &str, row: usize) {
        *self.dropped.entry(kind.to_string()).or_default() += 1;
        if self.first_bad_line.is_none() {
            self.first_bad_line = Some(row + 2);
        }
    }

    /// Total dropped rows.
    pub fn dropped_total(&self) -> usize {
        self.dropped.values().sum()
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} rows, {} kept", self.rows, self.kept)?;
        for (k, v) in &self.dropped {
            write!(f, ", {v} dropped ({k})")?;
        }
        if self.out_of_order > 0 {
            write!(f, ", {} out of order (kept, re-sorted)", self.out_of_order)?;
        }
        if let Some(l) = self.first_bad_line {
            write!(f, "; first dropped row at line {l}")?;
        }
        Ok(())
    }
}

/// An invocation trace in memory: apps, functions, invocations sorted by start time.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Where it came from (file path or `synthetic:seed=…`).
    pub source: String,
    /// App hashes.
    pub apps: Vec<String>,
    /// Functions.
    pub funcs: Vec<Func>,
    /// Invocations, sorted by start time.
    pub inv: Vec<Invocation>,
    /// What the load found.
    pub report: LoadReport,
}

impl Trace {
    /// Seconds from the first start to the last end.
    pub fn span_s(&self) -> f64 {
        let end = self.inv.iter().map(|i| i.start + i.duration as f64).fold(0.0, f64::max);
        end.max(0.0)
    }

    /// Whole days in which invocations start (at least 1).
    pub fn days(&self) -> usize {
        let last = self.inv.last().map(|i| i.start).unwrap_or(0.0);
        ((last / 86_400.0).floor() as usize + 1).max(1)
    }

    /// Invocations of each function, in start order.
    pub fn by_func(&self) -> Vec<Vec<Invocation>> {
        let mut out = vec![Vec::new(); self.funcs.len()];
        for i in &self.inv {
            out[i.func as usize].push(*i);
        }
        out
    }
}

/// Read the first line of a file, with a clear error for unreadable or binary files.
fn header_line(path: &Path) -> Result<String> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open trace {}", path.display()))?;
    let mut line = String::new();
    let mut r = BufReader::new(f);
    r.read_line(&mut line).with_context(|| format!("{}: line 1 is not text (is this a CSV trace?)", path.display()))?;
    Ok(line.trim_end_matches(['\n', '\r']).trim_start_matches('\u{feff}').to_string())
}

/// Which format a file is in, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `app,func,end_timestamp,duration`.
    Azure2021,
    /// `HashOwner,HashApp,HashFunction,Trigger,<minutes>`.
    Azure2019,
}

/// Detect the format of a trace file from its header.
///
/// # Errors
/// The file cannot be read, or its header is neither format (the error quotes line 1).
pub fn detect(path: &Path) -> Result<Format> {
    let h = header_line(path)?;
    let cols: Vec<&str> = h.split(',').map(str::trim).collect();
    if cols.len() >= 4 && cols[..4] == COLUMNS_2021 {
        return Ok(Format::Azure2021);
    }
    if cols.len() >= 5 && cols[..4] == COLUMNS_2019 {
        return Ok(Format::Azure2019);
    }
    let shown: String = h.chars().take(120).collect();
    bail!(
        "{}: line 1 is not a trace header: expected `{}` (Azure 2021) or `{},<minute columns>` (Azure 2019), found `{}`",
        path.display(),
        COLUMNS_2021.join(","),
        COLUMNS_2019.join(","),
        shown
    )
}

fn read_all_strings(path: &Path) -> Result<DataFrame> {
    let p = path.to_str().with_context(|| format!("{}: path is not UTF-8", path.display()))?;
    LazyCsvReader::new(PlRefPath::from(p))
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_truncate_ragged_lines(true)
        .with_missing_is_null(true)
        .finish()
        .and_then(|lf| lf.collect())
        .with_context(|| format!("{}: cannot parse as CSV", path.display()))
}

/// Load an Azure Functions 2021 trace (`app,func,end_timestamp,duration`, seconds).
///
/// # Errors
/// The file is missing, unreadable, or not in this format.
pub fn load_2021(path: &Path) -> Result<Trace> {
    if detect(path)? != Format::Azure2021 {
        bail!("{}: this is an Azure 2019 per-minute file, not a 2021 invocation trace", path.display());
    }
    let df = read_all_strings(path)?;
    let col = |n: &str| -> Result<&StringChunked> {
        Ok(df.column(n).with_context(|| format!("{}: no column {n}", path.display()))?.str()?)
    };
    let (app, func, end, dur) = (col("app")?, col("func")?, col("end_timestamp")?, col("duration")?);
    let mut t = Trace { source: path.display().to_string(), ..Default::default() };
    let mut app_ids: HashMap<String, u32> = HashMap::new();
    let mut func_ids: HashMap<String, u32> = HashMap::new();
    let mut last_start = f64::NEG_INFINITY;
    for (row, (((a, f), e), d)) in app.iter().zip(func.iter()).zip(end.iter()).zip(dur.iter()).enumerate() {
        t.report.rows += 1;
        let (Some(a), Some(f), Some(e), Some(d)) = (a, f, e, d) else {
            t.report.drop("missing_field", row);
            continue;
        };
        if a.is_empty() || f.is_empty() {
            t.report.drop("missing_field", row);
            continue;
        }
        let (Ok(e), Ok(d)) = (e.trim().parse::<f64>(), d.trim().parse::<f64>()) else {
            t.report.drop("unparsable_number", row);
            continue;
        };
        if e.is_nan() || d.is_nan() || e.is_infinite() || d.is_infinite() {
            t.report.drop("nan_value", row);
            continue;
        }
        if d < 0.0 {
            t.report.drop("negative_duration", row);
            continue;
        }
        let start = e - d;
        if e < 0.0 {
            t.report.drop("negative_timestamp", row);
            continue;
        }
        if start < last_start {
            t.report.out_of_order += 1;
        }
        last_start = start;
        let app_id = *app_ids.entry(a.to_string()).or_insert_with(|| {
            t.apps.push(a.to_string());
            (t.apps.len() - 1) as u32
        });
        let fid = *func_ids.entry(f.to_string()).or_insert_with(|| {
            t.funcs.push(Func { name: f.to_string(), app: app_id, trigger: String::new() });
            (t.funcs.len() - 1) as u32
        });
        t.inv.push(Invocation { func: fid, start: start.max(0.0), duration: d as f32 });
    }
    t.report.kept = t.inv.len();
    t.inv.sort_by(|a, b| a.start.total_cmp(&b.start));
    if t.inv.is_empty() {
        bail!("{}: no valid invocation rows ({})", path.display(), t.report);
    }
    Ok(t)
}

/// A function of the 2019 per-minute format with its counts.
#[derive(Clone, Debug, PartialEq)]
pub struct MinuteSeries {
    /// Owner hash.
    pub owner: String,
    /// App hash.
    pub app: String,
    /// Function hash.
    pub func: String,
    /// Trigger (`http`, `timer`, `queue`, ...).
    pub trigger: String,
    /// Invocations per minute, from `first_minute`.
    pub counts: Vec<f32>,
}

/// A 2019-format file: per-minute invocation counts of many functions over a contiguous
/// minute range.
#[derive(Clone, Debug, Default)]
pub struct PerMinute {
    /// Where it came from.
    pub source: String,
    /// First minute column (minute of day, 1-based in the original trace).
    pub first_minute: u32,
    /// Functions.
    pub series: Vec<MinuteSeries>,
    /// What the load found (row = function row; unparsable counts are set to 0 and counted).
    pub report: LoadReport,
}

/// Load the 2019 per-minute format from a file.
///
/// # Errors
/// The file is missing, not in this format, or its minute columns are not contiguous integers.
pub fn load_2019(path: &Path) -> Result<PerMinute> {
    if detect(path)? != Format::Azure2019 {
        bail!("{}: this is an Azure 2021 invocation trace, not a 2019 per-minute file", path.display());
    }
    let df = read_all_strings(path)?;
    parse_2019(&df, &path.display().to_string())
}

/// Load the 2019 per-minute format from CSV text (the embedded real sample).
///
/// # Errors
/// As [`load_2019`].
pub fn load_2019_str(csv: &str, source: &str) -> Result<PerMinute> {
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .into_reader_with_file_handle(std::io::Cursor::new(csv.as_bytes().to_vec()))
        .finish()
        .with_context(|| format!("{source}: cannot parse as CSV"))?;
    parse_2019(&df, source)
}

fn parse_2019(df: &DataFrame, source: &str) -> Result<PerMinute> {
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
    if names.len() < 5 || names[..4] != COLUMNS_2019 {
        bail!("{source}: line 1 does not start with {}", COLUMNS_2019.join(","));
    }
    let minutes: Vec<u32> = names[4..]
        .iter()
        .map(|n| n.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{source}: line 1: minute columns must be integers"))?;
    for w in minutes.windows(2) {
        if w[1] != w[0] + 1 {
            bail!("{source}: line 1: minute columns are not contiguous ({} then {})", w[0], w[1]);
        }
    }
    let s = |n: &str| -> Result<&StringChunked> { Ok(df.column(n)?.str()?) };
    let (owner, app, func, trig) = (s("HashOwner")?, s("HashApp")?, s("HashFunction")?, s("Trigger")?);
    let cols: Vec<&StringChunked> = names[4..].iter().map(|n| s(n)).collect::<Result<_>>()?;
    let mut out = PerMinute { source: source.to_string(), first_minute: minutes[0], ..Default::default() };
    for row in 0..df.height() {
        out.report.rows += 1;
        let (Some(o), Some(a), Some(f)) = (owner.get(row), app.get(row), func.get(row)) else {
            out.report.drop("missing_field", row);
            continue;
        };
        let mut counts = Vec::with_capacity(cols.len());
        let mut bad = false;
        for c in &cols {
            let v = c.get(row).map(|v| v.trim().parse::<f32>());
            match v {
                Some(Ok(x)) if x.is_finite() && x >= 0.0 => counts.push(x),
                _ => {
                    bad = true;
                    counts.push(0.0);
                }
            }
        }
        if bad {
            // The row is kept (one bad cell should not lose a function); the bad cells count.
            *out.report.dropped.entry("unparsable_count_cells_zeroed".into()).or_default() += 1;
            if out.report.first_bad_line.is_none() {
                out.report.first_bad_line = Some(row + 2);
            }
        }
        out.series.push(MinuteSeries {
            owner: o.into(),
            app: a.into(),
            func: f.into(),
            trigger: trig.get(row).unwrap_or("").into(),
            counts,
        });
    }
    out.report.kept = out.series.len();
    Ok(out)
}

/// Duration percentiles (ms) of one function (2019 `function_durations_percentiles` schema).
#[derive(Clone, Debug, PartialEq)]
pub struct DurationPct {
    /// Function hash.
    pub func: String,
    /// (percentile, milliseconds): 0, 1, 25, 50, 75, 99, 100.
    pub points: Vec<(f64, f64)>,
}

/// Load duration percentiles from CSV text.
///
/// # Errors
/// Missing columns.
pub fn load_durations_str(csv: &str) -> Result<Vec<DurationPct>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let idx = |n: &str| header.iter().position(|h| *h == n).with_context(|| format!("durations: no column {n}"));
    let f = idx("HashFunction")?;
    let pcts = [
        (0.0, "percentile_Average_0"),
        (1.0, "percentile_Average_1"),
        (25.0, "percentile_Average_25"),
        (50.0, "percentile_Average_50"),
        (75.0, "percentile_Average_75"),
        (99.0, "percentile_Average_99"),
        (100.0, "percentile_Average_100"),
    ];
    let cols: Vec<(f64, usize)> = pcts.iter().map(|(p, n)| Ok((*p, idx(n)?))).collect::<Result<_>>()?;
    let mut out = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let r: Vec<&str> = l.split(',').collect();
        let points = cols
            .iter()
            .filter_map(|&(p, i)| r.get(i).and_then(|v| v.parse::<f64>().ok()).map(|v| (p, v.max(0.0))))
            .collect();
        out.push(DurationPct { func: r.get(f).unwrap_or(&"").to_string(), points });
    }
    Ok(out)
}

/// Per-app 99th-percentile... the allocated-memory percentiles (MB) of the 2019 sample:
/// (app hash, MB at the 100th percentile of the average allocation).
///
/// # Errors
/// Missing columns.
pub fn load_memory_str(csv: &str) -> Result<Vec<(String, f64)>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split(',').collect();
    let idx = |n: &str| header.iter().position(|h| *h == n).with_context(|| format!("memory: no column {n}"));
    let (a, m) = (idx("HashApp")?, idx("AverageAllocatedMb_pct100")?);
    Ok(lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let r: Vec<&str> = l.split(',').collect();
            Some((r.get(a)?.to_string(), r.get(m)?.parse::<f64>().ok()?))
        })
        .collect())
}

/// Turn per-minute counts into an invocation trace: each minute's invocations are spread
/// evenly over the minute; durations follow the function's percentile curve (piecewise
/// linear between the published percentiles), drawn deterministically from `seed`.
/// Functions without duration data get the median of all functions' medians.
pub fn per_minute_to_trace(pm: &PerMinute, durations: &[DurationPct], seed: u64) -> Trace {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let by_func: HashMap<&str, &DurationPct> = durations.iter().map(|d| (d.func.as_str(), d)).collect();
    let mut medians: Vec<f64> =
        durations.iter().filter_map(|d| d.points.iter().find(|p| p.0 == 50.0).map(|p| p.1)).collect();
    medians.sort_by(f64::total_cmp);
    let fallback = medians.get(medians.len() / 2).copied().unwrap_or(100.0);
    let mut t = Trace { source: pm.source.clone(), report: pm.report.clone(), ..Default::default() };
    let mut app_ids: HashMap<&str, u32> = HashMap::new();
    for s in &pm.series {
        let app = *app_ids.entry(s.app.as_str()).or_insert_with(|| {
            t.apps.push(s.app.clone());
            (t.apps.len() - 1) as u32
        });
        let fid = t.funcs.len() as u32;
        t.funcs.push(Func { name: s.func.clone(), app, trigger: s.trigger.clone() });
        let curve = by_func.get(s.func.as_str());
        for (m, &c) in s.counts.iter().enumerate() {
            let n = c.round() as usize;
            for k in 0..n {
                let u: f64 = rng.random();
                let ms = curve.map(|d| pct_curve(&d.points, u * 100.0)).unwrap_or(fallback);
                t.inv.push(Invocation {
                    func: fid,
                    start: 60.0 * m as f64 + 60.0 * (k as f64 + 0.5) / n as f64,
                    duration: (ms / 1000.0).max(0.001) as f32,
                });
            }
        }
    }
    t.inv.sort_by(|a, b| a.start.total_cmp(&b.start));
    t.report.kept = t.inv.len();
    t
}

fn pct_curve(points: &[(f64, f64)], p: f64) -> f64 {
    for w in points.windows(2) {
        if p <= w[1].0 {
            let span = (w[1].0 - w[0].0).max(1e-9);
            return w[0].1 + (w[1].1 - w[0].1) * (p - w[0].0) / span;
        }
    }
    points.last().map(|x| x.1).unwrap_or(0.0)
}

/// Write a trace in the 2021 format (rows in start order, like the published file).
///
/// # Errors
/// I/O errors.
pub fn write_2021(t: &Trace, path: &Path) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("csv.tmp");
    {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?,
        );
        writeln!(w, "{}", COLUMNS_2021.join(","))?;
        for i in &t.inv {
            let f = &t.funcs[i.func as usize];
            writeln!(w, "{},{},{},{}", t.apps[f.app as usize], f.name, i.start + i.duration as f64, i.duration)?;
        }
        w.flush()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("hdrl-trace-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn real_2021_head_loads() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/Azure2021_head198.csv");
        let t = load_2021(&p).unwrap();
        // 200 lines: the header and 199 data rows (the last without a newline).
        assert_eq!(t.report.rows, 199);
        assert_eq!(t.report.kept, 199);
        assert_eq!(t.report.dropped_total(), 0);
        assert!(t.inv.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(!t.funcs.is_empty() && t.apps.len() <= t.funcs.len());
        // The first row: end 0.0794909…, duration 0.078 → start ≈ 0.0015.
        assert!(t.inv[0].start < 0.01);
    }

    #[test]
    fn bad_rows_are_counted_by_kind_and_the_load_continues() {
        let p = tmp(
            "bad.csv",
            "app,func,end_timestamp,duration\n\
             a,f,10.0,1.0\n\
             a,f,,1.0\n\
             a,f,abc,1.0\n\
             a,f,12.0,-1\n\
             a,f,NaN,1\n\
             a,g,5.0,1.0\n\
             ,g,6.0,1.0\n\
             b,h,20.0,0.5\n",
        );
        let t = load_2021(&p).unwrap();
        assert_eq!(t.report.rows, 8);
        assert_eq!(t.report.kept, 3);
        assert_eq!(t.report.dropped["missing_field"], 2);
        assert_eq!(t.report.dropped["unparsable_number"], 1);
        assert_eq!(t.report.dropped["negative_duration"], 1);
        assert_eq!(t.report.dropped["nan_value"], 1);
        assert_eq!(t.report.first_bad_line, Some(3));
        assert_eq!(t.report.out_of_order, 1);
        assert_eq!(t.inv[0].start, 4.0);
        assert!(t.report.to_string().contains("1 dropped (unparsable_number)"));
    }

    #[test]
    fn a_file_that_is_not_a_trace_names_file_and_line() {
        let p = tmp("notes.txt", "hello world\nthis is not a trace\n");
        let e = format!("{:#}", load_2021(&p).unwrap_err());
        assert!(e.contains("notes.txt") && e.contains("line 1") && e.contains("hello world"), "{e}");
        let e = format!("{:#}", load_2021(Path::new("/nonexistent/x.csv")).unwrap_err());
        assert!(e.contains("/nonexistent/x.csv"), "{e}");
        let p = tmp("bin.csv", "\u{0}\u{1}\u{2}PK\u{3}\u{4}");
        assert!(load_2021(&p).is_err());
    }

    #[test]
    fn real_2019_sample_loads_with_companions() {
        let pm = load_2019_str(crate::data::refdata::AZURE2019_INVOCATIONS, "azure2019-100").unwrap();
        assert_eq!(pm.series.len(), 100);
        assert_eq!(pm.first_minute, 480);
        assert!(pm.series.iter().all(|s| s.counts.len() == 480));
        assert_eq!(pm.report.dropped_total(), 0);
        let d = load_durations_str(crate::data::refdata::AZURE2019_DURATIONS).unwrap();
        assert_eq!(d.len(), 100);
        let m = load_memory_str(crate::data::refdata::AZURE2019_MEMORY).unwrap();
        assert_eq!(m.len(), 100);
        let t = per_minute_to_trace(&pm, &d, 1);
        let total: f32 = pm.series.iter().flat_map(|s| s.counts.iter()).sum();
        assert_eq!(t.inv.len(), total as usize);
        assert!(t.inv.iter().all(|i| i.start < 480.0 * 60.0 && i.duration > 0.0));
    }

    #[test]
    fn a_2019_file_with_any_minute_range_loads_and_bad_cells_are_counted() {
        let p = tmp("m.csv", "HashOwner,HashApp,HashFunction,Trigger,7,8,9\no,a,f,http,1,2,x\no,a,g,timer,0,0,1\n");
        let pm = load_2019(&p).unwrap();
        assert_eq!(pm.first_minute, 7);
        assert_eq!(pm.series[0].counts, vec![1.0, 2.0, 0.0]);
        assert_eq!(pm.report.dropped["unparsable_count_cells_zeroed"], 1);
        let p = tmp("gap.csv", "HashOwner,HashApp,HashFunction,Trigger,7,9\no,a,f,http,1,2\n");
        assert!(format!("{:#}", load_2019(&p).unwrap_err()).contains("not contiguous"));
    }
}
