//! `hdrl eval-forecast`: a saved forecaster and the forecasting baselines on the test functions
//! of any Azure 2019 per-minute file (15 % of the functions, never trained or selected on; the
//! last 20 % of their minutes), overall and per activity class.

use std::path::Path;

use anyhow::{Context, Result};
use hdrl_infer::{AnyHierarchy, Window};

use crate::data::load::minute_windows;
use crate::data::windows::Role;
use crate::evaluate::forecast::{CLASSES, eval_minutes};
use crate::output::files::write_json;

/// Load any bundle file (f32 or int8).
///
/// # Errors
/// Unreadable or invalid file.
pub fn load_any(path: &Path) -> Result<AnyHierarchy> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    AnyHierarchy::load(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `hdrl eval-forecast`.
///
/// # Errors
/// Unreadable files or a bundle without an LSTM.
pub fn eval_forecast(model: &Path, series: &Path, json: Option<&Path>) -> Result<()> {
    let loaded = load_any(model)?;
    let (src, name) = minute_windows(loaded.encoder(), Some(series))?;
    let mut f = |w: &[[f32; 5]; 12]| -> Result<f32> {
        let r = loaded.forecast(&Window::from_steps(w));
        Ok(r.map_err(|e| anyhow::anyhow!("{}: {e}", model.display()))?.0.request_rate)
    };
    let m = eval_minutes(&src, &mut [("lstm", &mut f)])?;
    let count = |r: Role| (0..src.series.len()).filter(|&s| src.plays(s, r)).count();
    println!(
        "{name}: {} test functions (of {}; {} train, {} validation), last 20 % of {} steps",
        count(Role::Test),
        src.series.len(),
        count(Role::Train),
        count(Role::Val),
        src.series.first().map(|s| s.x.len()).unwrap_or(0),
    );
    for class in CLASSES {
        let Some(models) = m.get(class) else { continue };
        let n = models.values().next().map_or(0, |v| v.n);
        println!("\n{class} ({n} steps)");
        println!("{:<16} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}", "model", "rmse", "mae", "r2", "mase", "under", "over");
        for (k, v) in models {
            println!(
                "{k:<16} {:>10.4} {:>10.4} {:>8.3} {:>8.3} {:>7.1}% {:>8.3}",
                v.rmse,
                v.mae,
                v.r2,
                v.mase,
                100.0 * v.under_rate,
                v.over_ratio
            );
        }
    }
    if let Some(j) = json {
        write_json(j, &m)?;
    }
    Ok(())
}
