//! Feature encoders: raw observations → model inputs in [0, 1].
//!
//! This is the only encoder in the project. The trainer calls it to build its training data
//! and the inference path calls it on live observations, with the constants read from the
//! weight file, so both see the same numbers.
//!
//! Each feature has a [`Scale`]: `log1p` for rates, counts, costs and other heavy-tailed
//! values, min–max for bounded ones, and a cyclic sine for the hour of day. Inputs beyond the
//! stated maxima saturate at 1. NaN or ±∞ is an error ([`InferError::NonFiniteInput`]); a
//! negative value of a log-scaled (non-negative by definition) feature is an error
//! ([`InferError::OutOfRange`]).

mod carbon;
mod operational;
mod strategic;
mod tactical;

pub use carbon::{CARBON_NOW_INDEX, CARBON_PAST_DAY_INDEX, CarbonObs, SLOTS};
pub use operational::{OPERATIONAL_FEATURES, OperationalStep, STEP_S, WINDOW, Window};
pub use strategic::{
    APP_FEATURES, APP_INPUT, AppContext, DayFacts, STRATEGIC_FEATURES, STRATEGIC_INPUT, STRATEGIC_STATS_INPUT,
    StrategicObs,
};
pub use tactical::{ELSEWHERE, TACTICAL_FEATURES, TACTICAL_INPUT, TacticalContext, TacticalObs};

use serde::{Deserialize, Serialize};

use crate::InferError;

/// How one raw feature maps to [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scale {
    /// [`Scale::LOG1P`], [`Scale::LINEAR`] or [`Scale::CYCLIC`].
    pub kind: u8,
    /// Minimum (linear); unused otherwise.
    pub lo: f32,
    /// Maximum (log1p, linear) or period (cyclic).
    pub hi: f32,
}

impl Scale {
    /// `ln(1 + max(x, 0)) / ln(1 + hi)`.
    pub const LOG1P: u8 = 0;
    /// `(x − lo) / (hi − lo)`.
    pub const LINEAR: u8 = 1;
    /// `(sin(2π x / hi) + 1) / 2`.
    pub const CYCLIC: u8 = 2;

    /// A log1p scale saturating at `max`.
    pub const fn log1p(max: f32) -> Self {
        Self { kind: Self::LOG1P, lo: 0.0, hi: max }
    }

    /// A min–max scale.
    pub const fn linear(lo: f32, hi: f32) -> Self {
        Self { kind: Self::LINEAR, lo, hi }
    }

    /// A cyclic scale with the given period.
    pub const fn cyclic(period: f32) -> Self {
        Self { kind: Self::CYCLIC, lo: 0.0, hi: period }
    }

    /// Usable: known kind, finite constants, positive range.
    pub fn is_valid(&self) -> bool {
        self.lo.is_finite()
            && self.hi.is_finite()
            && match self.kind {
                Self::LOG1P | Self::CYCLIC => self.hi > 0.0,
                Self::LINEAR => self.hi > self.lo,
                _ => false,
            }
    }

    /// Encode one raw value. `index` names the value in errors.
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`] for NaN/±∞, [`InferError::OutOfRange`] for a negative
    /// value on a log1p scale.
    #[inline]
    pub fn encode(&self, x: f32, index: u16) -> Result<f32, InferError> {
        if !x.is_finite() {
            return Err(InferError::NonFiniteInput { index });
        }
        let v = match self.kind {
            Self::LOG1P => {
                if x < 0.0 {
                    return Err(InferError::OutOfRange { index });
                }
                libm::log1pf(x) / libm::log1pf(self.hi)
            }
            Self::LINEAR => (x - self.lo) / (self.hi - self.lo),
            _ => (libm::sinf(core::f32::consts::TAU * x / self.hi) + 1.0) * 0.5,
        };
        // A scale that passed `is_valid` cannot give NaN here; clamp also maps it to 0.
        Ok(if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) })
    }

    /// Inverse of [`Scale::encode`] for log1p and linear scales (used to turn forecasts back
    /// into raw units). `y` is clamped to [0, 1] first, so the result is finite and within the
    /// scale's range.
    #[inline]
    pub fn decode(&self, y: f32) -> f32 {
        let y = if y.is_nan() { 0.0 } else { y.clamp(0.0, 1.0) };
        match self.kind {
            Self::LOG1P => libm::expm1f(y * libm::log1pf(self.hi)),
            Self::LINEAR => self.lo + y * (self.hi - self.lo),
            _ => y * self.hi,
        }
    }
}

/// All encoder constants of one bundle. Stored in the weight file so a model is always fed
/// with the scaling it was trained with.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    /// Strategic statistics ([`StrategicObs`] field order).
    pub strategic: [Scale; STRATEGIC_FEATURES],
    /// Application facts: duration, memory need, SLA, CPU share (the home region is one-hot).
    pub app: [Scale; APP_FEATURES],
    /// Tactical metrics ([`TacticalObs`] field order).
    pub tactical: [Scale; TACTICAL_FEATURES],
    /// Workload trend in the tactical context.
    pub trend: Scale,
    /// Grid carbon intensity, gCO2e/kWh (every value of [`CarbonObs`]).
    pub carbon: Scale,
    /// Operational step ([`OperationalStep`] field order).
    pub operational: [Scale; OPERATIONAL_FEATURES],
}

impl EncoderConfig {
    /// The default constants: the ranges a serverless platform sees (documented per field in
    /// the observation structs). A trainer may tighten them to its data and store the result.
    pub const DEFAULT: Self = Self {
        strategic: [
            Scale::log1p(5_000.0),    // cost, USD per million invocations
            Scale::linear(-1.0, 1.0), // cost trend, relative day-over-day change
            Scale::log1p(60_000.0),   // latency p50, ms
            Scale::log1p(60_000.0),   // latency p95, ms
            Scale::log1p(60_000.0),   // latency p99, ms
            Scale::log1p(1.0e8),      // invocations per day, mean
            Scale::log1p(10.0),       // invocations per day, coefficient of variation
            Scale::log1p(1_000.0),    // peak-to-mean ratio of the per-minute rate
            Scale::linear(-1.0, 1.0), // volume trend, relative day-over-day change
        ],
        app: [
            Scale::log1p(600_000.0), // mean duration, ms
            Scale::log1p(10_240.0),  // memory need, MB
            Scale::log1p(60_000.0),  // SLA latency threshold, ms
            Scale::linear(0.0, 1.0), // CPU-bound share of the execution
        ],
        tactical: [
            Scale::linear(0.0, 2.0), // latency p95 over the last hour / SLA
            Scale::log1p(5_000.0),   // cost, USD per million invocations
            Scale::log1p(10_000.0),  // request rate, requests/s
            Scale::log1p(10_240.0),  // memory in use, MB
            Scale::linear(0.0, 1.0), // CPU utilisation
            Scale::log1p(10_000.0),  // queue depth (in-flight requests)
            Scale::linear(0.0, 1.0), // cold-start probability
        ],
        trend: Scale::linear(-1.0, 1.0),
        carbon: Scale::linear(0.0, 1_000.0),
        operational: [
            Scale::log1p(10_000.0),  // request rate, requests/s
            Scale::log1p(10_240.0),  // memory in use, MB
            Scale::linear(0.0, 1.0), // CPU utilisation
            Scale::log1p(10_000.0),  // queue depth
            Scale::cyclic(24.0),     // hour of day (UTC)
        ],
    };

    /// Check every constant.
    ///
    /// # Errors
    /// [`InferError::NonFiniteWeight`] (with `kind: None`) for a NaN/∞ constant,
    /// [`InferError::BadEncoder`] for another unusable one (index counts across families in
    /// field order).
    pub fn validate(&self) -> Result<(), InferError> {
        let all = self
            .strategic
            .iter()
            .chain(&self.app)
            .chain(&self.tactical)
            .chain(core::iter::once(&self.trend))
            .chain(core::iter::once(&self.carbon))
            .chain(&self.operational);
        for (i, s) in all.enumerate() {
            if !s.lo.is_finite() || !s.hi.is_finite() {
                return Err(InferError::NonFiniteWeight { kind: None });
            }
            if !s.is_valid() {
                return Err(InferError::BadEncoder { feature: i as u8 });
            }
        }
        Ok(())
    }
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Encode `raw` through `scales` into `out`, numbering errors from `base`.
pub(crate) fn encode_all<const N: usize>(
    scales: &[Scale; N],
    raw: &[f32; N],
    base: u16,
) -> Result<[f32; N], InferError> {
    let mut out = [0.0; N];
    for (i, ((o, s), &x)) in out.iter_mut().zip(scales).zip(raw).enumerate() {
        *o = s.encode(x, base + i as u16)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_into_unit_interval_and_back() {
        let s = Scale::log1p(1000.0);
        assert_eq!(s.encode(0.0, 0), Ok(0.0));
        assert!((s.encode(1000.0, 0).unwrap() - 1.0).abs() < 1e-6);
        assert_eq!(s.encode(1e30, 0), Ok(1.0));
        assert!((s.decode(s.encode(37.0, 0).unwrap()) - 37.0).abs() < 1e-3);
        assert_eq!(s.encode(-1.0, 3), Err(InferError::OutOfRange { index: 3 }));
        assert_eq!(s.encode(f32::NAN, 4), Err(InferError::NonFiniteInput { index: 4 }));
        let l = Scale::linear(-1.0, 1.0);
        assert_eq!(l.encode(-5.0, 0), Ok(0.0));
        assert_eq!(l.encode(0.0, 0), Ok(0.5));
        let c = Scale::cyclic(24.0);
        assert!((c.encode(6.0, 0).unwrap() - 1.0).abs() < 1e-6);
        assert!((c.encode(18.0, 0).unwrap()).abs() < 1e-6);
    }

    #[test]
    fn default_config_is_valid_and_bad_ones_are_named() {
        assert_eq!(EncoderConfig::DEFAULT.validate(), Ok(()));
        let mut c = EncoderConfig::DEFAULT;
        c.app[1].hi = 0.0;
        assert_eq!(c.validate(), Err(InferError::BadEncoder { feature: 10 }));
        c.app[1].hi = f32::INFINITY;
        assert_eq!(c.validate(), Err(InferError::NonFiniteWeight { kind: None }));
        c.app[1] = Scale { kind: 9, lo: 0.0, hi: 1.0 };
        assert_eq!(c.validate(), Err(InferError::BadEncoder { feature: 10 }));
        let mut c = EncoderConfig::DEFAULT;
        c.carbon.hi = c.carbon.lo;
        assert_eq!(c.validate(), Err(InferError::BadEncoder { feature: 21 }));
    }
}
