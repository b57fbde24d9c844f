//! Keep-alive and pre-warm baselines for the operational layer: Shahrad et al.'s hybrid
//! histogram policy and the AR(1) forecast it falls back on.

use crate::data::workload::Hourly;
use crate::sim::{KeepAliveWindow, Tables};

/// Shahrad et al.'s hybrid histogram policy (ATC 2020), per app from the train days: idle
/// times between an app's consecutive invocations in 1-minute bins up to 4 hours; pre-warm
/// window at the 5th percentile (−10 % margin), keep-alive to the 99th (+10 % margin). Apps
/// with fewer than 10 idle times or more than half beyond 4 hours fall back to a time-series
/// forecast of the next idle time (an AR(1) on log idle times standing in for the paper's
/// ARIMA): pre-warm at 85 % of the forecast, keep alive for 30 % of it.
pub fn hybrid_histogram(tab: &Tables, hourly: &Hourly, train: (f64, f64)) -> Vec<KeepAliveWindow> {
    let napps = tab.app_funcs.len();
    (0..napps)
        .map(|app| {
            let mut spans: Vec<(f64, f64)> = tab.app_funcs[app]
                .iter()
                .flat_map(|&f| hourly.by_func[f].iter())
                .filter(|i| i.start >= train.0 && i.start < train.1)
                .map(|i| (i.start, i.start + i.duration as f64))
                .collect();
            spans.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut idle = Vec::new();
            let mut end = f64::NEG_INFINITY;
            for (s, e) in spans {
                if s > end && end.is_finite() {
                    idle.push(s - end);
                }
                end = end.max(e);
            }
            let oob = idle.iter().filter(|&&x| x > 4.0 * 3600.0).count();
            if idle.len() < 10 || oob * 2 > idle.len() {
                let logs: Vec<f64> = idle.iter().map(|x| x.max(1.0).ln()).collect();
                let next = ar1_forecast(&logs).map(f64::exp).unwrap_or(600.0);
                return KeepAliveWindow { prewarm_s: 0.85 * next, keep_s: 0.3 * next };
            }
            let mut bins = [0usize; 240];
            for &x in idle.iter().filter(|&&x| x <= 4.0 * 3600.0) {
                bins[((x / 60.0) as usize).min(239)] += 1;
            }
            let total: usize = bins.iter().sum();
            let pct = |q: f64| -> usize {
                let mut c = 0;
                for (b, &n) in bins.iter().enumerate() {
                    c += n;
                    if c as f64 >= q * total as f64 {
                        return b;
                    }
                }
                239
            };
            let head = pct(0.05);
            let tail = pct(0.99);
            let prewarm = if head == 0 { 0.0 } else { head as f64 * 60.0 * 0.9 };
            let keep = ((tail + 1) as f64 * 60.0 * 1.1 - prewarm).max(60.0);
            KeepAliveWindow { prewarm_s: prewarm, keep_s: keep }
        })
        .collect()
}

/// One-step forecast of an AR(1) fitted by least squares (mean-reverting); `None` with fewer
/// than 3 points.
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

    #[test]
    fn ar1_recovers_a_mean_reverting_series() {
        let x: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 1.0 } else { 3.0 }).collect();
        let f = ar1_forecast(&x).unwrap();
        assert!((f - 1.0).abs() < 0.1, "{f}");
        assert_eq!(ar1_forecast(&[5.0]), Some(5.0));
    }
}
