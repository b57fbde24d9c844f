//! The multi-cloud serverless simulator: what one invocation costs, how long it takes, what it
//! emits, and when it starts cold, for a placement (provider, region slot, memory tier).
//!
//! Every price, carbon intensity, energy coefficient, cold-start latency and RTT comes from
//! [`crate::refdata`]. Modelling assumptions (no measured data behind them) are the constants
//! below, each with its reason:
//! - keep-alive before an idle instance is reclaimed: AWS 10 min, Azure 20 min, GCP 15 min;
//! - billing granularity: AWS 1 ms, Azure 1 ms with a 100 ms minimum, GCP 100 ms (1st gen);
//! - a function uses at most one vCPU: its CPU-bound share of the duration runs at
//!   `min(vCPU, 1)` speed, the rest (I/O) does not change with the tier;
//! - CPU utilisation for the energy model equals the function's CPU-bound fraction;
//! - memory below the function's need fails the invocation (out of memory): an SLA violation,
//!   billed for its full duration;
//! - instances pre-warmed by the operational layer are billed for their idle time at the
//!   provider's GB-second price; idle keep-alive time of the platform is not billed but is
//!   reported as idle memory.

use hdrl_infer::reward::{Reward, RewardBounds};
use hdrl_infer::{MEMORY_TIERS_MB, Provider};

use crate::refdata::RefData;
use crate::workload::{Profile, mix, unit};

/// Idle time after which an instance is reclaimed, seconds (assumption, see module docs).
pub const KEEP_ALIVE_S: [f64; 3] = [600.0, 1200.0, 900.0];

/// Where a function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Placement {
    /// Provider.
    pub provider: Provider,
    /// Region slot 0–3.
    pub region: u8,
    /// Memory tier index 0–5.
    pub tier: u8,
}

impl Placement {
    /// Build from indices (taken modulo their ranges).
    pub fn new(provider: Provider, region: usize, tier: usize) -> Self {
        Self { provider, region: (region % 4) as u8, tier: (tier % 6) as u8 }
    }

    /// Memory of the tier, MB.
    pub fn memory_mb(&self) -> f64 {
        MEMORY_TIERS_MB[self.tier as usize] as f64
    }

    /// The placement a tactical action means for an app whose users are in `home`.
    pub fn from_action(provider: Provider, action: usize, home: u8) -> Self {
        let (rank, tier) = hdrl_infer::placement::split_tactical(action);
        Self::new(provider, hdrl_infer::placement::region_for_rank(home, rank), tier)
    }

    /// The tactical action of this placement for an app whose users are in `home`.
    pub fn action_for(&self, home: u8) -> usize {
        let rank = hdrl_infer::placement::rank_of_region(home, self.region as usize);
        hdrl_infer::placement::tactical_action(rank, self.tier as usize)
    }

    /// Index among the 72 placements of an app in `home`: provider-major, then action.
    pub fn index_for(&self, home: u8) -> usize {
        self.provider as usize * hdrl_infer::placement::TACTICAL_ACTIONS + self.action_for(home)
    }

    /// The placement of index `k` (see [`Placement::index_for`]).
    pub fn from_index(k: usize, home: u8) -> Self {
        let n = hdrl_infer::placement::TACTICAL_ACTIONS;
        Self::from_action(Provider::ALL[(k / n) % 3], k % n, home)
    }

    /// All 72 placements of an app in `home`, in index order.
    pub fn all_for(home: u8) -> impl Iterator<Item = Placement> {
        (0..3 * hdrl_infer::placement::TACTICAL_ACTIONS).map(move |k| Self::from_index(k, home))
    }
}

impl std::fmt::Display for Placement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}MB", self.provider, self.provider.region_name(self.region as usize), self.memory_mb())
    }
}

/// What one invocation cost and how it went.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Billed USD.
    pub cost_usd: f64,
    /// End-to-end latency, ms.
    pub latency_ms: f64,
    /// Emissions, gCO2e.
    pub carbon_g: f64,
    /// Latency above the SLA, or out of memory.
    pub violated: bool,
    /// Started cold.
    pub cold: bool,
}

/// The simulator's models over the reference data.
#[derive(Clone, Debug)]
pub struct Sim {
    /// Reference data.
    pub data: RefData,
    /// Reward bounds (from hdrl-infer: one definition).
    pub bounds: RewardBounds,
}

impl Sim {
    /// A simulator over the embedded reference data.
    ///
    /// # Errors
    /// The reference data does not parse.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self { data: RefData::load()?, bounds: RewardBounds::DEFAULT })
    }

    /// vCPUs the placement gives.
    pub fn vcpu(&self, pl: Placement) -> f64 {
        self.data.provider(pl.provider).vcpu[pl.tier as usize]
    }

    /// Execution time on a placement of an invocation that took `d_ref` seconds on one vCPU.
    pub fn exec_s(&self, prof: &Profile, pl: Placement, d_ref: f64) -> f64 {
        let speed = self.vcpu(pl).clamp(1e-3, 1.0);
        let cpu = prof.cpu_frac as f64;
        d_ref.max(0.0) * ((1.0 - cpu) + cpu / speed)
    }

    /// Billed cost of one execution of `exec_s` seconds, USD.
    pub fn cost_usd(&self, pl: Placement, exec_s: f64) -> f64 {
        let d = self.data.provider(pl.provider);
        let gb = pl.memory_mb() / 1024.0;
        let t = exec_s.max(0.0);
        let compute = match pl.provider {
            Provider::Aws => (t * 1000.0).ceil() / 1000.0 * gb * d.usd_per_gb_s,
            Provider::Azure => {
                let gb = (pl.memory_mb() / 128.0).ceil() * 128.0 / 1024.0;
                ((t * 1000.0).ceil() / 1000.0).max(0.1) * gb * d.usd_per_gb_s
            }
            Provider::Gcp => {
                let billed = (t * 10.0).ceil() / 10.0;
                billed * (gb * d.usd_per_gb_s + d.ghz[pl.tier as usize] * d.usd_per_ghz_s)
            }
        };
        compute + d.usd_per_request
    }

    /// GB-second price of keeping an instance of this placement alive, USD/s.
    pub fn idle_usd_per_s(&self, pl: Placement) -> f64 {
        pl.memory_mb() / 1024.0 * self.data.provider(pl.provider).usd_per_gb_s
    }

    /// Energy of one execution, kWh (CCF model: vCPU watts interpolated by utilisation,
    /// memory watts, PUE).
    pub fn energy_kwh(&self, prof: &Profile, pl: Placement, exec_s: f64) -> f64 {
        let e = self.data.provider(pl.provider).energy;
        let vcpu = self.vcpu(pl).min(1.0);
        let util = prof.cpu_frac as f64;
        let watts = vcpu * (e.min_w + util * (e.max_w - e.min_w)) + pl.memory_mb() / 1024.0 * e.mem_w_per_gb;
        exec_s.max(0.0) * watts * e.pue / 3.6e6
    }

    /// Emissions of one execution, gCO2e.
    pub fn carbon_g(&self, prof: &Profile, pl: Placement, exec_s: f64) -> f64 {
        self.energy_kwh(prof, pl, exec_s) * self.data.provider(pl.provider).carbon_g_per_kwh[pl.region as usize]
    }

    /// Network round trip from the function's users to the placement's region, ms.
    pub fn rtt_ms(&self, prof: &Profile, pl: Placement) -> f64 {
        self.data.rtt_ms[prof.home_region as usize % 4][pl.region as usize]
    }

    /// Cold-start latency at quantile `u`, ms.
    pub fn cold_ms(&self, pl: Placement, u: f64) -> f64 {
        self.data.provider(pl.provider).cold[pl.tier as usize].quantile(u) * 1000.0
    }

    /// Mean cold-start latency, ms.
    pub fn cold_mean_ms(&self, pl: Placement) -> f64 {
        self.data.provider(pl.provider).cold[pl.tier as usize].mean() * 1000.0
    }

    /// The tier is smaller than the function needs.
    pub fn oom(&self, prof: &Profile, pl: Placement) -> bool {
        (prof.memory_need_mb as f64) > pl.memory_mb()
    }

    /// One invocation: `cold_ms` is the cold-start latency paid (0 when warm).
    pub fn invocation(&self, prof: &Profile, pl: Placement, d_ref: f64, cold_ms: f64) -> Outcome {
        let exec = self.exec_s(prof, pl, d_ref);
        let latency_ms = self.rtt_ms(prof, pl) + exec * 1000.0 + cold_ms;
        Outcome {
            cost_usd: self.cost_usd(pl, exec),
            latency_ms,
            carbon_g: self.carbon_g(prof, pl, exec),
            violated: self.oom(prof, pl) || latency_ms > prof.sla_ms as f64,
            cold: cold_ms > 0.0,
        }
    }

    /// Reward of an interval from its totals (hdrl-infer's definition).
    pub fn reward(&self, a: &Totals) -> Reward {
        if a.n == 0 {
            return self.bounds.reward(0.0, 0.0, 0.0, 0.0);
        }
        let n = a.n as f64;
        self.bounds.reward(
            (a.cost_usd / n) as f32,
            (a.latency_ms / n) as f32,
            (a.carbon_g / n) as f32,
            (a.violations as f64 / n) as f32,
        )
    }
}

/// Sums over a set of invocations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    /// Invocations.
    pub n: u64,
    /// USD (executions plus billed pre-warm idle time).
    pub cost_usd: f64,
    /// Sum of latencies, ms.
    pub latency_ms: f64,
    /// gCO2e.
    pub carbon_g: f64,
    /// SLA violations.
    pub violations: u64,
    /// Cold starts.
    pub colds: u64,
    /// Idle instance memory time, GB-s (keep-alive and pre-warm).
    pub idle_gb_s: f64,
}

impl Totals {
    /// Add one outcome.
    pub fn add(&mut self, o: &Outcome) {
        self.n += 1;
        self.cost_usd += o.cost_usd;
        self.latency_ms += o.latency_ms;
        self.carbon_g += o.carbon_g;
        self.violations += o.violated as u64;
        self.colds += o.cold as u64;
    }

    /// Merge another set.
    pub fn merge(&mut self, o: &Totals) {
        self.n += o.n;
        self.cost_usd += o.cost_usd;
        self.latency_ms += o.latency_ms;
        self.carbon_g += o.carbon_g;
        self.violations += o.violations;
        self.colds += o.colds;
        self.idle_gb_s += o.idle_gb_s;
    }
}

/// When an idle instance is alive: after an invocation ends it is (re)loaded `prewarm_s`
/// later and stays loaded for `keep_s` (Shahrad et al.'s pre-warm and keep-alive windows; a
/// plain keep-alive is `prewarm_s = 0`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Pre-warm window, s.
    pub prewarm_s: f64,
    /// Keep-alive window, s.
    pub keep_s: f64,
}

impl Window {
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

#[derive(Clone, Copy, Debug)]
struct Instance {
    busy_until: f64,
    last_end: f64,
    /// Held warm by the operational layer until this time.
    held_until: f64,
    /// Start of the current held-and-idle interval, which is billed (NaN when none is open).
    hold_from: f64,
}

/// One function's instance pool on one placement: decides warm or cold for each invocation
/// and accounts idle memory. The operational layer acts on it by pre-warming.
#[derive(Clone, Debug)]
pub struct Pool {
    /// Placement of every instance.
    pub placement: Placement,
    window: Window,
    insts: Vec<Instance>,
}

impl Pool {
    /// An empty pool.
    pub fn new(placement: Placement, window: Window) -> Self {
        Self { placement, window, insts: Vec::new() }
    }

    /// The provider's default keep-alive window for a placement.
    pub fn provider_window(pl: Placement) -> Window {
        Window::keep(KEEP_ALIVE_S[pl.provider as usize])
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
        let kept_until = i.last_end + self.window.prewarm_s + self.window.keep_s;
        let billed = (end - i.hold_from.max(kept_until)).max(0.0);
        tot.idle_gb_s += secs * self.placement.memory_mb() / 1024.0;
        tot.cost_usd += billed * sim.idle_usd_per_s(self.placement);
        i.hold_from = f64::NAN;
    }

    fn alive(&self, i: &Instance, t: f64) -> bool {
        i.busy_until > t || i.held_until >= t || self.window.alive(t - i.last_end)
    }

    /// Drop instances that are gone at time `t`, accounting their idle memory into `tot`.
    fn reap(&mut self, sim: &Sim, t: f64, tot: &mut Totals) {
        let gb = self.placement.memory_mb() / 1024.0;
        let w = self.window;
        let mut k = 0;
        while k < self.insts.len() {
            let i = self.insts[k];
            let gone = !(i.busy_until > t || i.held_until >= t || w.alive(t - i.last_end))
                && t - i.last_end > w.prewarm_s + w.keep_s;
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
        let mut alive = self.insts.iter().filter(|i| self.alive(i, t)).count() as u32;
        while alive < target {
            self.insts.push(Instance { busy_until: t, last_end: t, held_until: t, hold_from: f64::NAN });
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
        let w = self.window;
        // The most recently used idle alive instance.
        let mut best: Option<usize> = None;
        for (k, i) in self.insts.iter().enumerate() {
            let usable = i.busy_until <= t && (i.held_until >= t || w.alive(t - i.last_end));
            if usable && best.is_none_or(|b| self.insts[b].last_end < i.last_end) {
                best = Some(k);
            }
        }
        let cold_ms = if best.is_some() { 0.0 } else { sim.cold_ms(self.placement, u) };
        let o = sim.invocation(prof, self.placement, d_ref, cold_ms);
        let end = t + (o.latency_ms - sim.rtt_ms(prof, self.placement)).max(0.0) / 1000.0;
        match best {
            Some(k) => {
                let mut i = self.insts[k];
                if i.hold_from.is_nan() {
                    tot.idle_gb_s += gb * w.loaded_idle(t - i.last_end);
                } else {
                    self.settle(sim, &mut i, t, tot);
                }
                i.busy_until = end;
                i.last_end = end;
                self.insts[k] = i;
            }
            None => self.insts.push(Instance {
                busy_until: end,
                last_end: end,
                held_until: f64::NEG_INFINITY,
                hold_from: f64::NAN,
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
                tot.idle_gb_s += gb * self.window.loaded_idle(t - i.last_end);
            }
        }
    }
}

/// The cold-start quantile of the `k`-th invocation of function `f`: the same for every policy
/// (common random numbers make policy comparisons fair).
pub fn cold_quantile(f: usize, k: usize) -> f64 {
    unit(mix(((f as u64) << 32) ^ k as u64 ^ 0xC01D))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prof() -> Profile {
        Profile {
            app: 0,
            memory_need_mb: 200.0,
            cpu_frac: 0.5,
            home_region: 0,
            sla_ms: 2000.0,
            mean_duration_s: 0.5,
            p95_duration_s: 1.0,
            train_invocations: 10,
        }
    }

    #[test]
    fn costs_follow_the_published_prices() {
        let s = Sim::new().unwrap();
        // AWS 1024 MB for exactly 1 s: one GB-s plus a request.
        let c = s.cost_usd(Placement::new(Provider::Aws, 0, 3), 1.0);
        assert!((c - (0.0000166667 + 0.2e-6)).abs() < 1e-12, "{c}");
        // Azure bills at least 100 ms.
        let c = s.cost_usd(Placement::new(Provider::Azure, 0, 0), 0.001);
        assert!((c - (0.1 * 0.125 * 0.000016 + 0.2e-6)).abs() < 1e-12, "{c}");
        // GCP rounds up to 100 ms and bills CPU GHz-s: 128 MB = 0.2 GHz.
        let c = s.cost_usd(Placement::new(Provider::Gcp, 0, 0), 0.01);
        assert!((c - (0.1 * (0.125 * 0.0000025 + 0.2 * 0.00001) + 0.4e-6)).abs() < 1e-12, "{c}");
    }

    #[test]
    fn more_memory_runs_cpu_bound_work_faster_and_small_tiers_oom() {
        let s = Sim::new().unwrap();
        let p = prof();
        let small = s.exec_s(&p, Placement::new(Provider::Aws, 0, 0), 1.0);
        let big = s.exec_s(&p, Placement::new(Provider::Aws, 0, 5), 1.0);
        assert!(small > 5.0 * big, "{small} vs {big}");
        assert!(s.oom(&p, Placement::new(Provider::Aws, 0, 0)));
        assert!(!s.oom(&p, Placement::new(Provider::Aws, 0, 1)));
        let o = s.invocation(&p, Placement::new(Provider::Aws, 0, 0), 0.01, 0.0);
        assert!(o.violated, "OOM is a violation, not a silent success");
        // Far regions add the measured RTT; greener regions emit less.
        let near = s.invocation(&p, Placement::new(Provider::Gcp, 0, 3), 0.1, 0.0);
        let far = s.invocation(&p, Placement::new(Provider::Gcp, 3, 3), 0.1, 0.0);
        assert!((far.latency_ms - near.latency_ms - (216.7 - 2.0)).abs() < 1e-9);
        let green = s.invocation(&p, Placement::new(Provider::Gcp, 1, 3), 0.1, 0.0);
        assert!(green.carbon_g < near.carbon_g / 5.0);
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
        let w = Window { prewarm_s: 60.0, keep_s: 120.0 };
        assert!(!w.alive(30.0) && w.alive(60.0) && w.alive(180.0) && !w.alive(181.0));
        assert_eq!(w.loaded_idle(100.0), 40.0);
        assert_eq!(w.loaded_idle(1e9), 120.0);
    }
}
