//! Output structs: `hdrl_decision`, `hdrl_forecast`, `hdrl_policy`, and their enums.

use std::ffi::{CStr, c_char};

use hdrl_infer::placement::TACTICAL_ACTIONS;
use hdrl_infer::{Decision, Forecast, ForecastSource, MEMORY_TIERS_MB, Provider, REGION_SLOTS};

/// Number of providers: the length of every Q-value array.
pub const HDRL_PROVIDER_COUNT: usize = 3;
/// Region slots per provider (0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast).
pub const HDRL_REGION_SLOTS: usize = 4;
/// Memory tiers: 128, 256, 512, 1024, 2048, 3008 MB.
pub const HDRL_MEMORY_TIERS: usize = 6;
/// Tactical actions: `HDRL_REGION_SLOTS × HDRL_MEMORY_TIERS`; action `a` is region rank
/// `a / HDRL_MEMORY_TIERS` (0 = the app's home region, then by distance; see
/// `hdrl_decision.region_rank`) and memory tier `a % HDRL_MEMORY_TIERS`.
pub const HDRL_TACTICAL_ACTIONS: usize = 24;
/// Steps in a state's window: 12 steps of 15 s (3 minutes). Forecasts come from the model
/// once a state has seen this many steps.
pub const HDRL_WINDOW_STEPS: usize = 12;

// The header's numbers are literals (cbindgen cannot evaluate another crate's constants);
// keep them in sync with hdrl-infer, checked here at compile time.
const _: () = {
    assert!(HDRL_PROVIDER_COUNT == Provider::ALL.len());
    assert!(HDRL_REGION_SLOTS == REGION_SLOTS.len());
    assert!(HDRL_MEMORY_TIERS == MEMORY_TIERS_MB.len());
    assert!(HDRL_TACTICAL_ACTIONS == TACTICAL_ACTIONS);
    assert!(HDRL_WINDOW_STEPS == hdrl_infer::features::WINDOW);
};

/// A cloud provider; the number is also its index in every Q-value array.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hdrl_provider {
    /// Amazon Web Services (Lambda).
    Aws = 0,
    /// Microsoft Azure (Functions, Consumption plan).
    Azure = 1,
    /// Google Cloud (Cloud Functions).
    Gcp = 2,
}

impl From<Provider> for hdrl_provider {
    fn from(p: Provider) -> Self {
        match p {
            Provider::Aws => Self::Aws,
            Provider::Azure => Self::Azure,
            Provider::Gcp => Self::Gcp,
        }
    }
}

/// Where a forecast came from.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum hdrl_forecast_source {
    /// The LSTM, over a full window of `HDRL_WINDOW_STEPS` steps.
    Model = 0,
    /// Fewer than `HDRL_WINDOW_STEPS` steps seen so far: the latest step repeated (a
    /// reactive forecast); all zeros when the state has seen no step.
    WarmingUp = 1,
}

/// The next 15-second step's load, in raw units. A plain C struct written by the library
/// into caller memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct hdrl_forecast {
    /// Requests per second (≥ 0).
    pub request_rate: f32,
    /// Memory in use, MB (≥ 0).
    pub memory_used_mb: f32,
    /// CPU utilisation, 0 … 1.
    pub cpu_util: f32,
    /// The LSTM or the warm-up fallback.
    pub source: hdrl_forecast_source,
}

impl hdrl_forecast {
    pub(crate) fn new(f: Forecast, src: ForecastSource) -> Self {
        Self {
            request_rate: f.request_rate,
            memory_used_mb: f.memory_used_mb,
            cpu_util: f.cpu_util,
            source: match src {
                ForecastSource::Model => hdrl_forecast_source::Model,
                ForecastSource::WarmingUp => hdrl_forecast_source::WarmingUp,
            },
        }
    }
}

/// The tactical policy's output for one function and provider. A plain C struct written by
/// the library into caller memory.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct hdrl_policy {
    /// Unnormalised scores of the actions; action `a` is region rank `a /
    /// HDRL_MEMORY_TIERS` (0 = the app's home region, then by distance), memory tier
    /// `a % HDRL_MEMORY_TIERS`.
    pub logits: [f32; HDRL_TACTICAL_ACTIONS],
    /// Softmax of `logits`: probabilities in [0, 1] summing to 1.
    pub probabilities: [f32; HDRL_TACTICAL_ACTIONS],
    /// The critic's value of the state (expected discounted reward, unitless).
    pub value: f32,
}

/// A placement decision for one function. A plain C struct written by the library into
/// caller memory; its string pointers point to static, NUL-terminated constants that live as
/// long as the process and must not be freed or written.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct hdrl_decision {
    /// The provider (strategic layer: the largest Q-value).
    pub provider: hdrl_provider,
    /// Region slot, 0 … 3 (tactical layer): 0 us-east, 1 us-west, 2 eu-west, 3 ap-southeast.
    pub region: u32,
    /// The region's distance rank from `app_home_region`, 0 … 3 (0 = the home region); the
    /// tactical action is `region_rank * HDRL_MEMORY_TIERS + memory_tier`. Ranks follow the
    /// measured inter-region round-trip times: from us-east: us-east, eu-west, us-west,
    /// ap-southeast; from us-west: us-west, us-east, eu-west, ap-southeast; from eu-west:
    /// eu-west, us-east, us-west, ap-southeast; from ap-southeast: ap-southeast, us-west,
    /// us-east, eu-west.
    pub region_rank: u32,
    /// Memory tier index, 0 … 5 (tactical layer).
    pub memory_tier: u32,
    /// Memory of that tier, MB: 128, 256, 512, 1024, 2048 or 3008.
    pub memory_mb: u32,
    /// The provider's lower-case name: "aws", "azure" or "gcp" (static string).
    pub provider_name: *const c_char,
    /// The provider's name for the region slot, e.g. "us-east-1", "westeurope",
    /// "asia-southeast1" (static string).
    pub region_name: *const c_char,
    /// Q-values of AWS, Azure, GCP (index = `hdrl_provider`); unitless expected reward.
    pub q_values: [f32; HDRL_PROVIDER_COUNT],
    /// Policy probability of the chosen region × tier, 0 … 1 (before tiers too small for
    /// `app_memory_need_mb` were excluded).
    pub probability: f32,
    /// Critic value of the tactical state (unitless expected reward).
    pub value: f32,
    /// The next 15-second step's load (operational layer), after this observation's step
    /// was appended to the state.
    pub forecast: hdrl_forecast,
    /// Warm instances to keep for the next 15 s: 0 when the function saw no request in the
    /// last 12 steps or fewer than 0.5 requests are expected in the next 15 s; otherwise
    /// ⌈forecast rate × mean duration × 1.2⌉ (Little's law with 20 % head-room), at least 1.
    pub concurrency: u32,
}

// Layout guards for the compatibility promise: a change here is an ABI change (a minor
// release before 1.0). tests/c/smoke.c asserts the same sizes from the header's side.
const _: () = {
    assert!(size_of::<hdrl_forecast>() == 16);
    assert!(size_of::<hdrl_policy>() == 196);
    assert!(size_of::<usize>() != 8 || size_of::<hdrl_decision>() == 80);
};

impl From<&Decision> for hdrl_decision {
    fn from(d: &Decision) -> Self {
        let slot = d.region as usize;
        Self {
            provider: d.provider.into(),
            region: u32::from(d.region),
            region_rank: u32::from(d.region_rank),
            memory_tier: u32::from(d.memory_tier),
            memory_mb: u32::from(d.memory_mb),
            provider_name: provider_name(d.provider).as_ptr(),
            region_name: region_name(d.provider, slot).as_ptr(),
            q_values: d.q_values,
            probability: d.tactical_prob,
            value: d.value,
            forecast: hdrl_forecast::new(d.forecast, d.forecast_source),
            concurrency: d.concurrency,
        }
    }
}

/// `&'static CStr` of a `&'static str` built at compile time, so the C strings are the
/// hdrl-infer names themselves, never a copy kept in sync by hand.
macro_rules! static_cstr {
    ($s:expr) => {{
        const S: &str = $s;
        const BYTES: [u8; S.len() + 1] = nul_terminated(S);
        const C: &CStr = match CStr::from_bytes_with_nul(&BYTES) {
            Ok(c) => c,
            Err(_) => panic!("a placement name holds a NUL byte"),
        };
        C
    }};
}

const fn nul_terminated<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        out[i] = b[i];
        i += 1;
    }
    out
}

macro_rules! regions_of {
    ($p:expr) => {
        [
            static_cstr!($p.region_name(0)),
            static_cstr!($p.region_name(1)),
            static_cstr!($p.region_name(2)),
            static_cstr!($p.region_name(3)),
        ]
    };
}

static PROVIDER_NAMES: [&CStr; HDRL_PROVIDER_COUNT] =
    [static_cstr!(Provider::Aws.name()), static_cstr!(Provider::Azure.name()), static_cstr!(Provider::Gcp.name())];

static REGION_NAMES: [[&CStr; HDRL_REGION_SLOTS]; HDRL_PROVIDER_COUNT] =
    [regions_of!(Provider::Aws), regions_of!(Provider::Azure), regions_of!(Provider::Gcp)];

static UNKNOWN: &CStr = c"unknown";

fn provider_name(p: Provider) -> &'static CStr {
    PROVIDER_NAMES[p as usize]
}

fn region_name(p: Provider, slot: usize) -> &'static CStr {
    REGION_NAMES[p as usize].get(slot).copied().unwrap_or(UNKNOWN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_names_are_the_infer_names() {
        for p in Provider::ALL {
            assert_eq!(provider_name(p).to_str(), Ok(p.name()));
            for slot in 0..=HDRL_REGION_SLOTS {
                assert_eq!(region_name(p, slot).to_str(), Ok(p.region_name(slot)));
            }
        }
    }
}
