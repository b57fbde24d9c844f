//! Telemetry: what a gateway measures of one function's traffic, kept in fixed-size state the
//! caller owns, turned into exactly the raw [`Observation`] the encoders take.
//!
//! A gateway sees every request: when it started, when it ended, how long it took, whether
//! the platform reported a cold start, what it cost. [`Telemetry`] is fed with those events and
//! the clock, and keeps
//! - the operational 15-s steps (configurable) — request count and busy time (the integral of
//!   the in-flight count, equal to the sum of each request's overlap with the step) — as the
//!   last [`WINDOW`](crate::features::WINDOW) raw [`OperationalStep`]s the LSTM reads;
//! - the last closed hour's tactical metrics: request rate, mean in-flight, cold fraction, cost
//!   per million, p95 latency from a [`LatencyHistogram`];
//! - the last three closed days' strategic statistics: invocations (mean, CV, trend), cost (mean,
//!   trend), latency p50/p95/p99 and the busiest minute of the last day.
//!
//! Memory in use and CPU utilisation are derived from concurrency with [`derived_load`], as the
//! trainer does (neither the trace nor a gateway measures them). Carbon intensity comes from
//! the caller.
//!
//! # Clock and events
//! Time is seconds since midnight UTC of some day (the Unix epoch works), finite, 0 … 2⁴⁰.
//! Periods are aligned to multiples of their length from that origin. An event older than the
//! latest one seen counts at the latest time (out of order, duplicated or a clock going
//! backwards never undoes what was recorded). A request's start counts in the period it starts
//! in; its latency, cold start and cost in the period it ends in. An end without a start is
//! recorded and leaves the in-flight count at zero. Any advance costs bounded work: a silence
//! of a year closes at most 12 steps, 1 hour and 3 days.
//!
//! # Memory
//! [`Telemetry::BYTES`] per function: 1 344 bytes on x86-64, of which the hour's and the day's
//! 96-bucket latency histograms take 768; 100 000 functions take 134 MB. Not shared: one
//! writer at a time per function (`&mut`).
//!
//! # Error of the estimates
//! Rates, counts, in-flight means, cold fractions, costs, the busiest minute and every
//! operational step are exact (up to f64 → f32 rounding). Latency percentiles are within
//! [`histogram::MAX_RELATIVE_ERROR`] (6.03 %) of the exact rank for latencies of 1 ms … 60 s
//! (below 1 ms they read 0.5 ms, above 60 s they read 60 s).

mod days;
pub mod histogram;
mod hours;
mod period;
mod steps;

pub use days::{DAY_S, HISTORY_DAYS};
pub use histogram::LatencyHistogram;
pub use hours::HOUR_S;
pub use steps::{derived_load, operational_step};

use core::fmt;

use days::Days;
use hours::Hours;
use period::advance;
use steps::Steps;

use crate::InferError;
use crate::features::{
    AppContext, CarbonObs, DayFacts, EncoderConfig, OperationalStep, StrategicObs, TacticalObs, Window,
};
use crate::hierarchy::Observation;

// The size the module documentation states (x86-64), kept from growing unnoticed.
const _: () = assert!(Telemetry::BYTES <= 1400);

/// Latest clock value accepted, s (about 35 000 years).
pub const MAX_CLOCK_S: f64 = (1u64 << 40) as f64;

/// The event field that was unusable ([`InferError::BadEvent`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EventField {
    /// The clock: NaN, infinite, negative or above [`MAX_CLOCK_S`].
    Clock = 0,
    /// A latency: NaN, infinite or negative.
    Latency = 1,
    /// A cost: NaN, infinite or negative.
    Cost = 2,
    /// The step length: not a finite number of seconds in 0.01 … 3600 that divides an hour.
    StepLength = 3,
}

impl fmt::Display for EventField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Clock => "clock (must be finite seconds in 0 … 2^40)",
            Self::Latency => "latency (must be finite and ≥ 0 ms)",
            Self::Cost => "cost (must be finite and ≥ 0 USD)",
            Self::StepLength => "step length (must divide an hour, 0.01 … 3600 s)",
        })
    }
}

/// How one request ended, as the gateway saw it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    /// End-to-end latency, ms.
    pub latency_ms: f32,
    /// The platform reported a cold start.
    pub cold: bool,
    /// What the request cost, USD (from the provider's price of the placement it ran on).
    pub cost_usd: f32,
}

/// The measured state of one function. Fixed size ([`Telemetry::BYTES`]), no allocation;
/// `Clone` to snapshot.
#[derive(Clone, Debug)]
pub struct Telemetry {
    app: AppContext,
    started: bool,
    last_t: f64,
    in_flight: u32,
    region_rank: u8,
    memory_tier: u8,
    steps: Steps,
    hours: Hours,
    days: Days,
}

impl Telemetry {
    /// Bytes of one function's telemetry.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// Telemetry of a function with these facts (the memory need and CPU share derive memory
    /// and CPU from concurrency), cut into steps of `step_s` seconds (15 in production, the
    /// LSTM's [`crate::STEP_S`]; tests may use 1).
    ///
    /// # Errors
    /// [`InferError::BadEvent`] with [`EventField::StepLength`] unless `step_s` lies in
    /// 0.01 … 3600 and divides an hour (so steps never straddle an hour).
    pub fn new(app: AppContext, step_s: f32) -> Result<Self, InferError> {
        let s = step_s as f64;
        let per_hour = HOUR_S / s;
        if !(0.01..=HOUR_S).contains(&s) || (per_hour - libm::round(per_hour)).abs() > 1e-9 {
            return Err(InferError::BadEvent { field: EventField::StepLength });
        }
        let finite_or_zero = |x: f32| if x.is_finite() && x > 0.0 { x as f64 } else { 0.0 };
        Ok(Self {
            app,
            started: false,
            last_t: 0.0,
            in_flight: 0,
            region_rank: 0,
            memory_tier: 0,
            steps: Steps {
                len_s: s,
                memory_need_mb: finite_or_zero(app.memory_need_mb),
                cpu_share: finite_or_zero(app.cpu_share).min(1.0),
                index: 0,
                count: 0,
                busy_s: 0.0,
                closed: heapless::HistoryBuf::new(),
                total: 0,
            },
            hours: Hours::default(),
            days: Days::default(),
        })
    }

    /// The function's facts.
    pub fn app(&self) -> &AppContext {
        &self.app
    }

    /// Step length, s.
    pub fn step_s(&self) -> f32 {
        self.steps.len_s as f32
    }

    /// The latest time seen, s (0 before the first event).
    pub fn now(&self) -> f64 {
        self.last_t
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Steps closed so far (saturating).
    pub fn steps_closed(&self) -> u64 {
        self.steps.total
    }

    /// Move the clock to `now`, closing every step, hour and day that ended before it.
    ///
    /// # Errors
    /// [`InferError::BadEvent`] with [`EventField::Clock`] for a clock that is NaN, infinite,
    /// negative or above [`MAX_CLOCK_S`]; nothing changes then.
    pub fn tick(&mut self, now: f64) -> Result<(), InferError> {
        if !(0.0..=MAX_CLOCK_S).contains(&now) {
            return Err(InferError::BadEvent { field: EventField::Clock });
        }
        if !self.started {
            self.started = true;
            self.last_t = now;
            self.steps.index = (now / self.steps.len_s) as u64;
            self.hours.index = (now / HOUR_S) as u64;
            self.days.index = (now / DAY_S) as u64;
            self.days.minute = (now / 60.0) as u64;
            return Ok(());
        }
        let t = now.max(self.last_t);
        advance(&mut self.steps, self.last_t, t, self.in_flight);
        advance(&mut self.hours, self.last_t, t, self.in_flight);
        advance(&mut self.days, self.last_t, t, self.in_flight);
        self.last_t = t;
        Ok(())
    }

    /// A request started at `now`.
    ///
    /// # Errors
    /// As [`Telemetry::tick`].
    pub fn start(&mut self, now: f64) -> Result<(), InferError> {
        self.tick(now)?;
        self.in_flight = self.in_flight.saturating_add(1);
        self.steps.count = self.steps.count.saturating_add(1);
        self.hours.open.n = self.hours.open.n.saturating_add(1);
        self.days.start(self.last_t);
        Ok(())
    }

    /// A request ended at `now` with `outcome`. The in-flight count drops even when the outcome
    /// is rejected (the request did end).
    ///
    /// # Errors
    /// As [`Telemetry::tick`] (then nothing changes), and [`InferError::BadEvent`] with
    /// [`EventField::Latency`] or [`EventField::Cost`] for a NaN, infinite or negative value
    /// (then the outcome is not recorded).
    pub fn end(&mut self, now: f64, outcome: &Outcome) -> Result<(), InferError> {
        self.tick(now)?;
        self.in_flight = self.in_flight.saturating_sub(1);
        let bad = |x: f32| !x.is_finite() || x < 0.0;
        if bad(outcome.latency_ms) {
            return Err(InferError::BadEvent { field: EventField::Latency });
        }
        if bad(outcome.cost_usd) {
            return Err(InferError::BadEvent { field: EventField::Cost });
        }
        let (lat, cost) = (outcome.latency_ms as f64, outcome.cost_usd as f64);
        let h = &mut self.hours;
        h.open.ended = h.open.ended.saturating_add(1);
        h.open.cold = h.open.cold.saturating_add(outcome.cold as u32);
        h.open.cost_usd += cost;
        h.latency.record(lat);
        self.days.ended = self.days.ended.saturating_add(1);
        self.days.cost_usd += cost;
        self.days.latency.record(lat);
        Ok(())
    }

    /// Where the function runs from now on: the region's distance rank from the home region
    /// and the memory tier (reported in the tactical observation).
    pub fn set_placement(&mut self, region_rank: u8, memory_tier: u8) {
        self.region_rank = region_rank;
        self.memory_tier = memory_tier;
    }

    /// The closed raw steps, oldest first (at most [`WINDOW`](crate::features::WINDOW)).
    pub fn steps(&self) -> impl Iterator<Item = &OperationalStep> {
        self.steps.closed.oldest_ordered()
    }

    /// Encode every closed step but the latest into `window` (cleared first). The latest is
    /// [`Observation::step`]: [`crate::Hierarchy::decide`] appends it, so the LSTM then reads
    /// the last [`WINDOW`](crate::features::WINDOW) closed steps.
    ///
    /// # Errors
    /// As [`EncoderConfig::encode_step`] (never for steps built here from a valid config).
    pub fn fill_window(&self, enc: &EncoderConfig, window: &mut Window) -> Result<(), InferError> {
        window.clear();
        let before_latest = self.steps.closed.len().saturating_sub(1);
        for s in self.steps().take(before_latest) {
            window.push(enc.encode_step(s)?);
        }
        Ok(())
    }

    /// The last closed hour's tactical metrics (zeros after an hour without requests) and the
    /// current placement.
    pub fn tactical(&self) -> TacticalObs {
        let h = &self.hours.last;
        let placed = TacticalObs { region_rank: self.region_rank, memory_tier: self.memory_tier, ..Default::default() };
        if h.n == 0 {
            return placed;
        }
        let n = h.n as f64;
        // Per ended request: an outcome arrives when its request ends (the trainer's "per
        // invocation" whenever no request straddles the hour).
        let per_ended = |x: f64| if h.ended > 0 { x / h.ended as f64 } else { 0.0 };
        let conc = h.busy_s / HOUR_S;
        let (memory, cpu) = derived_load(conc, true, self.steps.memory_need_mb, self.steps.cpu_share);
        TacticalObs {
            latency_ms: h.p95_ms as f32,
            cost_usd_per_m: (per_ended(h.cost_usd) * 1e6) as f32,
            request_rate: (n / HOUR_S) as f32,
            memory_used_mb: memory as f32,
            cpu_util: cpu as f32,
            queue_depth: conc as f32,
            cold_start_prob: per_ended(h.cold as f64) as f32,
            ..placed
        }
    }

    /// The strategic statistics of the last three closed days (the trainer's `d − 3 … d − 1`;
    /// fewer at first, zeros before any day closed): [`StrategicObs::from_days`].
    pub fn strategic(&self) -> StrategicObs {
        let mut facts = [DayFacts::default(); HISTORY_DAYS];
        let mut k = 0;
        for (f, d) in facts.iter_mut().zip(self.days.closed.oldest_ordered()) {
            *f = DayFacts {
                invocations: d.n as f64,
                cost_usd_per_m: if d.ended > 0 { d.cost_usd / d.ended as f64 * 1e6 } else { 0.0 },
                latency_pct: d.latency_pct,
                peak_per_min: d.peak_per_min as f32,
            };
            k += 1;
        }
        StrategicObs::from_days(&facts[..k])
    }

    /// Move the clock to `now` and return the raw observation the encoders take: the last
    /// closed days, hour and step, the function's facts and the caller's carbon intensities.
    /// The step is the last closed one (before any closed: an idle step at `now`'s hour).
    ///
    /// # Errors
    /// As [`Telemetry::tick`].
    pub fn observation(&mut self, now: f64, carbon: &CarbonObs) -> Result<Observation, InferError> {
        self.tick(now)?;
        let step = self.steps.closed.recent().copied().unwrap_or(OperationalStep {
            hour_of_day: (libm::fmod(self.last_t, DAY_S) / HOUR_S) as f32,
            ..Default::default()
        });
        Ok(Observation { strategic: self.strategic(), app: self.app, tactical: self.tactical(), carbon: *carbon, step })
    }
}

#[cfg(test)]
mod tests;
