//! Keep-alive and pre-warm baselines for the operational layer: the hybrid histogram policy of
//! Shahrad et al., "Serverless in the Wild" (USENIX ATC 2020), §4.2, as published: a histogram
//! of idle times per unit of loading, updated online as invocations arrive, with its fallbacks.
//!
//! The section each rule comes from is cited where the rule is. Two thresholds the paper leaves
//! open are ours and marked as such (`MIN_SAMPLES`, `OOB_SHARE`), and the time-series model is
//! an AR(1) on log idle times standing in for the paper's ARIMA.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::data::workload::Hourly;
use crate::sim::{KeepAliveWindow, Windows};

/// Histogram range in 1-minute bins: 4 hours (§4.2, "range of the histogram").
pub const RANGE_MIN: usize = 240;
/// Bin width, s (§4.2: 1-minute bins, the granularity of the trace).
const BIN_S: f64 = 60.0;
/// Head percentile: the pre-warm window ends here (§4.2: 5th percentile).
const HEAD_Q: f64 = 0.05;
/// Tail percentile: the keep-alive window ends here (§4.2: 99th percentile).
const TAIL_Q: f64 = 0.99;
/// Margin on both windows (§4.2: 10 %: pre-warm earlier, keep alive longer).
const MARGIN: f64 = 0.10;
/// Below this coefficient of variation of the bin counts the histogram is not representative
/// (§4.2: a flat histogram says nothing about the next idle time; the paper's threshold, 2).
const CV_MIN: f64 = 2.0;
/// Fewer idle times than this and the histogram is not representative (ours: the paper asks
/// for "enough" observations without a number).
const MIN_SAMPLES: u32 = 10;
/// More than this share of idle times beyond the range switches to the time-series path (ours:
/// the paper says "too many").
const OOB_SHARE: f64 = 0.5;
/// Margin of the time-series path (§4.2: 15 %: pre-warm at 85 % of the predicted idle time,
/// keep alive to 115 %).
const TS_MARGIN: f64 = 0.15;
/// Idle times the time-series model is fitted on (the most recent ones).
const TS_HISTORY: usize = 64;

/// Which rule of the policy set the current window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HybridPath {
    /// Not representative yet (too few idle times, or flat): the standard keep-alive of the
    /// histogram's range (§4.2; new apps start here).
    Standard,
    /// Pre-warm at the head and keep alive to the tail of the idle-time histogram (§4.2).
    Histogram,
    /// Most idle times are beyond the range: a time-series forecast of the next one (§4.2).
    TimeSeries,
}

/// One unit's hybrid histogram policy, updated online (§4.2: "updated on every invocation").
#[derive(Clone, Debug)]
pub struct HybridHistogram {
    bins: [u32; RANGE_MIN],
    oob: u32,
    recent: VecDeque<f64>,
}

impl Default for HybridHistogram {
    fn default() -> Self {
        Self { bins: [0; RANGE_MIN], oob: 0, recent: VecDeque::with_capacity(TS_HISTORY) }
    }
}

impl HybridHistogram {
    /// Record one idle time, s (end of an execution to the start of the next). Negative or
    /// non-finite values are ignored.
    pub fn observe(&mut self, idle_s: f64) {
        if !(idle_s.is_finite() && idle_s >= 0.0) {
            return;
        }
        let bin = (idle_s / BIN_S) as usize;
        match self.bins.get_mut(bin) {
            Some(n) => *n += 1,
            None => self.oob += 1,
        }
        if self.recent.len() == TS_HISTORY {
            self.recent.pop_front();
        }
        self.recent.push_back(idle_s);
    }

    /// The pre-warm and keep-alive windows for the next idle period, and the rule that set them.
    pub fn window(&self) -> (KeepAliveWindow, HybridPath) {
        let in_range: u32 = self.bins.iter().sum();
        let n = in_range + self.oob;
        // §4.2: too many idle times out of bounds -> predict the next idle time.
        if n >= MIN_SAMPLES && f64::from(self.oob) > OOB_SHARE * f64::from(n) {
            let logs: Vec<f64> = self.recent.iter().map(|x| x.max(1.0).ln()).collect();
            let next = ar1_forecast(&logs).map_or(RANGE_MIN as f64 * BIN_S, f64::exp);
            let prewarm = (1.0 - TS_MARGIN) * next;
            return (
                KeepAliveWindow { prewarm_s: prewarm, keep_s: (1.0 + TS_MARGIN) * next - prewarm },
                HybridPath::TimeSeries,
            );
        }
        // §4.2: not representative -> standard keep-alive over the histogram's range.
        if in_range < MIN_SAMPLES || bin_cv(&self.bins) < CV_MIN {
            return (KeepAliveWindow::keep(RANGE_MIN as f64 * BIN_S), HybridPath::Standard);
        }
        let head = percentile_bin(&self.bins, in_range, HEAD_Q);
        let tail = percentile_bin(&self.bins, in_range, TAIL_Q);
        // §4.2: the head rounds down and the tail up to bin edges; a head in the first bin means
        // the instance is not unloaded after an execution.
        let prewarm = if head == 0 { 0.0 } else { head as f64 * BIN_S * (1.0 - MARGIN) };
        let until = (tail + 1) as f64 * BIN_S * (1.0 + MARGIN);
        (KeepAliveWindow { prewarm_s: prewarm, keep_s: until - prewarm }, HybridPath::Histogram)
    }
}

/// Coefficient of variation of the bin counts.
fn bin_cv(bins: &[u32]) -> f64 {
    let n = bins.len() as f64;
    let mean = bins.iter().map(|&c| f64::from(c)).sum::<f64>() / n;
    if mean <= 0.0 {
        return 0.0;
    }
    let var = bins.iter().map(|&c| (f64::from(c) - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The bin holding quantile `q` of `total` counts.
fn percentile_bin(bins: &[u32], total: u32, q: f64) -> usize {
    let mut c = 0u32;
    for (b, &n) in bins.iter().enumerate() {
        c += n;
        if f64::from(c) >= q * f64::from(total) {
            return b;
        }
    }
    bins.len() - 1
}

/// The hybrid histogram policy run online over the trace: for each unit (a set of functions
/// whose instances are shared; each function its own in our simulator), the windows in force
/// after each of its invocations up to `until`, as a schedule the instance pools follow.
/// Idle times come from the trace (an invocation's start minus the unit's latest end so far),
/// so the schedule is the same whatever placement the functions run on.
pub fn hybrid_histogram(units: &[Vec<usize>], hourly: &Hourly, until: f64) -> Vec<Windows> {
    units
        .iter()
        .map(|funcs| {
            let mut spans: Vec<(f64, f64)> = funcs
                .iter()
                .flat_map(|&f| hourly.by_func[f].iter())
                .filter(|i| i.start < until)
                .map(|i| (i.start, i.start + f64::from(i.duration)))
                .collect();
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut h = HybridHistogram::default();
            let mut sched = vec![(f64::NEG_INFINITY, h.window().0)];
            let mut end = f64::NEG_INFINITY;
            for (s, e) in spans {
                if s > end && end.is_finite() {
                    h.observe(s - end);
                    let w = h.window().0;
                    if sched.last().is_none_or(|l| l.1 != w) {
                        sched.push((s, w));
                    }
                }
                end = end.max(e);
            }
            Windows::Schedule(Arc::from(sched))
        })
        .collect()
}

/// One-step forecast of an AR(1) fitted by least squares (mean-reverting); with fewer than 3
/// points the last one (`None` when empty).
pub fn ar1_forecast(x: &[f64]) -> Option<f64> {
    if x.len() < 3 {
        return x.last().copied();
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let (mut num, mut den) = (0.0, 0.0);
    for w in x.windows(2) {
        num += (w[0] - mean) * (w[1] - mean);
        den += (w[0] - mean).powi(2);
    }
    let phi = if den > 0.0 { (num / den).clamp(-0.99, 0.99) } else { 0.0 };
    Some(mean + phi * (x[x.len() - 1] - mean))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::workload::Profile;
    use crate::sim::{Placement, Pool, Sim, Totals};
    use hdrl_infer::Provider;

    #[test]
    fn ar1_recovers_a_mean_reverting_series() {
        let x: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 1.0 } else { 3.0 }).collect();
        let f = ar1_forecast(&x).unwrap();
        assert!((f - 1.0).abs() < 0.1, "{f}");
        assert_eq!(ar1_forecast(&[5.0]), Some(5.0));
        assert_eq!(ar1_forecast(&[]), None);
    }

    /// Serve invocations of period `period_s` (100 ms each) through a pool that follows the
    /// policy online, as the evaluation does; returns which invocations were cold and the
    /// policy's path at the end.
    fn run_periodic(period_s: f64, n: usize) -> (Vec<bool>, HybridPath, KeepAliveWindow) {
        let sim = Sim::new().unwrap();
        let prof = Profile::example();
        let pl = Placement::new(Provider::Aws, 0, 3);
        let mut h = HybridHistogram::default();
        let mut sched = vec![(f64::NEG_INFINITY, h.window().0)];
        let starts: Vec<f64> = (0..n).map(|k| k as f64 * period_s).collect();
        for w in starts.windows(2) {
            h.observe(w[1] - (w[0] + 0.1));
            sched.push((w[1], h.window().0));
        }
        let mut pool = Pool::new(pl, Windows::Schedule(Arc::from(sched)));
        let mut tot = Totals::default();
        let colds = starts.iter().map(|&t| pool.serve(&sim, &prof, t, 0.1, 0.5, &mut tot).cold).collect();
        let (w, path) = h.window();
        (colds, path, w)
    }

    /// §4.2's motivating case: an app invoked every hour is always cold under a 10- or 20-minute
    /// keep-alive; the histogram unloads it after each run and pre-warms it just in time.
    #[test]
    fn a_periodic_app_is_prewarmed_just_in_time_and_never_cold_after_warm_up() {
        let (colds, path, w) = run_periodic(3600.0, 48);
        assert_eq!(path, HybridPath::Histogram);
        // Unloaded after a run (pre-warm at 0.9 × 59 min), loaded again before the next one and
        // not much longer than needed (to 1.1 × 60 min).
        assert!((w.prewarm_s - 0.9 * 59.0 * 60.0).abs() < 1e-9, "{w:?}");
        assert!((w.prewarm_s + w.keep_s - 1.1 * 3600.0).abs() < 1e-9, "{w:?}");
        assert!(!w.alive(600.0) && w.alive(3599.9));
        assert!(colds[0], "the first invocation is cold");
        assert!(colds[1..].iter().all(|&c| !c), "cold after warm-up: {colds:?}");
        // The provider's fixed 10-minute keep-alive: every hourly invocation is cold.
        let sim = Sim::new().unwrap();
        let pl = Placement::new(Provider::Aws, 0, 3);
        let mut pool = Pool::new(pl, Pool::provider_window(pl));
        let mut tot = Totals::default();
        for k in 0..48 {
            assert!(pool.serve(&sim, &Profile::example(), k as f64 * 3600.0, 0.1, 0.5, &mut tot).cold);
        }
    }

    /// §4.2: idle times beyond the 4-hour range are predicted by the time-series model, which
    /// then pre-warms the app before its next invocation.
    #[test]
    fn idle_times_beyond_the_range_use_the_time_series_path() {
        let (colds, path, w) = run_periodic(6.0 * 3600.0, 40);
        assert_eq!(path, HybridPath::TimeSeries);
        assert!(w.prewarm_s > 4.0 * 3600.0 && w.alive(6.0 * 3600.0 - 0.1), "{w:?}");
        // Before enough idle times the standard 4-hour keep-alive cannot reach 6 h: cold. Once
        // the time-series path is on, every invocation is warm.
        assert!(colds[..MIN_SAMPLES as usize].iter().all(|&c| c));
        assert!(colds[MIN_SAMPLES as usize + 1..].iter().all(|&c| !c), "{colds:?}");
    }

    #[test]
    fn a_flat_or_short_history_falls_back_to_the_standard_keep_alive() {
        let mut h = HybridHistogram::default();
        assert_eq!(h.window(), (KeepAliveWindow::keep(4.0 * 3600.0), HybridPath::Standard));
        for k in 0..5 {
            h.observe(60.0 * k as f64 + 1.0);
        }
        assert_eq!(h.window().1, HybridPath::Standard, "too few idle times");
        // Idle times spread evenly over the range: bin counts with a low CV.
        for k in 0..2400 {
            h.observe((k % RANGE_MIN) as f64 * BIN_S + 1.0);
        }
        assert!(bin_cv(&h.bins) < CV_MIN);
        assert_eq!(h.window().1, HybridPath::Standard, "flat histogram");
        // Garbage is ignored.
        let before = h.clone();
        h.observe(f64::NAN);
        h.observe(-1.0);
        assert_eq!(h.bins, before.bins);
        assert_eq!(h.oob, before.oob);
    }

    #[test]
    fn a_head_in_the_first_bin_keeps_the_instance_loaded() {
        let mut h = HybridHistogram::default();
        for k in 0..100 {
            h.observe(if k % 10 == 0 { 30.0 } else { 150.0 });
        }
        let (w, path) = h.window();
        assert_eq!(path, HybridPath::Histogram);
        assert_eq!(w.prewarm_s, 0.0);
        assert!((w.keep_s - 3.0 * 60.0 * 1.1).abs() < 1e-9, "{w:?}");
    }
}
