//! # hdrl-infer
//!
//! The allocation-free inference core of hdrl: feature encoders, fixed-size forward passes of
//! the three placement policies in f32 and int8, the weight-file format, and the hierarchy
//! that turns a raw observation of a serverless function into a placement decision.
//!
//! [`Telemetry`] turns what a gateway sees of one function's requests (start, end, latency,
//! cold start, cost, the clock) into exactly that raw observation, with the trainer's feature
//! definitions; [`Tracker`] and [`Hierarchy::refresh`] decide at each layer's cadence and
//! cache the decision for the request path.
//!
//! `#![no_std]`, no allocator, no panics on any input: NaN or ∞ in gives an error out, never
//! a NaN decision. Builds for `thumbv7em-none-eabihf`. The `std` feature adds run-time CPU
//! detection for the SIMD kernels, boxed loading and [`AnyHierarchy`]; the `fixtures` feature
//! adds seeded fixture bundles for tests, benches and examples (kept out of the C library).
//!
//! # Examples
//! ```
//! use hdrl_infer::{Hierarchy, I8, Observation, Quant, Window, fixtures};
//!
//! let bytes = fixtures::seeded_bundle(7, Quant::I8); // or std::fs::read("bundle.hdrl")
//! let model = Hierarchy::<I8>::load(&bytes)?;        // boxed; `load_into` for a static
//! let mut window = Window::new();                    // one per function, owned by the caller
//! let mut obs = Observation::default();
//! obs.app.memory_need_mb = 300.0;
//! obs.step.request_rate = 12.0;
//! let d = model.decide(&mut window, &obs)?;
//! assert!(d.memory_mb >= 512);
//! println!("{} {} {} MB", d.provider, d.provider.region_name(d.region as usize), d.memory_mb);
//! # Ok::<(), hdrl_infer::InferError>(())
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(unsafe_code)]

#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "std")]
mod any_hierarchy;
pub mod carbon_profile;
pub mod checksum;
mod error;
pub mod features;
#[cfg(feature = "fixtures")]
pub mod fixtures;
pub mod hierarchy;
pub mod kernels;
pub mod layers;
pub mod math;
pub mod models;
pub mod payload;
pub mod placement;
pub mod prices;
pub mod quant;
pub mod reward;
pub mod rng;
pub mod telemetry;
pub mod tracker;
pub mod weights;

#[cfg(feature = "std")]
pub use any_hierarchy::AnyHierarchy;
pub use carbon_profile::CarbonProfile;
pub use error::InferError;
pub use features::{
    AppContext, CarbonObs, EncoderConfig, OperationalStep, STEP_S, Scale, StrategicObs, TacticalContext, TacticalObs,
    Window,
};
pub use hierarchy::{Decision, Forecast, ForecastSource, Hierarchy, Observation, TacticalChoice};
pub use kernels::{Kernels, Tier};
pub use layers::{Dense, DenseI8, F32, I8, LayerNorm, Linear, LstmLayer, Part, Precision};
pub use models::{ActorCritic, Dqn, Forecaster, Model};
pub use placement::{MEMORY_TIERS_MB, Provider, REGION_SLOTS};
pub use prices::{PriceTable, ProviderPrices};
pub use reward::{Reward, RewardBounds};
pub use telemetry::{Outcome, Telemetry};
pub use tracker::{Refreshed, Tracker};
pub use weights::{Bundle, ModelKind, ModelRecord, Provenance, Quant};
