//! One function's instance pool on one placement: warm or cold for each invocation, keep-alive
//! and pre-warm windows, idle memory, and the billed time instances are held warm.
//!
//! Modelling assumptions (no measured data behind them):
//! - keep-alive before an idle instance is reclaimed: AWS 10 min, Azure 20 min, GCP 15 min;
//! - instances pre-warmed by the operational layer are billed for their idle time at the
//!   provider's GB-second price; idle keep-alive time of the platform is not billed but is
//!   reported as idle memory.

use std::sync::Arc;

use hdrl_infer::rng::{mix, unit_f64};

use crate::data::workload::Profile;
use crate::sim::{Outcome, Placement, Sim, Totals};

/// Idle time after which an instance is reclaimed, seconds (assumption, see module docs).
pub const KEEP_ALIVE_S: [f64; 3] = [600.0, 1200.0, 900.0];

/// When an idle instance is alive: after an invocation ends it is (re)loaded `prewarm_s`
/// later and stays loaded for `keep_s` (Shahrad et al.'s pre-warm and keep-alive windows; a
/// plain keep-alive is `prewarm_s = 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeepAliveWindow {
    /// Pre-warm window, s.
    pub prewarm_s: f64,
    /// Keep-alive window, s.
    pub keep_s: f64,
}

impl KeepAliveWindow {
    /// A plain keep-alive.
    pub fn keep(s: f64) -> Self {
        Self { prewarm_s: 0.0, keep_s: s }
    }

    /// Loaded at idle time `x`.
    pub fn alive(&self, x: f64) -> bool {
        x >= self.prewarm_s && x <= self.prewarm_s + self.keep_s
    }

    /// Idle loaded time accumulated by idle time `x` (if the instance idles `x` seconds).
    pub fn loaded_idle(&self, x: f64) -> f64 {
        (x.min(self.prewarm_s + self.keep_s) - self.prewarm_s).max(0.0)
    }
}

/// The keep-alive windows a pool applies: one window for every idle period, or a schedule of
/// windows that changes over time (a policy that learns online, such as the hybrid histogram).
/// An instance idles under the window in force when it last started serving.
#[derive(Clone, Debug)]
pub enum Windows {
    /// The same window always.
    Fixed(KeepAliveWindow),
    /// `(from, window)` in time order: `window` is in force from time `from` on. The first
    /// entry's window also applies before its time.
    Schedule(Arc<[(f64, KeepAliveWindow)]>),
}

impl Windows {
    /// The window in force at time `t`.
    pub fn at(&self, t: f64) -> KeepAliveWindow {
        match self {
            Self::Fixed(w) => *w,
            Self::Schedule(s) => {
                let k = s.partition_point(|e| e.0 <= t).saturating_sub(1);
                s.get(k).map_or(KeepAliveWindow::keep(0.0), |e| e.1)
            }
        }
    }
}

impl From<KeepAliveWindow> for Windows {
    fn from(w: KeepAliveWindow) -> Self {
        Self::Fixed(w)
    }
}

#[derive(Clone, Copy, Debug)]
struct Instance {
    busy_until: f64,
    last_end: f64,
    /// Held warm by the operational layer until this time.
    held_until: f64,
    /// Start of the current held-and-idle interval, which is billed (NaN when none is open).
    hold_from: f64,
    /// The keep-alive window of its current idle period.
    window: KeepAliveWindow,
}

/// One function's instance pool on one placement: decides warm or cold for each invocation
/// and accounts idle memory. The operational layer acts on it by pre-warming.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Placement of every instance.
    pub placement: Placement,
    windows: Windows,
    insts: Vec<Instance>,
}

impl Pool {
    /// An empty pool. An empty schedule of windows is replaced by the provider's window.
    pub fn new(placement: Placement, windows: impl Into<Windows>) -> Self {
        let windows = match windows.into() {
            Windows::Schedule(s) if s.is_empty() => Windows::Fixed(Self::provider_window(placement)),
            w => w,
        };
        Self { placement, windows, insts: Vec::new() }
    }

    /// The provider's default keep-alive window for a placement.
    pub fn provider_window(pl: Placement) -> KeepAliveWindow {
        KeepAliveWindow::keep(KEEP_ALIVE_S[pl.provider as usize])
    }

    /// Close an instance's open held-idle interval at `t`: count its idle memory, and bill the
    /// part the platform's keep-alive would not have covered (the instance is alive then only
    /// because the operational layer holds it).
    fn settle(&self, sim: &Sim, i: &mut Instance, t: f64, tot: &mut Totals) {
        if i.hold_from.is_nan() {
            return;
        }
        let end = t.min(i.held_until);
        let secs = (end - i.hold_from).max(0.0);
        let kept_until = i.last_end + i.window.prewarm_s + i.window.keep_s;
        let billed = (end - i.hold_from.max(kept_until)).max(0.0);
        tot.idle_gb_s += secs * self.placement.memory_mb() / 1024.0;
        tot.cost_usd += billed * sim.idle_usd_per_s(self.placement);
        i.hold_from = f64::NAN;
    }

    fn alive(i: &Instance, t: f64) -> bool {
        i.busy_until > t || i.held_until >= t || i.window.alive(t - i.last_end)
    }

    /// Drop instances that are gone at time `t`, accounting their idle memory into `tot`.
    fn reap(&mut self, sim: &Sim, t: f64, tot: &mut Totals) {
        let gb = self.placement.memory_mb() / 1024.0;
        let mut k = 0;
        while k < self.insts.len() {
            let i = self.insts[k];
            let w = i.window;
            let gone = !Self::alive(&i, t) && t - i.last_end > w.prewarm_s + w.keep_s;
            if gone {
                let mut i = i;
                self.settle(sim, &mut i, t, tot);
                tot.idle_gb_s += gb * w.loaded_idle(f64::INFINITY);
                self.insts.swap_remove(k);
            } else {
                k += 1;
            }
        }
    }

    /// Make sure `target` instances are alive at `t` and hold them warm until `until`.
    /// Starting an instance costs one warm-up invocation (the request price and the minimum
    /// billed duration) and a cold start off the request path; a started instance then
    /// follows the platform's keep-alive like any other. Holding an idle instance beyond its
    /// keep-alive is billed at the provider's GB-second price (settled when it serves, is
    /// released, or the run ends).
    pub fn prewarm(&mut self, sim: &Sim, t: f64, until: f64, target: u32, tot: &mut Totals) {
        self.reap(sim, t, tot);
        let mut alive = self.insts.iter().filter(|i| Self::alive(i, t)).count() as u32;
        while alive < target {
            let window = self.windows.at(t);
            self.insts.push(Instance { busy_until: t, last_end: t, held_until: t, hold_from: f64::NAN, window });
            tot.cost_usd += sim.cost_usd(self.placement, 0.0);
            alive += 1;
        }
        let mut held = 0;
        let mut insts = std::mem::take(&mut self.insts);
        for i in insts.iter_mut() {
            if held < target && i.busy_until <= t {
                if i.hold_from.is_nan() || i.held_until < t {
                    self.settle(sim, i, t, tot);
                    i.hold_from = t;
                }
                i.held_until = i.held_until.max(until);
                held += 1;
            } else {
                self.settle(sim, i, t, tot);
            }
        }
        self.insts = insts;
    }

    /// Serve one invocation starting at `t` with reference duration `d_ref`; `u` ∈ [0, 1)
    /// picks the cold-start latency quantile.
    pub fn serve(&mut self, sim: &Sim, prof: &Profile, t: f64, d_ref: f64, u: f64, tot: &mut Totals) -> Outcome {
        self.reap(sim, t, tot);
        let gb = self.placement.memory_mb() / 1024.0;
        let window = self.windows.at(t);
        // The most recently used idle alive instance.
        let mut best: Option<usize> = None;
        for (k, i) in self.insts.iter().enumerate() {
            let usable = i.busy_until <= t && (i.held_until >= t || i.window.alive(t - i.last_end));
            if usable && best.is_none_or(|b| self.insts[b].last_end < i.last_end) {
                best = Some(k);
            }
        }
        let cold_ms = if best.is_some() { 0.0 } else { sim.cold_ms(self.placement, u) };
        let o = sim.invocation(prof, self.placement, d_ref, cold_ms, t);
        let end = t + (o.latency_ms - sim.rtt_ms(prof, self.placement)).max(0.0) / 1000.0;
        match best {
            Some(k) => {
                let mut i = self.insts[k];
                if i.hold_from.is_nan() {
                    tot.idle_gb_s += gb * i.window.loaded_idle(t - i.last_end);
                } else {
                    self.settle(sim, &mut i, t, tot);
                }
                i.busy_until = end;
                i.last_end = end;
                i.window = window;
                self.insts[k] = i;
            }
            None => self.insts.push(Instance {
                busy_until: end,
                last_end: end,
                held_until: f64::NEG_INFINITY,
                hold_from: f64::NAN,
                window,
            }),
        }
        tot.add(&o);
        o
    }

    /// Close the books at the end of a run (or a move): bill open holds and count the idle
    /// memory of every remaining instance up to `t`.
    pub fn finish(&mut self, sim: &Sim, t: f64, tot: &mut Totals) {
        let gb = self.placement.memory_mb() / 1024.0;
        for mut i in std::mem::take(&mut self.insts) {
            if !i.hold_from.is_nan() {
                self.settle(sim, &mut i, t, tot);
            } else if i.busy_until <= t {
                tot.idle_gb_s += gb * i.window.loaded_idle(t - i.last_end);
            }
        }
    }
}

/// The cold-start quantile of the `k`-th invocation of function `f`: the same for every policy
/// (common random numbers make policy comparisons fair).
pub fn cold_quantile(f: usize, k: usize) -> f64 {
    unit_f64(mix(((f as u64) << 32) ^ k as u64 ^ 0xC01D))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;
    use hdrl_infer::Provider;

    fn prof() -> Profile {
        Profile::example()
    }

    #[test]
    fn pool_cold_starts_follow_keep_alive_and_concurrency() {
        let s = Sim::new().unwrap();
        let p = prof();
        let pl = Placement::new(Provider::Aws, 0, 3);
        let mut pool = Pool::new(pl, Pool::provider_window(pl));
        let mut tot = Totals::default();
        assert!(pool.serve(&s, &p, 0.0, 0.1, 0.5, &mut tot).cold);
        assert!(!pool.serve(&s, &p, 100.0, 0.1, 0.5, &mut tot).cold, "warm within keep-alive");
        assert!(pool.serve(&s, &p, 100.05, 0.1, 0.5, &mut tot).cold, "concurrent request needs a new instance");
        assert!(pool.serve(&s, &p, 100.0 + 601.0, 0.1, 0.5, &mut tot).cold, "reclaimed after 10 min");
        assert_eq!(tot.colds, 3);
        assert!(tot.idle_gb_s > 0.0);
        // Pre-warming makes the next request warm and is billed.
        let mut pool = Pool::new(pl, Pool::provider_window(pl));
        let mut t2 = Totals::default();
        pool.prewarm(&s, 0.0, 15.0, 2, &mut t2);
        let start_usd = 2.0 * s.cost_usd(pl, 0.0);
        assert_eq!(t2.cost_usd, start_usd, "two warm-up invocations");
        let o1 = pool.serve(&s, &p, 5.0, 0.1, 0.5, &mut t2);
        let o2 = pool.serve(&s, &p, 5.01, 0.1, 0.5, &mut t2);
        assert!(!o1.cold && !o2.cold);
        let o3 = pool.serve(&s, &p, 5.02, 0.1, 0.5, &mut t2);
        assert!(o3.cold);
        pool.finish(&s, 15.0, &mut t2);
        // Held idle inside the keep-alive: idle memory counted, nothing more billed.
        assert!((t2.cost_usd - start_usd - o1.cost_usd - o2.cost_usd - o3.cost_usd).abs() < 1e-15);
        // 10.01 GB-s held before the two requests, plus the three instances' idle tails to 15 s.
        assert!(t2.idle_gb_s >= 10.01 - 1e-9 && t2.idle_gb_s < 10.01 + 3.0 * 15.0);
        // Held beyond the keep-alive (600 s on AWS): that part is billed.
        let mut pool = Pool::new(pl, Pool::provider_window(pl));
        let mut t3 = Totals::default();
        pool.prewarm(&s, 0.0, 15.0, 1, &mut t3);
        for k in 1..60 {
            pool.prewarm(&s, 15.0 * k as f64, 15.0 * (k + 1) as f64, 1, &mut t3);
        }
        pool.finish(&s, 900.0, &mut t3);
        let beyond = (900.0 - 600.0) * s.idle_usd_per_s(pl);
        assert!((t3.cost_usd - s.cost_usd(pl, 0.0) - beyond).abs() < 1e-12, "{}", t3.cost_usd);
    }

    #[test]
    fn windows_follow_the_hybrid_policy_semantics() {
        let w = KeepAliveWindow { prewarm_s: 60.0, keep_s: 120.0 };
        assert!(!w.alive(30.0) && w.alive(60.0) && w.alive(180.0) && !w.alive(181.0));
        assert_eq!(w.loaded_idle(100.0), 40.0);
        assert_eq!(w.loaded_idle(1e9), 120.0);
    }
}
