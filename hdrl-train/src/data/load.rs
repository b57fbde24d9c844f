//! Loading the inputs of a run: a trace file in either Azure format (or the synthetic
//! default), and per-minute series sets (a file, or the embedded real Azure 2019 sample).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use hdrl_infer::EncoderConfig;

use crate::data::refdata;
use crate::data::trace::{self, Format, Trace};
use crate::data::windows::MinuteWindows;

/// Load a trace file in either format, or synthesise the default.
///
/// # Errors
/// Unreadable or invalid trace.
pub fn load_trace(path: Option<&Path>, seed: u64, scale: f64) -> Result<Trace> {
    match path {
        None => Ok(crate::data::synth::generate(seed, scale)),
        Some(p) => match trace::detect(p)? {
            Format::Azure2021 => trace::load_2021(p),
            Format::Azure2019 => {
                let pm = trace::load_2019(p)?;
                let d =
                    companion(p, "durations").map(|c| trace::load_durations_str(&c)).transpose()?.unwrap_or_default();
                Ok(trace::per_minute_to_trace(&pm, &d, seed))
            }
        },
    }
}

/// A 2019 companion file (`durations.csv`, `memory.csv`) in the directory of an invocations
/// file, when there is one.
fn companion(p: &Path, kind: &str) -> Option<String> {
    let dir = p.parent()?;
    std::fs::read_to_string(dir.join(format!("{kind}.csv"))).ok()
}

/// A per-minute (Azure 2019 format) series set with its companions: a file, or the embedded
/// real 100-function sample.
///
/// # Errors
/// Unreadable or invalid files.
pub fn minute_windows(enc: &EncoderConfig, series: Option<&Path>) -> Result<(MinuteWindows, String)> {
    let (pm, dur, mem, name) = match series {
        Some(p) => {
            let pm = trace::load_2019(p)?;
            let dur = companion(p, "durations").map(|c| trace::load_durations_str(&c)).transpose()?.unwrap_or_default();
            let mem = companion(p, "memory").map(|c| trace::load_memory_str(&c)).transpose()?.unwrap_or_default();
            (pm, dur, mem, p.display().to_string())
        }
        None => (
            trace::load_2019_str(refdata::AZURE2019_INVOCATIONS, "azure2019-100")?,
            trace::load_durations_str(refdata::AZURE2019_DURATIONS)?,
            trace::load_memory_str(refdata::AZURE2019_MEMORY)?,
            "azure2019-100 (embedded real sample)".to_string(),
        ),
    };
    let dur_ms: HashMap<String, f64> = dur
        .iter()
        .map(|d| {
            let mean = d.points.iter().find(|p| p.0 == 50.0).map(|p| p.1).unwrap_or(1000.0);
            (d.func.clone(), mean)
        })
        .collect();
    let mem_mb: HashMap<String, f64> = mem.into_iter().collect();
    Ok((MinuteWindows::new(enc, &pm, &dur_ms, &mem_mb), name))
}
