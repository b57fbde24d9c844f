//! The multi-cloud serverless simulator: what one invocation costs, how long it takes, what it
//! emits, and when it starts cold, for a placement (provider, region slot, memory tier).
//!
//! Every price, energy coefficient, cold-start latency and RTT comes from
//! [`crate::data::refdata`], every hourly grid carbon intensity from [`crate::data::carbon`]: an
//! invocation is charged the intensity of its region in the hour it starts. Modelling
//! assumptions (no measured data behind them), each with its reason:
//! - billing granularity: AWS 1 ms, Azure 1 ms with a 100 ms minimum, GCP 100 ms (1st gen);
//! - a function uses at most one vCPU: its CPU-bound share of the duration runs at
//!   `min(vCPU, 1)` speed, the rest (I/O) does not change with the tier;
//! - CPU utilisation for the energy model equals the function's CPU-bound fraction;
//! - memory below the function's need fails the invocation (out of memory): an SLA violation,
//!   billed for its full duration.
//!
//! Keep-alive and pre-warming live with the instance pools ([`crate::sim::pool`]).

use hdrl_infer::reward::{Reward, RewardBounds};

use crate::data::carbon::{Carbon, CarbonMode, DEFAULT_ORIGIN};
use crate::data::refdata::RefData;
use crate::data::workload::Profile;
use crate::sim::Placement;

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
    /// Hourly grid carbon intensity.
    pub carbon: Carbon,
    /// Reward bounds (hdrl-infer's definition; derived from the training days, see
    /// [`crate::sim::bounds`], or read from a bundle).
    pub bounds: RewardBounds,
}

impl Sim {
    /// A simulator over the embedded reference data, hourly carbon from 2022-01-30T00:00Z,
    /// and generic reward bounds (a scenario replaces them with its derived ones).
    ///
    /// # Errors
    /// The reference data does not parse.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_carbon(Carbon::load(DEFAULT_ORIGIN, CarbonMode::Hourly)?)
    }

    /// A simulator over the embedded reference data and the given carbon intensities.
    ///
    /// # Errors
    /// The reference data does not parse.
    pub fn with_carbon(carbon: Carbon) -> anyhow::Result<Self> {
        Ok(Self { data: RefData::load()?, carbon, bounds: RewardBounds::DEFAULT })
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

    /// Billed cost of one execution of `exec_s` seconds, USD: hdrl-infer's
    /// [`hdrl_infer::PriceTable::cost_usd`], the billing a gateway's tracker uses.
    pub fn cost_usd(&self, pl: Placement, exec_s: f64) -> f64 {
        self.data.provider(pl.provider).prices.cost_usd(pl.tier as usize, exec_s)
    }

    /// GB-second price of keeping an instance of this placement alive, USD/s.
    pub fn idle_usd_per_s(&self, pl: Placement) -> f64 {
        self.data.provider(pl.provider).prices.idle_usd_per_s(pl.tier as usize)
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

    /// Grid carbon intensity of the placement's region at trace time `t_s`, gCO2e/kWh.
    pub fn intensity(&self, pl: Placement, t_s: f64) -> f64 {
        self.carbon.at(pl.provider, pl.region as usize, t_s)
    }

    /// Emissions of one execution starting at trace time `t_s`, gCO2e.
    pub fn carbon_g(&self, prof: &Profile, pl: Placement, exec_s: f64, t_s: f64) -> f64 {
        self.energy_kwh(prof, pl, exec_s) * self.intensity(pl, t_s)
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

    /// One invocation starting at trace time `t_s`: `cold_ms` is the cold-start latency paid
    /// (0 when warm).
    pub fn invocation(&self, prof: &Profile, pl: Placement, d_ref: f64, cold_ms: f64, t_s: f64) -> Outcome {
        let exec = self.exec_s(prof, pl, d_ref);
        let latency_ms = self.rtt_ms(prof, pl) + exec * 1000.0 + cold_ms;
        Outcome {
            cost_usd: self.cost_usd(pl, exec),
            latency_ms,
            carbon_g: self.carbon_g(prof, pl, exec, t_s),
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

#[cfg(test)]
mod tests {
    use super::*;
    use hdrl_infer::Provider;

    fn prof() -> Profile {
        Profile::example()
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
        let o = s.invocation(&p, Placement::new(Provider::Aws, 0, 0), 0.01, 0.0, 0.0);
        assert!(o.violated, "OOM is a violation, not a silent success");
        // Far regions add the measured RTT; greener regions emit less.
        let near = s.invocation(&p, Placement::new(Provider::Gcp, 0, 3), 0.1, 0.0, 0.0);
        let far = s.invocation(&p, Placement::new(Provider::Gcp, 3, 3), 0.1, 0.0, 0.0);
        assert!((far.latency_ms - near.latency_ms - (216.7 - 2.0)).abs() < 1e-9);
        let green = s.invocation(&p, Placement::new(Provider::Gcp, 1, 3), 0.1, 0.0, 0.0);
        assert!(green.carbon_g < near.carbon_g / 5.0);
    }

    #[test]
    fn an_invocation_is_charged_its_hours_intensity() {
        let s = Sim::new().unwrap();
        let p = prof();
        // Ireland (AWS eu-west-1) varies with the wind: two hours, two intensities.
        let pl = Placement::new(Provider::Aws, 2, 3);
        let (h1, h2) = (0..14 * 24)
            .flat_map(|a| (0..14 * 24).map(move |b| (a, b)))
            .find(|&(a, b)| {
                (s.carbon.at_hour(pl.provider, 2, a) - 2.0 * s.carbon.at_hour(pl.provider, 2, b)).abs() < 20.0
            })
            .expect("an hour with about twice the intensity of another");
        let at = |h: usize| s.invocation(&p, pl, 0.5, 0.0, h as f64 * 3600.0 + 1800.0);
        let (a, b) = (at(h1), at(h2));
        let energy = s.energy_kwh(&p, pl, s.exec_s(&p, pl, 0.5));
        assert!((a.carbon_g - energy * s.carbon.at_hour(pl.provider, 2, h1)).abs() < 1e-15);
        assert!((b.carbon_g - energy * s.carbon.at_hour(pl.provider, 2, h2)).abs() < 1e-15);
        assert!((a.carbon_g / b.carbon_g - 2.0).abs() < 0.15, "{} vs {}", a.carbon_g, b.carbon_g);
        // Everything else about the invocation is the same.
        assert_eq!((a.cost_usd, a.latency_ms, a.violated), (b.cost_usd, b.latency_ms, b.violated));
        // The static mode charges the annual mean at every hour.
        let st = Sim::with_carbon(
            crate::data::carbon::Carbon::load(
                crate::data::carbon::DEFAULT_ORIGIN,
                crate::data::carbon::CarbonMode::Static,
            )
            .unwrap(),
        )
        .unwrap();
        let (c, d) =
            (st.invocation(&p, pl, 0.5, 0.0, h1 as f64 * 3600.0), st.invocation(&p, pl, 0.5, 0.0, h2 as f64 * 3600.0));
        assert_eq!(c.carbon_g, d.carbon_g);
    }
}
