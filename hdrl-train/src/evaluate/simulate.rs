//! Evaluation on the test days: every policy runs through the same exact simulation
//! (per-invocation, instance pools, common random numbers for cold-start latencies), and the
//! metrics come from that run only.

use crate::data::workload::{HOUR_S, Hourly};
use crate::evaluate::baselines::placement::Schedule;
use crate::sim::env::OperationalEnv;
use crate::sim::{KeepAliveWindow, Placement, Pool, Sim, Tables, Totals, Windows};

/// Seconds per operational step.
pub const STEP_S: f64 = hdrl_infer::STEP_S as f64;
/// Operational steps per hour.
pub const STEPS_PER_HOUR: usize = 240;

/// The platform's keep-alive behaviour in a simulation.
#[derive(Clone, Debug)]
pub enum KeepAlivePolicy {
    /// Each provider's own keep-alive.
    Provider,
    /// A fixed keep-alive for everyone, seconds.
    Fixed(f64),
    /// Windows per function that change over time (the hybrid histogram policy, online).
    PerFunction(Vec<Windows>),
}

impl KeepAlivePolicy {
    fn window(&self, f: usize, pl: Placement) -> Windows {
        match self {
            Self::Provider => Pool::provider_window(pl).into(),
            Self::Fixed(s) => KeepAliveWindow::keep(*s).into(),
            Self::PerFunction(w) => w.get(f).cloned().unwrap_or_else(|| Pool::provider_window(pl).into()),
        }
    }
}

/// What a policy achieved over the test days.
#[derive(Clone, Debug, Default)]
pub struct PolicyResult {
    /// Sums.
    pub totals: Totals,
    /// Every invocation's latency, ms.
    pub latencies: Vec<f32>,
    /// Reward of every function-hour with traffic or pre-warm cost.
    pub interval_rewards: Vec<f32>,
    /// (function, trace hour) of each entry of `interval_rewards`.
    pub interval_keys: Vec<(u32, u32)>,
    /// Cold starts per test hour.
    pub colds_per_hour: Vec<u64>,
}

/// Everything evaluation needs.
pub struct EvalCtx<'a> {
    /// Simulator.
    pub sim: &'a Sim,
    /// Tables (profiles, hour statistics, rewards).
    pub tab: &'a Tables,
    /// Invocations by function.
    pub hourly: &'a Hourly,
    /// Evaluated hours `[h0, h1)` (the test days).
    pub hours: (usize, usize),
    /// Training hours (estimates for baselines).
    pub train_hours: (usize, usize),
}

impl EvalCtx<'_> {
    /// Operational steps in the evaluated hours.
    pub fn steps(&self) -> usize {
        (self.hours.1 - self.hours.0) * STEPS_PER_HOUR
    }

    /// Run a schedule through the exact simulation. `targets[f][k]` (if given) is the number
    /// of instances the operational layer holds warm in test step `k`.
    pub fn simulate(&self, schedule: &Schedule, targets: Option<&[Vec<u32>]>, keep: &KeepAlivePolicy) -> PolicyResult {
        let nh = self.hours.1 - self.hours.0;
        let t0 = self.hours.0 as f64 * HOUR_S;
        let mut out = PolicyResult { colds_per_hour: vec![0; nh], ..Default::default() };
        for (f, sched) in schedule.iter().enumerate() {
            let prof = self.tab.profiles[f];
            let inv = &self.hourly.by_func[f];
            let first = inv.partition_point(|i| i.start < t0);
            let last = inv.partition_point(|i| i.start < self.hours.1 as f64 * HOUR_S);
            let tf = targets.map(|t| &t[f]);
            let any_prewarm = tf.is_some_and(|t| t.iter().any(|&x| x > 0));
            if first == last && !any_prewarm {
                continue;
            }
            let mut env = OperationalEnv::new(
                self.sim,
                f,
                prof,
                inv,
                sched[0],
                keep.window(f, sched[0]),
                t0,
                STEP_S,
                self.steps(),
            );
            let mut hour = Totals::default();
            for k in 0..self.steps() {
                let h = k / STEPS_PER_HOUR;
                if k % STEPS_PER_HOUR == 0 {
                    env.set_placement(sched[h], keep.window(f, sched[h]));
                }
                let target = tf.map(|t| t[k]).unwrap_or(0);
                let (tot, _) = env.step_with(target, &mut out.latencies);
                out.colds_per_hour[h] += tot.colds;
                hour.merge(&tot);
                if (k + 1) % STEPS_PER_HOUR == 0 {
                    if hour.n > 0 || hour.cost_usd > 0.0 {
                        out.interval_rewards.push(self.sim.reward(&Totals { n: hour.n.max(1), ..hour }).total);
                        out.interval_keys.push((f as u32, (self.hours.0 + h) as u32));
                    }
                    hour = Totals::default();
                }
            }
            out.totals.merge(&env.totals);
        }
        out
    }
}
