//! Per-function binned series (15 s by default, configurable): request rate, busy time,
//! concurrency, and the five operational features the LSTM reads.
//!
//! The 2021 trace has no memory or CPU measurements; per step they are derived from
//! concurrency (busy seconds per second of the step, the mean in-flight requests) by
//! [`hdrl_infer::telemetry::derived_load`]. Queue depth is that same mean concurrency.

use hdrl_infer::OperationalStep;
use hdrl_infer::telemetry::operational_step;

use crate::data::trace::Invocation;
use crate::data::workload::Profile;

/// One binned step of one function.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Bin {
    /// Invocations starting in the step.
    pub count: u32,
    /// Busy seconds inside the step (overlap of every execution with the step).
    pub busy_s: f32,
}

/// Bin a function's invocations (start order) into `steps` steps of `step_s` seconds from `t0`.
pub fn bin(inv: &[Invocation], t0: f64, step_s: f64, steps: usize) -> Vec<Bin> {
    let mut out = vec![Bin::default(); steps];
    let t_end = t0 + step_s * steps as f64;
    for i in inv {
        let (s, e) = (i.start, i.start + i.duration as f64);
        if e < t0 || s >= t_end {
            continue;
        }
        if s >= t0 {
            out[((s - t0) / step_s) as usize].count += 1;
        }
        let mut k = (((s.max(t0)) - t0) / step_s) as usize;
        while k < steps {
            let (a, b) = (t0 + k as f64 * step_s, t0 + (k + 1) as f64 * step_s);
            let overlap = e.min(b) - s.max(a);
            if overlap <= 0.0 {
                break;
            }
            out[k].busy_s += overlap as f32;
            k += 1;
        }
    }
    out
}

/// The raw operational features of a bin: [`hdrl_infer::telemetry::operational_step`], the one
/// definition a gateway's telemetry uses too.
pub fn step_features(b: &Bin, prof: &Profile, step_s: f64, t_start: f64) -> OperationalStep {
    operational_step(b.count, b.busy_s as f64, prof.memory_need_mb as f64, prof.cpu_frac as f64, step_s, t_start)
}

/// The operational series of a function: one [`OperationalStep`] per bin.
pub fn operational(inv: &[Invocation], prof: &Profile, t0: f64, step_s: f64, steps: usize) -> Vec<OperationalStep> {
    bin(inv, t0, step_s, steps)
        .iter()
        .enumerate()
        .map(|(k, b)| step_features(b, prof, step_s, t0 + k as f64 * step_s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binning_counts_starts_and_spreads_busy_time() {
        let inv = [
            Invocation { func: 0, start: 1.0, duration: 2.0 },
            Invocation { func: 0, start: 14.0, duration: 3.0 }, // 1 s in bin 0, 2 s in bin 1
            Invocation { func: 0, start: 31.0, duration: 40.0 }, // spans bins 2..4
        ];
        let b = bin(&inv, 0.0, 15.0, 5);
        assert_eq!(b.iter().map(|x| x.count).collect::<Vec<_>>(), vec![2, 0, 1, 0, 0]);
        assert!((b[0].busy_s - 3.0).abs() < 1e-6);
        assert!((b[1].busy_s - 2.0).abs() < 1e-6);
        assert!((b[2].busy_s - 14.0).abs() < 1e-6);
        assert!((b[3].busy_s - 15.0).abs() < 1e-6);
        assert!((b[4].busy_s - 11.0).abs() < 1e-6);
        let total: f32 = b.iter().map(|x| x.busy_s).sum();
        assert!((total - 45.0).abs() < 1e-4);
    }
}
