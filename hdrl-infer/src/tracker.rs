//! One function's decision at each layer's cadence: the strategic layer once a day, the
//! tactical layer once an hour (and when the provider changes), the operational layer once per
//! closed step; a request between them reads the cached decision without a model call.

use crate::InferError;
use crate::features::{CarbonObs, TacticalContext, Window};
use crate::hierarchy::{Decision, Hierarchy, prewarm_target};
use crate::layers::Precision;
use crate::placement::MEMORY_TIERS_MB;
use crate::telemetry::{DAY_S, HOUR_S, Outcome, Telemetry};
use crate::{AppContext, Provider};

/// Which layers a [`Hierarchy::refresh`] ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// The DQN chose the provider (first decision, or a new day).
    pub strategic: bool,
    /// The PPO chose region and tier (first decision, a new hour, or a new provider).
    pub tactical: bool,
    /// The LSTM forecast the next step (first decision, or steps closed since the last).
    pub operational: bool,
}

/// A function's telemetry, its LSTM window and its current decision. Fixed size
/// ([`Tracker::BYTES`]: 1 688 bytes on x86-64, 169 MB for 100 000 functions), caller-owned, one
/// writer at a time (`&mut`); reading the decision is O(1).
#[derive(Clone, Debug)]
pub struct Tracker {
    telemetry: Telemetry,
    window: Window,
    decision: Option<Decision>,
    day: u64,
    hour: u64,
    steps_seen: u64,
}

// The size the documentation states (x86-64), kept from growing unnoticed.
const _: () = assert!(Tracker::BYTES <= 1700);

impl Tracker {
    /// Bytes of one function's tracker.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// A tracker for a function with these facts and step length (see [`Telemetry::new`]).
    ///
    /// # Errors
    /// As [`Telemetry::new`].
    pub fn new(app: AppContext, step_s: f32) -> Result<Self, InferError> {
        Ok(Self {
            telemetry: Telemetry::new(app, step_s)?,
            window: Window::new(),
            decision: None,
            day: 0,
            hour: 0,
            steps_seen: 0,
        })
    }

    /// A request started at `now` (s): [`Telemetry::start`].
    ///
    /// # Errors
    /// As [`Telemetry::start`].
    pub fn start(&mut self, now: f64) -> Result<(), InferError> {
        self.telemetry.start(now)
    }

    /// A request ended at `now`: [`Telemetry::end`].
    ///
    /// # Errors
    /// As [`Telemetry::end`].
    pub fn end(&mut self, now: f64, outcome: &Outcome) -> Result<(), InferError> {
        self.telemetry.end(now, outcome)
    }

    /// The current decision: the last [`Hierarchy::refresh`]'s, `None` before the first.
    pub fn decision(&self) -> Option<&Decision> {
        self.decision.as_ref()
    }

    /// The raw observation the models would read at `now` ([`Telemetry::observation`]; moves
    /// the clock).
    ///
    /// # Errors
    /// As [`Telemetry::tick`].
    pub fn observation(&mut self, now: f64, carbon: &CarbonObs) -> Result<crate::Observation, InferError> {
        self.telemetry.observation(now, carbon)
    }

    /// What the tracker measured.
    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    /// The LSTM's window (encoded closed steps).
    pub fn window(&self) -> &Window {
        &self.window
    }
}

impl<P: Precision> Hierarchy<P> {
    /// What a request of `tr`'s function that executed `exec_ms` cost at its current decision,
    /// USD, from the bundle's price table ([`crate::PriceTable::cost_usd`], the trainer's
    /// billing); 0 before the first decision or when the bundle carries no price table. A
    /// gateway that only sees end-to-end latency passes it (an upper bound on the execution
    /// time: it includes the network).
    pub fn request_cost(&self, tr: &Tracker, exec_ms: f32) -> f32 {
        match (self.prices, tr.decision) {
            (Some(p), Some(d)) => p.cost_usd(d.provider, d.memory_tier as usize, f64::from(exec_ms) / 1000.0) as f32,
            _ => 0.0,
        }
    }

    /// Bring `tr`'s decision up to `now` (s), running only the layers whose cadence came:
    /// see [`Refreshed`]. Call it on a timer (every step) or before reading a decision; calls
    /// in between cost a clock check.
    ///
    /// # Errors
    /// [`InferError::BadEvent`] for a bad clock, [`InferError::MissingModel`], encoder and
    /// forward-pass errors. On error the decision and window are unchanged (the telemetry's
    /// clock has moved).
    pub fn refresh(&self, tr: &mut Tracker, now: f64, carbon: &CarbonObs) -> Result<Refreshed, InferError> {
        self.refresh_with(tr, now, |_| *carbon)
    }

    /// [`Hierarchy::refresh`] with the carbon observation made only when a layer runs:
    /// `carbon(t)` gets the tracker's clock. For a caller without a carbon API,
    /// `|t| model.default_carbon(t)` costs nothing on the cached path.
    ///
    /// # Errors
    /// As [`Hierarchy::refresh`].
    pub fn refresh_with(
        &self,
        tr: &mut Tracker,
        now: f64,
        carbon: impl FnOnce(f64) -> CarbonObs,
    ) -> Result<Refreshed, InferError> {
        tr.telemetry.tick(now)?;
        // The telemetry's clock: an older `now` counts as the latest time seen.
        let t = tr.telemetry.now();
        let (day, hour) = ((t / DAY_S) as u64, (t / HOUR_S) as u64);
        let closed = tr.telemetry.steps_closed();
        let first = tr.decision.is_none();
        let mut ran = Refreshed {
            strategic: first || day != tr.day,
            tactical: first || hour != tr.hour,
            operational: first || closed != tr.steps_seen,
        };
        if !(ran.strategic || ran.tactical || ran.operational) {
            return Ok(ran);
        }
        let obs = tr.telemetry.observation(t, &carbon(t))?;
        // Where the function ran until now (nowhere before the first decision).
        let ran_on = tr.decision.map(|d| d.provider);
        let mut d = tr.decision.unwrap_or(Decision {
            provider: Provider::Aws,
            region: 0,
            region_rank: 0,
            memory_tier: 0,
            memory_mb: MEMORY_TIERS_MB[0],
            q_values: [0.0; 3],
            tactical_prob: 0.0,
            value: 0.0,
            forecast: Default::default(),
            forecast_source: crate::ForecastSource::WarmingUp,
            concurrency: 0,
        });
        if ran.strategic {
            let (provider, q) = self.choose_provider(&obs.strategic, &obs.app, &obs.carbon)?;
            ran.tactical |= provider != d.provider;
            d.provider = provider;
            d.q_values = q;
        }
        if ran.tactical {
            let ctx = TacticalContext { provider: d.provider, volume_trend: obs.strategic.volume_trend };
            let seen = obs.tactical.seen_on(ran_on, d.provider);
            let c = self.choose_placement(&seen, &ctx, &obs.app, &obs.carbon)?;
            d.region = c.region;
            d.region_rank = c.region_rank;
            d.memory_tier = c.memory_tier;
            d.memory_mb = MEMORY_TIERS_MB[c.memory_tier as usize];
            d.tactical_prob = c.prob;
            d.value = c.value;
        }
        let mut window = tr.window.clone();
        if ran.operational {
            // Only the closed steps the window has not seen (at most the window's length).
            let new = (closed - tr.steps_seen.min(closed)) as usize;
            let held = tr.telemetry.steps().count();
            for s in tr.telemetry.steps().skip(held.saturating_sub(new)) {
                self.observe(&mut window, s)?;
            }
            let (forecast, source) = self.forecast(&window)?;
            d.forecast = forecast;
            d.forecast_source = source;
            d.concurrency = prewarm_target(&window, forecast.request_rate, obs.app.mean_duration_ms);
        }
        tr.window = window;
        tr.decision = Some(d);
        tr.day = day;
        tr.hour = hour;
        tr.steps_seen = closed;
        tr.telemetry.set_placement(d.region_rank, d.memory_tier);
        Ok(ran)
    }
}
