//! Run plumbing: run-directory naming, atomic file writes, progress display, seeds.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `runs/<scenario>__<algo>__<seed>__<unix_ts>`.
pub fn run_dir(root: &Path, scenario: &str, algo: &str, seed: u64) -> PathBuf {
    root.join(format!("{scenario}__{algo}__{seed}__{}", unix_now()))
}

/// Write a file atomically: temp file in the same directory, then rename, so a crash never
/// leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(())
}

/// Serialise as pretty JSON and write atomically.
pub fn write_json(path: &Path, v: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(v)?)
}

/// The progress display of a run: one multi-bar all stages draw into. Hidden when `quiet`
/// or when stderr is not a terminal (indicatif's default).
#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
}

impl Progress {
    /// A display on stderr, or a hidden one.
    pub fn new(quiet: bool) -> Self {
        let multi = MultiProgress::new();
        if quiet {
            multi.set_draw_target(ProgressDrawTarget::hidden());
        }
        Self { multi }
    }

    /// A bar of `len` steps labelled `name`.
    pub fn bar(&self, len: u64, name: &str) -> ProgressBar {
        let b = self.multi.add(ProgressBar::new(len));
        b.set_style(
            ProgressStyle::with_template("{prefix:>14} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_prefix(name.to_string());
        b
    }

    /// Print a line above the bars (plain stderr when the bars are hidden).
    pub fn println(&self, s: impl AsRef<str>) {
        if self.multi.is_hidden() {
            eprintln!("{}", s.as_ref());
        } else {
            let _ = self.multi.println(s.as_ref());
        }
    }
}
