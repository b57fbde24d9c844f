//! What a person watching a run sees: progress bars and lines above them, and the wall time of
//! each stage.

use std::collections::BTreeMap;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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

/// Wall time of each stage of a run, printed as each stage ends.
pub struct StageClock {
    t: Instant,
    /// Seconds per stage, by name.
    pub wall: BTreeMap<String, f64>,
    progress: Progress,
}

impl StageClock {
    /// Start timing the first stage.
    pub fn new(progress: &Progress) -> Self {
        Self { t: Instant::now(), wall: BTreeMap::new(), progress: progress.clone() }
    }

    /// End the current stage, naming it, and start the next. A stage run again (one per
    /// training seed) adds to its time.
    pub fn stage(&mut self, name: &str) {
        let dt = self.t.elapsed().as_secs_f64();
        self.progress.println(format!("[{:>7.1} s] {name}", dt));
        *self.wall.entry(name.to_string()).or_default() += dt;
        self.t = Instant::now();
    }
}
