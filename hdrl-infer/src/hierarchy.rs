//! The hierarchy: three models that turn one raw observation of a function into a placement
//! decision.

use core::mem::MaybeUninit;

use crate::InferError;
use crate::carbon_profile::CarbonProfile;
use crate::features::STEP_S;
use crate::features::{
    AppContext, CarbonObs, EncoderConfig, OperationalStep, StrategicObs, TacticalContext, TacticalObs, Window,
};
use crate::kernels::Kernels;
use crate::layers::Precision;
use crate::math;
use crate::models::{ActorCritic, Dqn, Forecaster, Model};
use crate::placement::{
    MEMORY_TIERS_MB, Provider, TACTICAL_ACTIONS, mask_small_tiers, region_for_rank, split_tactical,
};
use crate::prices::PriceTable;
use crate::reward::RewardBounds;
use crate::weights::{Bundle, ModelKind};

/// Head-room on top of Little's law when suggesting warm instances.
pub const CONCURRENCY_HEADROOM: f32 = 1.2;

/// Everything a gateway knows about one function at one moment (raw units, see each field).
/// Indices used in errors: strategic 0–8, app 9–13, tactical 14–22, step 23–27, carbon now
/// 28–39 and past day 40–51 (the field order of the C struct `hdrl_observation`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Observation {
    /// Multi-day statistics (daily cadence).
    pub strategic: StrategicObs,
    /// Static application facts.
    pub app: AppContext,
    /// Last-hour metrics and where the function ran (hourly cadence).
    pub tactical: TacticalObs,
    /// Grid carbon intensity of every provider's region slots (from a carbon API).
    pub carbon: CarbonObs,
    /// The latest 15-second step.
    pub step: OperationalStep,
}

/// The next step's load, in raw units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Forecast {
    /// Requests per second.
    pub request_rate: f32,
    /// Memory in use, MB.
    pub memory_used_mb: f32,
    /// CPU utilisation, 0 … 1.
    pub cpu_util: f32,
}

/// Where a forecast came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ForecastSource {
    /// The LSTM, over a full 12-step window.
    Model = 0,
    /// Fewer than 12 steps seen so far: the latest step, repeated (a reactive forecast).
    WarmingUp = 1,
}

/// A placement decision for one function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decision {
    /// Provider (strategic layer).
    pub provider: Provider,
    /// Region slot 0–3 (tactical layer: the PPO picks a distance rank from the app's home
    /// region, mapped through [`crate::placement::REGIONS_BY_DISTANCE`]); the concrete region
    /// is `provider.region_name(slot)`.
    pub region: u8,
    /// The region's distance rank from the app's home region (0 = home); with the tier it
    /// forms the tactical action `region_rank · 6 + memory_tier`.
    pub region_rank: u8,
    /// Memory tier index 0–5 (tactical layer).
    pub memory_tier: u8,
    /// Memory of that tier, MB.
    pub memory_mb: u16,
    /// Q-values of AWS, Azure, GCP.
    pub q_values: [f32; 3],
    /// Policy probability of the chosen region × tier.
    pub tactical_prob: f32,
    /// Critic value of the tactical state.
    pub value: f32,
    /// Next step's load (operational layer).
    pub forecast: Forecast,
    /// Whether the forecast came from the LSTM.
    pub forecast_source: ForecastSource,
    /// Warm instances to keep for the next 15 s: see [`prewarm_target`].
    pub concurrency: u32,
}

/// The three models, their encoder constants and the kernels they run with.
///
/// Large (≈ 0.8 MB in f32, ≈ 0.2 MB in int8): make it in place in a `static` `MaybeUninit`
/// ([`Hierarchy::init_in_place`]; `.bss`, no flash), a `static` ([`Hierarchy::empty`] is
/// `const`) or a `Box` (`Hierarchy::boxed`, with `std`), and load in place with
/// [`Hierarchy::load_into`]. Immutable after loading: `&Hierarchy` may be shared by any
/// number of threads; each function's [`Window`] belongs to one caller at a time.
pub struct Hierarchy<P: Precision> {
    /// Strategic DQN.
    pub dqn: Dqn<P>,
    /// Tactical actor-critic.
    pub ppo: ActorCritic<P>,
    /// Operational forecaster.
    pub lstm: Forecaster<P>,
    /// Encoder constants from the bundle.
    pub encoder: EncoderConfig,
    /// Reward bounds from the bundle: what the models were trained and evaluated with.
    pub reward_bounds: RewardBounds,
    /// The providers' prices from the bundle (`None`: the bundle carries none).
    pub prices: Option<PriceTable>,
    /// The regions' typical-day carbon intensity from the bundle (`None`: it carries none).
    pub carbon_profile: Option<CarbonProfile>,
    kernels: Kernels,
    present: u8,
}

impl<P: Precision> Hierarchy<P> {
    /// A hierarchy with no model loaded.
    pub const fn empty(kernels: Kernels) -> Self {
        Self {
            dqn: Dqn::ZERO,
            ppo: ActorCritic::ZERO,
            lstm: Forecaster::ZERO,
            encoder: EncoderConfig::DEFAULT,
            reward_bounds: RewardBounds::DEFAULT,
            prices: None,
            carbon_profile: None,
            kernels,
            present: 0,
        }
    }

    /// Load every model a bundle holds, replacing whatever was loaded before.
    /// All or nothing: on error no model counts as loaded.
    ///
    /// # Errors
    /// Anything [`Bundle::parse`] or [`Model::load_record`] reports.
    pub fn load_into(&mut self, bytes: &[u8]) -> Result<(), InferError> {
        self.present = 0;
        let bundle = Bundle::parse(bytes)?;
        let mut present = 0u8;
        for rec in &bundle.models {
            match ModelKind::from_tag(rec.kind) {
                Some(ModelKind::Dqn) => self.dqn.load_record(rec)?,
                Some(ModelKind::Ppo) => self.ppo.load_record(rec)?,
                Some(ModelKind::Lstm) => self.lstm.load_record(rec)?,
                None => return Err(InferError::UnknownKind { found: rec.kind }),
            }
            present |= 1 << rec.kind;
        }
        self.encoder = bundle.encoder;
        self.reward_bounds = bundle.reward_bounds;
        self.prices = bundle.prices;
        self.carbon_profile = bundle.carbon_profile;
        self.present = present;
        Ok(())
    }

    /// Make an empty hierarchy in `slot`, in place: no temporary of the hierarchy's size
    /// (≈ 0.2 MB in int8, 0.8 MB in f32) on the stack. On a microcontroller `slot` can be a
    /// `static` `MaybeUninit`, which the linker puts in `.bss` (zeroed RAM, no flash), where a
    /// `static` initialised with [`Hierarchy::empty`] would also take its size in flash.
    #[allow(unsafe_code)]
    pub fn init_in_place(slot: &mut MaybeUninit<Self>, kernels: Kernels) -> &mut Self {
        let p = slot.as_mut_ptr();
        // SAFETY: `p` points to storage for one `Self`, exclusively borrowed. Every field except
        // `kernels`, `encoder`, `prices` and `carbon_profile` is made of f32, i8, i32 and u8
        // values (arrays, LayerNorms, Scales, reward bounds, the presence mask), for which
        // all-zero bytes are valid values; `kernels` (whose zeroed bytes would be null function
        // pointers), `encoder`, `reward_bounds`, `prices` and `carbon_profile` (whose zeroed
        // bytes need not be `None`) are overwritten with the values `empty` gives before the
        // value is assumed initialised, and nothing reads them in between. A zeroed model is a
        // valid, unloaded model (`present` = 0).
        unsafe {
            core::ptr::write_bytes(p, 0, 1);
            core::ptr::addr_of_mut!((*p).kernels).write(kernels);
            core::ptr::addr_of_mut!((*p).encoder).write(EncoderConfig::DEFAULT);
            core::ptr::addr_of_mut!((*p).reward_bounds).write(RewardBounds::DEFAULT);
            core::ptr::addr_of_mut!((*p).prices).write(None);
            core::ptr::addr_of_mut!((*p).carbon_profile).write(None);
            slot.assume_init_mut()
        }
    }

    /// An empty hierarchy built directly on the heap: no stack temporary of the hierarchy's
    /// size (≈ 0.8 MB in f32), so it is safe on threads with small stacks.
    #[cfg(feature = "std")]
    #[allow(unsafe_code)]
    pub fn boxed(kernels: Kernels) -> std::boxed::Box<Self> {
        let mut b = std::boxed::Box::<Self>::new_uninit();
        Self::init_in_place(&mut b, kernels);
        // SAFETY: `init_in_place` initialised the box's contents.
        unsafe { b.assume_init() }
    }

    /// Load a bundle into a new boxed hierarchy with the fastest kernels of this CPU.
    ///
    /// # Errors
    /// As [`Hierarchy::load_into`].
    #[cfg(feature = "std")]
    pub fn load(bytes: &[u8]) -> Result<std::boxed::Box<Self>, InferError> {
        let mut h = Self::boxed(Kernels::detect());
        h.load_into(bytes)?;
        Ok(h)
    }

    /// Whether a model kind is loaded.
    pub fn has(&self, kind: ModelKind) -> bool {
        self.present & (1 << kind as u8) != 0
    }

    /// The carbon observation at `now_s` (s since midnight UTC) when the caller has no carbon
    /// API: the bundle's typical day ([`CarbonProfile::observation`]), or zeros (unknown) if the
    /// bundle carries no profile.
    pub fn default_carbon(&self, now_s: f64) -> CarbonObs {
        self.carbon_profile.map_or_else(CarbonObs::default, |c| c.observation(now_s))
    }

    fn need(&self, kind: ModelKind) -> Result<(), InferError> {
        if self.has(kind) { Ok(()) } else { Err(InferError::MissingModel { kind }) }
    }

    /// The kernels in use.
    pub fn kernels(&self) -> &Kernels {
        &self.kernels
    }

    /// Switch kernels (e.g. force [`Kernels::generic`]).
    pub fn set_kernels(&mut self, k: Kernels) {
        self.kernels = k;
    }

    /// Strategic Q-values from raw statistics, the function's facts and the carbon outlook.
    ///
    /// # Errors
    /// Encoder errors, [`InferError::MissingModel`], forward-pass errors.
    pub fn q_values(&self, s: &StrategicObs, app: &AppContext, carbon: &CarbonObs) -> Result<[f32; 3], InferError> {
        self.need(ModelKind::Dqn)?;
        let x = self.encoder.encode_strategic(s, app, carbon)?;
        let mut q = [0.0; 3];
        self.dqn.forward(&self.kernels, &x, &mut q)?;
        Ok(q)
    }

    /// Tactical logits and value from raw metrics, the strategic context, the function's facts
    /// and this hour's carbon.
    ///
    /// # Errors
    /// As [`Hierarchy::q_values`].
    pub fn policy(
        &self,
        t: &TacticalObs,
        ctx: &TacticalContext,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<([f32; TACTICAL_ACTIONS], f32), InferError> {
        self.need(ModelKind::Ppo)?;
        let x = self.encoder.encode_tactical(t, ctx, app, carbon)?;
        let mut logits = [0.0; TACTICAL_ACTIONS];
        let v = self.ppo.forward(&self.kernels, &x, &mut logits)?;
        Ok((logits, v))
    }

    /// Encode a step and append it to a function's window.
    ///
    /// # Errors
    /// Encoder errors; the window is unchanged on error.
    pub fn observe(&self, w: &mut Window, step: &OperationalStep) -> Result<(), InferError> {
        w.push(self.encoder.encode_step(step)?);
        Ok(())
    }

    /// Forecast the next step from a window (raw units), with its source.
    ///
    /// # Errors
    /// [`InferError::MissingModel`], forward-pass errors; an empty window forecasts zero load.
    pub fn forecast(&self, w: &Window) -> Result<(Forecast, ForecastSource), InferError> {
        self.need(ModelKind::Lstm)?;
        let (y, src) = match w.ordered() {
            Some(win) => {
                let mut y = [0.0; 3];
                self.lstm.forward(&self.kernels, &win, &mut y)?;
                (y, ForecastSource::Model)
            }
            None => {
                let last = w.last().copied().unwrap_or([0.0; 5]);
                ([last[0], last[1], last[2]], ForecastSource::WarmingUp)
            }
        };
        let [request_rate, memory_used_mb, cpu_util] = self.encoder.decode_forecast(&y);
        Ok((Forecast { request_rate, memory_used_mb, cpu_util }, src))
    }

    /// The strategic choice: the provider with the highest Q-value, and the Q-values.
    ///
    /// # Errors
    /// As [`Hierarchy::q_values`].
    pub fn choose_provider(
        &self,
        s: &StrategicObs,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<(Provider, [f32; 3]), InferError> {
        let q = self.q_values(s, app, carbon)?;
        Ok((Provider::from_index(math::argmax(&q)).unwrap_or(Provider::Aws), q))
    }

    /// The tactical choice for a function on the provider `ctx` names: the most probable
    /// allowed action (never a tier below the app's memory need when one fits, see
    /// [`crate::placement::allowed_actions`]), as a distance rank from the app's home region
    /// and a memory tier, with its region slot, probability and the critic's value.
    ///
    /// # Errors
    /// As [`Hierarchy::policy`].
    pub fn choose_placement(
        &self,
        t: &TacticalObs,
        ctx: &TacticalContext,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<TacticalChoice, InferError> {
        let (logits, value) = self.policy(t, ctx, app, carbon)?;
        let mut masked = logits;
        mask_small_tiers(&mut masked, app.memory_need_mb);
        let action = math::argmax(&masked);
        let mut probs = [0.0; TACTICAL_ACTIONS];
        math::softmax(&logits, &mut probs);
        let (rank, tier) = split_tactical(action);
        Ok(TacticalChoice {
            action: action as u8,
            region: region_for_rank(app.home(), rank) as u8,
            region_rank: rank as u8,
            memory_tier: tier as u8,
            prob: probs[action],
            value,
        })
    }

    /// The full decision for one function: [`Hierarchy::choose_provider`], then
    /// [`Hierarchy::choose_placement`] on that provider, then the LSTM forecasts the next step
    /// from the window plus this observation's step, and the forecast sets the suggested
    /// concurrency.
    ///
    /// # Errors
    /// Encoder, missing-model and forward-pass errors. On error `window` is unchanged.
    pub fn decide(&self, window: &mut Window, obs: &Observation) -> Result<Decision, InferError> {
        self.need(ModelKind::Dqn)?;
        self.need(ModelKind::Ppo)?;
        self.need(ModelKind::Lstm)?;
        let (provider, q) = self.choose_provider(&obs.strategic, &obs.app, &obs.carbon)?;
        let step = self.encoder.encode_step(&obs.step)?;
        let ctx = TacticalContext { provider, volume_trend: obs.strategic.volume_trend };
        let c = self.choose_placement(&obs.tactical, &ctx, &obs.app, &obs.carbon)?;

        let mut next = window.clone();
        next.push(step);
        let (forecast, forecast_source) = self.forecast(&next)?;
        *window = next;

        Ok(Decision {
            provider,
            region: c.region,
            region_rank: c.region_rank,
            memory_tier: c.memory_tier,
            memory_mb: MEMORY_TIERS_MB[c.memory_tier as usize],
            q_values: q,
            tactical_prob: c.prob,
            value: c.value,
            forecast,
            forecast_source,
            concurrency: prewarm_target(window, forecast.request_rate, obs.app.mean_duration_ms),
        })
    }

    /// Declare a model loaded after filling its weights directly (a trainer exporting into
    /// [`Hierarchy::dqn`], [`Hierarchy::ppo`] or [`Hierarchy::lstm`]).
    pub fn mark_loaded(&mut self, kind: ModelKind) {
        self.present |= 1 << kind as u8;
    }

    /// The weight file of the loaded models among `kinds` (in bundle order), with this
    /// hierarchy's encoder constants.
    ///
    /// # Errors
    /// [`InferError::MissingModel`] for a kind that is not loaded; as [`Bundle::to_bytes`].
    #[cfg(feature = "std")]
    pub fn bundle_bytes(
        &self,
        kinds: &[ModelKind],
        provenance: crate::weights::Provenance<'_>,
    ) -> Result<std::vec::Vec<u8>, InferError> {
        use crate::models::Model as _;
        let mut payloads: std::vec::Vec<(ModelKind, std::vec::Vec<u8>)> = std::vec::Vec::new();
        for kind in ModelKind::ALL.into_iter().filter(|k| kinds.contains(k)) {
            self.need(kind)?;
            let bytes = match kind {
                ModelKind::Dqn => self.dqn.payload(),
                ModelKind::Ppo => self.ppo.payload(),
                ModelKind::Lstm => self.lstm.payload(),
            };
            payloads.push((kind, bytes));
        }
        let mut models = heapless::Vec::new();
        for (kind, bytes) in &payloads {
            let rec = match kind {
                ModelKind::Dqn => Dqn::<P>::record(bytes),
                ModelKind::Ppo => ActorCritic::<P>::record(bytes),
                ModelKind::Lstm => Forecaster::<P>::record(bytes),
            };
            // At most three kinds: the capacity of a bundle.
            let _ = models.push(rec);
        }
        Bundle {
            provenance,
            encoder: self.encoder,
            reward_bounds: self.reward_bounds,
            prices: self.prices,
            carbon_profile: self.carbon_profile,
            models,
        }
        .to_bytes()
    }
}

impl Hierarchy<crate::layers::I8> {
    /// Become the int8 quantisation of an f32 hierarchy (every loaded model, and its encoder
    /// constants), in place.
    pub fn quantize_from(&mut self, f: &Hierarchy<crate::layers::F32>) {
        self.dqn.quantize_from(&f.dqn);
        self.ppo.quantize_from(&f.ppo);
        self.lstm.quantize_from(&f.lstm);
        self.encoder = f.encoder;
        self.reward_bounds = f.reward_bounds;
        self.prices = f.prices;
        self.carbon_profile = f.carbon_profile;
        self.present = f.present;
    }
}

/// What the tactical layer chose for one function (see [`Hierarchy::choose_placement`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TacticalChoice {
    /// Tactical action `region_rank · 6 + memory_tier`.
    pub action: u8,
    /// Region slot 0–3.
    pub region: u8,
    /// Distance rank of the region from the app's home region (0 = home).
    pub region_rank: u8,
    /// Memory tier index 0–5.
    pub memory_tier: u8,
    /// Policy probability of the action (over all actions, before masking).
    pub prob: f32,
    /// Critic value of the tactical state.
    pub value: f32,
}

/// Expected arrivals in the next step below which no instance is held warm: the platform's
/// keep-alive handles sparse functions; pre-warming pays off where a request is likely.
pub const PREWARM_MIN_ARRIVALS: f32 = 0.5;

/// The operational layer's pre-warm target for the next step: no instance is held warm for a
/// function whose window saw no request in its last 12 steps (3 minutes: the platform's
/// keep-alive covers it, and holding instances for idle functions costs more than the cold
/// starts it saves); otherwise [`suggested_concurrency`] of the forecast.
pub fn prewarm_target(window: &Window, forecast_rate: f32, duration_ms: f32) -> u32 {
    let active = window.ordered_iter().any(|s| s[0] > 0.0);
    if active { suggested_concurrency(forecast_rate, duration_ms) } else { 0 }
}

/// Warm instances for a forecast rate (requests/s) and mean duration (ms): 0 when fewer than
/// [`PREWARM_MIN_ARRIVALS`] requests are expected in the next [`STEP_S`] seconds, otherwise
/// Little's law with head-room, ⌈λ · W · 1.2⌉, at least 1 (capped at 10⁶). NaN gives 0.
pub fn suggested_concurrency(rate: f32, duration_ms: f32) -> u32 {
    if rate.is_nan() || rate * STEP_S < PREWARM_MIN_ARRIVALS {
        return 0;
    }
    let l = rate * duration_ms.max(0.0) / 1000.0 * CONCURRENCY_HEADROOM;
    let c = if l.is_nan() { 1.0 } else { l.clamp(1.0, 1.0e6) };
    let t = c as u32;
    if (t as f32) < c { t + 1 } else { t }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_follows_littles_law_above_the_arrival_threshold() {
        assert_eq!(suggested_concurrency(0.01, 1000.0), 0, "0.15 expected arrivals: keep-alive handles it");
        assert_eq!(suggested_concurrency(0.04, 100.0), 1, "0.6 expected arrivals: one warm instance");
        assert_eq!(suggested_concurrency(10.0, 500.0), 6, "10/s × 0.5 s × 1.2 = 6");
        assert_eq!(suggested_concurrency(10.0, 510.0), 7);
        assert_eq!(suggested_concurrency(f32::NAN, 100.0), 0);
        assert_eq!(suggested_concurrency(f32::INFINITY, 100.0), 1_000_000);
        assert_eq!(suggested_concurrency(1e9, 1e9), 1_000_000);
    }
}
