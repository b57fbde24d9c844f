//! Environments for the three layers, with reset/step and explicit seeds:
//! strategic (per app per day), tactical (per function per hour, vectorised), operational
//! (per function per 15 s, on the simulator's instance pool).

use hdrl_infer::features::{OperationalStep, STRATEGIC_INPUT, TACTICAL_INPUT, TacticalContext};
use hdrl_infer::placement::TACTICAL_ACTIONS;
use hdrl_infer::{EncoderConfig, Provider};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::trace::Invocation;
use crate::data::workload::Profile;
use crate::sim::tables::{Tables, default_placement};
use crate::sim::{Placement, Pool, Sim, Totals, Windows, cold_quantile};

/// The environment interface shared by the layers.
pub trait Env {
    /// What the agent sees.
    type Obs;
    /// What the agent does.
    type Action;
    /// Start a new episode.
    fn reset(&mut self) -> Self::Obs;
    /// Act; returns the next observation, the reward and whether the episode ended.
    fn step(&mut self, a: Self::Action) -> (Self::Obs, f32, bool);
}

/// Strategic layer: one function, one day per step; the action is the day's provider and the
/// reward that day's mean hourly reward on it: on its fixed best placement
/// ([`Tables::day_reward`]) or, [`StrategicEnv::with_day_rewards`], under an hourly plan.
pub struct StrategicEnv<'a> {
    sim: &'a Sim,
    tab: &'a Tables,
    enc: EncoderConfig,
    rewards: Vec<Vec<[f32; 3]>>,
    funcs: Vec<usize>,
    days: (usize, usize),
    rng: StdRng,
    f: usize,
    day: usize,
    provider: Provider,
}

impl<'a> StrategicEnv<'a> {
    /// Episodes over days `[days.0, days.1)` of the functions with traffic then; days before
    /// `days.0` provide history.
    pub fn new(sim: &'a Sim, tab: &'a Tables, enc: EncoderConfig, days: (usize, usize), seed: u64) -> Self {
        let lo = days.0.max(1);
        let funcs = (0..tab.profiles.len()).filter(|&f| (lo..days.1).any(|d| tab.day[f][d][0].totals.n > 0)).collect();
        let rewards = (0..tab.profiles.len())
            .map(|f| (0..tab.days).map(|d| Provider::ALL.map(|p| tab.day_reward(f, d, p))).collect())
            .collect();
        Self {
            sim,
            tab,
            enc,
            rewards,
            funcs,
            days: (lo, days.1),
            rng: StdRng::seed_from_u64(seed),
            f: 0,
            day: lo,
            provider: Provider::Aws,
        }
    }

    /// The encoded observation of function `f` at the start of `day` while on `provider`.
    pub fn obs(&self, f: usize, day: usize, provider: Provider) -> [f32; STRATEGIC_INPUT] {
        let s = self.tab.strategic_obs(f, day, provider);
        let c = self.tab.carbon_obs(self.sim, day * 24);
        // Table statistics and carbon are finite and non-negative by construction.
        self.enc.encode_strategic(&s, &self.tab.profiles[f].app_context(), &c).unwrap_or([0.0; STRATEGIC_INPUT])
    }

    /// Functions with traffic in the range.
    pub fn functions(&self) -> &[usize] {
        &self.funcs
    }

    /// The days episodes cover, `[lo, hi)`.
    pub fn days(&self) -> (usize, usize) {
        self.days
    }

    /// The same environment rewarding `rewards[f][day][provider]` instead (for example
    /// [`crate::sim::estimates::Estimates::planned_day_rewards`]).
    pub fn with_day_rewards(mut self, rewards: Vec<Vec<[f32; 3]>>) -> Self {
        self.rewards = rewards;
        self
    }

    /// Reward of running function `f` on `provider` for `day`.
    pub fn reward(&self, f: usize, day: usize, provider: Provider) -> f32 {
        self.rewards[f][day][provider as usize]
    }

    /// Whether function `f` has traffic on `day`.
    pub fn active(&self, f: usize, day: usize) -> bool {
        self.tab.day[f][day][0].totals.n > 0
    }

    /// Restart the episode generator from a seed.
    pub fn reseed(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
    }

    /// The reward each provider (by index) would earn on the current function-day.
    pub fn rewards_now(&self) -> [f32; 3] {
        Provider::ALL.map(|p| self.reward(self.f, self.day, p))
    }
}

impl Env for StrategicEnv<'_> {
    type Obs = [f32; STRATEGIC_INPUT];
    type Action = usize;

    fn reset(&mut self) -> [f32; STRATEGIC_INPUT] {
        self.f = self.funcs[self.rng.random_range(0..self.funcs.len())];
        self.day = self.days.0;
        self.provider = Provider::ALL[self.rng.random_range(0..3)];
        self.obs(self.f, self.day, self.provider)
    }

    fn step(&mut self, a: usize) -> ([f32; STRATEGIC_INPUT], f32, bool) {
        let p = Provider::from_index(a).unwrap_or(Provider::Aws);
        let r = self.reward(self.f, self.day, p);
        self.provider = p;
        self.day += 1;
        let done = self.day >= self.days.1;
        let obs = if done { [0.0; STRATEGIC_INPUT] } else { self.obs(self.f, self.day, p) };
        (obs, r, done)
    }
}

#[derive(Clone, Copy, Debug)]
struct TacState {
    f: usize,
    day: usize,
    hour: usize,
    provider: Provider,
    prev: Placement,
}

/// Tactical layer, vectorised: `n` independent episodes of one function-day each (24 hourly
/// steps); the provider context is drawn per episode so the policy learns every provider.
pub struct TacticalEnv<'a> {
    sim: &'a Sim,
    tab: &'a Tables,
    enc: EncoderConfig,
    pairs: Vec<(usize, usize)>,
    trend: Vec<Vec<f32>>,
    rng: StdRng,
    envs: Vec<TacState>,
}

/// Output of a vectorised step.
pub struct VecStep {
    /// Next observations (of the new episode where one ended).
    pub obs: Vec<[f32; TACTICAL_INPUT]>,
    /// Action masks of the next observations (true = allowed).
    pub mask: Vec<[bool; TACTICAL_ACTIONS]>,
    /// Rewards.
    pub reward: Vec<f32>,
    /// Episode ended.
    pub done: Vec<bool>,
}

impl<'a> TacticalEnv<'a> {
    /// `n` parallel episodes over days `[days.0, days.1)` (function-days with traffic).
    pub fn new(sim: &'a Sim, tab: &'a Tables, enc: EncoderConfig, days: (usize, usize), n: usize, seed: u64) -> Self {
        let pairs: Vec<(usize, usize)> = (0..tab.profiles.len())
            .flat_map(|f| (days.0..days.1).map(move |d| (f, d)))
            .filter(|&(f, d)| (d * 24..(d + 1) * 24).any(|h| h < tab.hours && tab.hour[f][h].n > 0))
            .collect();
        let trend = (0..tab.profiles.len())
            .map(|f| (0..tab.days).map(|d| tab.strategic_obs(f, d, Provider::Aws).volume_trend).collect())
            .collect();
        let mut e = Self { sim, tab, enc, pairs, trend, rng: StdRng::seed_from_u64(seed), envs: Vec::new() };
        e.envs = (0..n).map(|_| e.fresh()).collect();
        e
    }

    /// Restart every episode from a seed (used at each rollout, so runs resume exactly).
    pub fn reseed(&mut self, seed: u64) {
        self.rng = StdRng::seed_from_u64(seed);
        let n = self.envs.len();
        self.envs = (0..n).map(|_| self.fresh()).collect();
    }

    /// Table reward of running function `f` in hour `h` on `provider` with tactical `action`,
    /// after running the previous hour on `prev` (`None`: a move, the pool starts empty).
    pub fn reward(&self, f: usize, h: usize, provider: Provider, action: usize, prev: Option<Placement>) -> f32 {
        if h >= self.tab.hours {
            return 0.0;
        }
        let k = provider as usize * TACTICAL_ACTIONS + action % TACTICAL_ACTIONS;
        match prev {
            Some(p) => self.tab.reward_after(f, h, k, p),
            None => self.tab.reward_moved[(f * self.tab.hours + h) * crate::sim::tables::PLACEMENTS + k],
        }
    }

    /// Profile of function `f`.
    pub fn profile(&self, f: usize) -> crate::data::workload::Profile {
        self.tab.profiles[f]
    }

    /// The function-days with traffic.
    pub fn pairs(&self) -> &[(usize, usize)] {
        &self.pairs
    }

    /// The function-days a validation score runs on: at most `max_pairs` of [`Self::pairs`]
    /// (evenly strided; 0 = all), each with a provider context rotating AWS, Azure, GCP, so
    /// every score of a policy or a rule on the same `max_pairs` sees the same days.
    pub fn validation_pairs(&self, max_pairs: usize) -> Vec<(usize, usize, Provider)> {
        let n = self.pairs.len();
        let stride = if max_pairs == 0 || n <= max_pairs { 1 } else { n / max_pairs };
        self.pairs.iter().step_by(stride.max(1)).enumerate().map(|(i, &(f, d))| (f, d, Provider::ALL[i % 3])).collect()
    }

    /// Function-days available.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// No function-day has traffic.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn fresh(&mut self) -> TacState {
        let (f, day) = self.pairs[self.rng.random_range(0..self.pairs.len())];
        let provider = Provider::ALL[self.rng.random_range(0..3)];
        let prev = start_placement(&self.tab.profiles[f], provider, &mut self.rng);
        TacState { f, day, hour: 0, provider, prev }
    }

    /// Encoded observation and mask of function `f` before hour `h` on `provider`, after
    /// running hour `h − 1` on `prev`.
    pub fn observe(
        &self,
        f: usize,
        h: usize,
        provider: Provider,
        prev: Placement,
    ) -> ([f32; TACTICAL_INPUT], [bool; TACTICAL_ACTIONS]) {
        let raw = self.tab.tactical_obs(f, h.wrapping_sub(1), prev).seen_on(Some(prev.provider), provider);
        let trend = self.trend[f].get(h / 24).copied().unwrap_or(0.0);
        let ctx = TacticalContext { provider, volume_trend: trend };
        let app = self.tab.profiles[f].app_context();
        let carbon = self.tab.carbon_obs(self.sim, h);
        // Table metrics, facts and carbon are finite and non-negative by construction.
        let x = self.enc.encode_tactical(&raw, &ctx, &app, &carbon).unwrap_or([0.0; TACTICAL_INPUT]);
        (x, action_mask(&self.tab.profiles[f]))
    }

    fn state_obs(&self, s: &TacState) -> ([f32; TACTICAL_INPUT], [bool; TACTICAL_ACTIONS]) {
        self.observe(s.f, s.day * 24 + s.hour, s.provider, s.prev)
    }

    /// Observations of every parallel episode.
    pub fn observe_all(&self) -> (Vec<[f32; TACTICAL_INPUT]>, Vec<[bool; TACTICAL_ACTIONS]>) {
        self.envs.iter().map(|s| self.state_obs(s)).unzip()
    }

    /// Step every episode with its action.
    pub fn step_all(&mut self, actions: &[usize]) -> VecStep {
        let n = self.envs.len();
        let mut out = VecStep {
            obs: Vec::with_capacity(n),
            mask: Vec::with_capacity(n),
            reward: Vec::with_capacity(n),
            done: Vec::with_capacity(n),
        };
        for (i, &action) in actions.iter().enumerate().take(n) {
            let s = self.envs[i];
            let home = self.tab.profiles[s.f].home_region;
            let pl = Placement::from_action(s.provider, action, home);
            let h = s.day * 24 + s.hour;
            let k = pl.index_for(home);
            let r = if h < self.tab.hours { self.tab.reward_after(s.f, h, k, s.prev) } else { 0.0 };
            let mut next = TacState { hour: s.hour + 1, prev: pl, ..s };
            let done = next.hour >= 24;
            if done {
                next = self.fresh();
            }
            self.envs[i] = next;
            let (o, m) = self.state_obs(&next);
            out.obs.push(o);
            out.mask.push(m);
            out.reward.push(r);
            out.done.push(done);
        }
        out
    }
}

/// Where a tactical episode of a function on `provider` starts: half the time the provider's
/// default placement (the deployment the strategic layer just made), otherwise any allowed
/// placement on any provider, with the last hour's metrics measured there. The strategic layer
/// moves functions between providers overnight and the hierarchy hands the tactical layer the
/// old placement and its metrics; a policy that only ever started from the default kept a
/// tier that suited the old provider for the whole day (docs/decision-quality.md §11).
pub fn start_placement(p: &Profile, provider: Provider, rng: &mut impl Rng) -> Placement {
    if rng.random_bool(0.5) {
        return default_placement(p, provider);
    }
    let mask = action_mask(p);
    let allowed = mask.iter().filter(|ok| **ok).count();
    let from = Provider::ALL[rng.random_range(0..3)];
    let k = rng.random_range(0..allowed);
    // The k-th allowed action (the mask never forbids every action).
    let action = (0..mask.len()).filter(|&a| mask[a]).nth(k).unwrap_or(0);
    Placement::from_action(from, action, p.home_region)
}

/// Tactical actions allowed for a function (hdrl-infer's rule: tiers below its memory need
/// are masked when a tier fits).
pub fn action_mask(p: &Profile) -> [bool; TACTICAL_ACTIONS] {
    hdrl_infer::placement::allowed_actions(p.memory_need_mb)
}

/// Operational layer: one function on one placement, 15-second steps. The action is the
/// number of instances to hold warm during the next step; the reward is the step's reward
/// over its invocations (pre-warm cost included).
pub struct OperationalEnv<'a> {
    sim: &'a Sim,
    prof: Profile,
    f: usize,
    inv: &'a [Invocation],
    pool: Pool,
    step_s: f64,
    t0: f64,
    steps: usize,
    k: usize,
    next: usize,
    /// Everything served so far.
    pub totals: Totals,
}

impl<'a> OperationalEnv<'a> {
    /// Function `f` (all its invocations in start order) from `t0` for `steps` steps.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sim: &'a Sim,
        f: usize,
        prof: Profile,
        inv: &'a [Invocation],
        placement: Placement,
        window: impl Into<Windows>,
        t0: f64,
        step_s: f64,
        steps: usize,
    ) -> Self {
        let first = inv.partition_point(|i| i.start < t0);
        Self {
            sim,
            prof,
            f,
            inv,
            pool: Pool::new(placement, window),
            step_s,
            t0,
            steps,
            k: 0,
            next: first,
            totals: Totals::default(),
        }
    }

    /// Move to another placement (a new, empty pool: instances do not migrate).
    pub fn set_placement(&mut self, pl: Placement, window: impl Into<Windows>) {
        if pl != self.pool.placement {
            let t = self.t0 + self.k as f64 * self.step_s;
            self.pool.finish(self.sim, t, &mut self.totals);
            self.pool = Pool::new(pl, window);
        }
    }

    /// Current step index.
    pub fn step_index(&self) -> usize {
        self.k
    }

    /// Serve the next step holding `target` instances warm; returns the step's totals (with
    /// per-invocation latencies appended to `latencies`) and whether the run ended.
    pub fn step_with(&mut self, target: u32, latencies: &mut Vec<f32>) -> (Totals, bool) {
        let t = self.t0 + self.k as f64 * self.step_s;
        let end = t + self.step_s;
        let mut tot = Totals::default();
        if target > 0 {
            self.pool.prewarm(self.sim, t, end, target, &mut tot);
        }
        while self.next < self.inv.len() && self.inv[self.next].start < end {
            let i = self.inv[self.next];
            let o = self.pool.serve(
                self.sim,
                &self.prof,
                i.start,
                i.duration as f64,
                cold_quantile(self.f, self.next),
                &mut tot,
            );
            latencies.push(o.latency_ms as f32);
            self.next += 1;
        }
        self.k += 1;
        let done = self.k >= self.steps;
        if done {
            self.pool.finish(self.sim, end, &mut tot);
        }
        self.totals.merge(&tot);
        (tot, done)
    }
}

impl Env for OperationalEnv<'_> {
    type Obs = OperationalStep;
    type Action = u32;

    fn reset(&mut self) -> OperationalStep {
        self.k = 0;
        self.next = self.inv.partition_point(|i| i.start < self.t0);
        self.pool = Pool::new(self.pool.placement, Pool::provider_window(self.pool.placement));
        self.totals = Totals::default();
        OperationalStep { hour_of_day: ((self.t0 % 86_400.0) / 3600.0) as f32, ..Default::default() }
    }

    fn step(&mut self, target: u32) -> (OperationalStep, f32, bool) {
        let t = self.t0 + self.k as f64 * self.step_s;
        let mut lat = Vec::new();
        let (tot, done) = self.step_with(target, &mut lat);
        let b = crate::data::series::Bin { count: tot.n as u32, busy_s: 0.0 };
        let mut obs = crate::data::series::step_features(&b, &self.prof, self.step_s, t);
        obs.queue_depth = 0.0;
        (obs, self.sim.reward(&tot).total, done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::workload::{Hourly, Split, profiles};
    use crate::sim::tables::cold_flags;

    fn setup() -> (Sim, Tables, crate::data::trace::Trace) {
        let sim = Sim::new().unwrap();
        let t = crate::data::synth::generate(9, 0.01);
        let split = Split::for_days(t.days());
        let mem = crate::data::trace::load_memory_str(crate::data::refdata::AZURE2019_MEMORY).unwrap();
        let hourly = Hourly::new(&t);
        let prof = profiles(&t, &split, &mem);
        let cold = cold_flags(&sim, &prof, &hourly);
        let tab = Tables::build(&sim, &t, prof, &hourly, cold, (0, split.train.1 * 24));
        (sim, tab, t)
    }

    #[test]
    fn environments_are_seeded_and_step_through_their_episodes() {
        let (sim, tab, t) = setup();
        let enc = EncoderConfig::DEFAULT;
        let mut a = StrategicEnv::new(&sim, &tab, enc, (1, 10), 4);
        let mut b = StrategicEnv::new(&sim, &tab, enc, (1, 10), 4);
        assert_eq!(a.reset(), b.reset());
        let mut steps = 0;
        loop {
            let (o, r, done) = a.step(1);
            assert!(o.iter().all(|v| (0.0..=1.0).contains(v)) && r.is_finite());
            steps += 1;
            if done {
                break;
            }
        }
        assert_eq!(steps, 9);

        let mut tac = TacticalEnv::new(&sim, &tab, enc, (0, 10), 8, 5);
        assert!(!tac.is_empty());
        let (obs, masks) = tac.observe_all();
        assert_eq!(obs.len(), 8);
        assert!(masks.iter().all(|m| m.iter().any(|&x| x)));
        let mut dones = 0;
        for _ in 0..48 {
            let s = tac.step_all(&[3; 8]);
            dones += s.done.iter().filter(|&&d| d).count();
            // Every input in [0, 1], but the rank of a function on another provider: −1.
            let rank = TACTICAL_INPUT - 2;
            assert!(
                s.obs
                    .iter()
                    .all(|o| o.iter().enumerate().all(|(i, v)| (0.0..=1.0).contains(v) || (i == rank && *v == -1.0)))
            );
        }
        assert_eq!(dones, 16, "every episode is 24 hours");

        let hourly = Hourly::new(&t);
        let f = (0..t.funcs.len()).max_by_key(|&f| hourly.by_func[f].len()).unwrap();
        let pl = default_placement(&tab.profiles[f], Provider::Aws);
        let mut op = OperationalEnv::new(
            &sim,
            f,
            tab.profiles[f],
            &hourly.by_func[f],
            pl,
            Pool::provider_window(pl),
            0.0,
            15.0,
            5760,
        );
        op.reset();
        let mut n = 0;
        loop {
            let (_, r, done) = op.step(0);
            assert!(r.is_finite());
            n += 1;
            if done {
                break;
            }
        }
        assert_eq!(n, 5760);
        let day0 = hourly.by_func[f].iter().filter(|i| i.start < 86_400.0).count() as u64;
        assert_eq!(op.totals.n, day0);
    }

    #[test]
    fn episodes_also_start_from_another_providers_placement() {
        // The hierarchy hands the tactical layer the placement a function ran on before the
        // strategic layer moved it; training must see such starts (docs/decision-quality.md §11).
        let (_, tab, _) = setup();
        let prof = &tab.profiles[0];
        let mask = action_mask(prof);
        let mut rng = crate::algos::common::derived_rng(3, 0);
        let (mut default, mut foreign) = (0, 0);
        for _ in 0..400 {
            let pl = start_placement(prof, Provider::Aws, &mut rng);
            default += usize::from(pl == default_placement(prof, Provider::Aws));
            foreign += usize::from(pl.provider != Provider::Aws);
            assert!(mask[pl.action_for(prof.home_region)], "start placements are allowed actions");
        }
        assert!((150..=250).contains(&default), "half start from the default: {default}");
        assert!(foreign >= 100, "a third of the rest start on another provider: {foreign}");
    }
}
