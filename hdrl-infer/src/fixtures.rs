//! Seeded fixture bundles for tests, benches and examples (host only).
//!
//! Weights are Xavier-uniform from a [`SplitMix64`] stream, so a seed always gives the same
//! bytes. They are not trained; they exercise every code path with realistic magnitudes.

use std::boxed::Box;
use std::vec::Vec;

use crate::carbon_profile::{CarbonProfile, HOURS_PER_DAY};
use crate::features::{EncoderConfig, SLOTS};
use crate::layers::{F32, I8};
use crate::models::{ActorCritic, Dqn, Forecaster, Model};
use crate::prices::{PriceTable, ProviderPrices};
use crate::reward::RewardBounds;
use crate::rng::SplitMix64;
use crate::weights::{Bundle, Provenance, Quant};

/// The three f32 models of a seed.
pub struct F32Models {
    /// Strategic DQN.
    pub dqn: Box<Dqn<F32>>,
    /// Tactical actor-critic.
    pub ppo: Box<ActorCritic<F32>>,
    /// Operational forecaster.
    pub lstm: Box<Forecaster<F32>>,
}

/// The three int8 models quantised from an f32 set.
pub struct I8Models {
    /// Strategic DQN.
    pub dqn: Box<Dqn<I8>>,
    /// Tactical actor-critic.
    pub ppo: Box<ActorCritic<I8>>,
    /// Operational forecaster.
    pub lstm: Box<Forecaster<I8>>,
}

/// Seeded f32 models.
pub fn f32_models(seed: u64) -> F32Models {
    let mut rng = SplitMix64::new(seed);
    let mut dqn = Box::new(Dqn::<F32>::ZERO);
    dqn.randomize(&mut rng);
    let mut ppo = Box::new(ActorCritic::<F32>::ZERO);
    ppo.randomize(&mut rng);
    let mut lstm = Box::new(Forecaster::<F32>::ZERO);
    lstm.randomize(&mut rng);
    F32Models { dqn, ppo, lstm }
}

/// int8 quantisation of a set of f32 models.
pub fn quantize(f: &F32Models) -> I8Models {
    let mut dqn = Box::new(Dqn::<I8>::ZERO);
    dqn.quantize_from(&f.dqn);
    let mut ppo = Box::new(ActorCritic::<I8>::ZERO);
    ppo.quantize_from(&f.ppo);
    let mut lstm = Box::new(Forecaster::<I8>::ZERO);
    lstm.quantize_from(&f.lstm);
    I8Models { dqn, ppo, lstm }
}

/// The fixture bundles' price table: made-up round numbers of the providers' magnitudes (not
/// anyone's prices; a trained bundle carries the trainer's published ones), so that tests of
/// request pricing see providers and tiers differ.
pub const FIXTURE_PRICES: PriceTable = {
    const fn provider(usd_per_gb_s: f64, billing_increment_ms: f64, min_billed_ms: f64) -> ProviderPrices {
        ProviderPrices {
            usd_per_gb_s,
            usd_per_request: 2e-7,
            billing_increment_ms,
            min_billed_ms,
            ..ProviderPrices::FREE
        }
    }
    PriceTable { providers: [provider(1.5e-5, 1.0, 0.0), provider(1.6e-5, 1.0, 100.0), provider(2.5e-6, 100.0, 0.0)] }
};

/// The fixture bundles' carbon profile: made-up intensities (not measurements), 100 … 550
/// gCO2e/kWh, different per region slot and lowest at midday UTC, so that tests of the default
/// carbon see regions and hours differ.
pub fn fixture_carbon_profile() -> CarbonProfile {
    let mut by_hour = [[[0.0f32; HOURS_PER_DAY]; SLOTS]; 3];
    for (p, slots) in by_hour.iter_mut().enumerate() {
        for (s, day) in slots.iter_mut().enumerate() {
            for (h, v) in day.iter_mut().enumerate() {
                let base = 150.0 + 100.0 * ((p * SLOTS + s) % 4) as f32;
                *v = base + 50.0 * libm::fabsf(h as f32 - 12.0) / 12.0;
            }
        }
    }
    CarbonProfile { by_hour }
}

/// Serialise three models of any precision into a bundle file, with the fixture price table
/// and carbon profile.
pub fn bundle_bytes<D: Model, A: Model, L: Model>(
    dqn: &D,
    ppo: &A,
    lstm: &L,
    encoder: EncoderConfig,
    provenance: Provenance<'_>,
) -> Vec<u8> {
    let (pd, pp, pl) = (dqn.payload(), ppo.payload(), lstm.payload());
    let mut models = heapless::Vec::new();
    let _ = models.push(D::record(&pd));
    let _ = models.push(A::record(&pp));
    let _ = models.push(L::record(&pl));
    let b = Bundle {
        provenance,
        encoder,
        reward_bounds: RewardBounds::DEFAULT,
        prices: Some(FIXTURE_PRICES),
        carbon_profile: Some(fixture_carbon_profile()),
        models,
    };
    // Encoding a bundle built through this API cannot fail.
    b.to_bytes().unwrap_or_default()
}

/// A complete seeded bundle (all three models) in the given precision.
pub fn seeded_bundle(seed: u64, quant: Quant) -> Vec<u8> {
    let f = f32_models(seed);
    let prov = Provenance { trace: "fixture", seed, note: "hdrl_infer::fixtures", ..Default::default() };
    match quant {
        Quant::F32 => bundle_bytes(&*f.dqn, &*f.ppo, &*f.lstm, EncoderConfig::DEFAULT, prov),
        Quant::I8 => {
            let q = quantize(&f);
            bundle_bytes(&*q.dqn, &*q.ppo, &*q.lstm, EncoderConfig::DEFAULT, prov)
        }
    }
}

/// A global allocator that forwards to the system allocator and counts allocations
/// (`alloc` and `realloc`), for proving that a code path allocates nothing:
///
/// ```ignore
/// #[global_allocator]
/// static GLOBAL: CountingAlloc = CountingAlloc::new();
/// let before = GLOBAL.count();
/// // ... the code under test ...
/// assert_eq!(GLOBAL.count() - before, 0);
/// ```
pub struct CountingAlloc {
    allocations: core::sync::atomic::AtomicUsize,
}

impl CountingAlloc {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self { allocations: core::sync::atomic::AtomicUsize::new(0) }
    }

    /// Allocations so far, every thread.
    pub fn count(&self) -> usize {
        self.allocations.load(core::sync::atomic::Ordering::SeqCst)
    }

    /// Allocations so far on the calling thread (the test harness and tests running on other
    /// threads do not show up here).
    pub fn count_this_thread(&self) -> usize {
        THREAD_ALLOCATIONS.with(|c| c.get())
    }
}

std::thread_local! {
    // Const-initialised and without a destructor: reading it inside the allocator allocates
    // nothing.
    static THREAD_ALLOCATIONS: core::cell::Cell<usize> = const { core::cell::Cell::new(0) };
}

fn count_on_this_thread() {
    THREAD_ALLOCATIONS.with(|c| c.set(c.get() + 1));
}

impl Default for CountingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only counts.
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, l: std::alloc::Layout) -> *mut u8 {
        self.allocations.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
        count_on_this_thread();
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: std::alloc::Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: std::alloc::Layout, n: usize) -> *mut u8 {
        self.allocations.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
        count_on_this_thread();
        // SAFETY: same contract as the caller's.
        unsafe { std::alloc::System.realloc(p, l, n) }
    }
}
