//! `AnyHierarchy`: a loaded bundle in whichever precision it was written, f32 or int8, so a
//! caller that reads a file (the C library, the command line) need not know in advance.

use std::boxed::Box;

use crate::features::{AppContext, CarbonObs, OperationalStep, StrategicObs, TacticalContext, TacticalObs, Window};
use crate::hierarchy::{Decision, Forecast, ForecastSource, Hierarchy, Observation, TacticalChoice};
use crate::layers::{F32, I8};
use crate::placement::{Provider, TACTICAL_ACTIONS};
use crate::weights::{Bundle, ModelKind, Quant};
use crate::{EncoderConfig, InferError};

/// A hierarchy in the precision its bundle declares.
pub enum AnyHierarchy {
    /// 32-bit float weights.
    F32(Box<Hierarchy<F32>>),
    /// int8 weights.
    I8(Box<Hierarchy<I8>>),
}

/// Call the same method on whichever precision the hierarchy holds.
macro_rules! each {
    ($self:expr, $h:ident => $body:expr) => {
        match $self {
            AnyHierarchy::F32($h) => $body,
            AnyHierarchy::I8($h) => $body,
        }
    };
}

impl AnyHierarchy {
    /// Load a bundle in the precision its first model record declares (a bundle is all f32
    /// or all int8; a mixed one fails with [`InferError::WrongQuant`] on the first record that
    /// differs). Built on the heap, so loading needs little stack.
    ///
    /// # Errors
    /// As [`Hierarchy::load_into`].
    pub fn load(bytes: &[u8]) -> Result<Self, InferError> {
        let quant = Bundle::parse(bytes)?.models.first().and_then(|r| Quant::from_tag(r.quant)).unwrap_or(Quant::F32);
        Ok(match quant {
            Quant::F32 => Self::F32(Hierarchy::load(bytes)?),
            Quant::I8 => Self::I8(Hierarchy::load(bytes)?),
        })
    }

    /// The precision of the weights.
    pub fn quant(&self) -> Quant {
        match self {
            Self::F32(_) => Quant::F32,
            Self::I8(_) => Quant::I8,
        }
    }

    /// The encoder constants of the bundle.
    pub fn encoder(&self) -> &EncoderConfig {
        each!(self, h => &h.encoder)
    }

    /// Whether a model kind is loaded.
    pub fn has(&self, kind: ModelKind) -> bool {
        each!(self, h => h.has(kind))
    }

    /// See [`Hierarchy::decide`].
    ///
    /// # Errors
    /// As [`Hierarchy::decide`].
    pub fn decide(&self, w: &mut Window, obs: &Observation) -> Result<Decision, InferError> {
        each!(self, h => h.decide(w, obs))
    }

    /// See [`Hierarchy::q_values`].
    ///
    /// # Errors
    /// As [`Hierarchy::q_values`].
    pub fn q_values(&self, s: &StrategicObs, app: &AppContext, carbon: &CarbonObs) -> Result<[f32; 3], InferError> {
        each!(self, h => h.q_values(s, app, carbon))
    }

    /// See [`Hierarchy::choose_provider`].
    ///
    /// # Errors
    /// As [`Hierarchy::q_values`].
    pub fn choose_provider(
        &self,
        s: &StrategicObs,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<(Provider, [f32; 3]), InferError> {
        each!(self, h => h.choose_provider(s, app, carbon))
    }

    /// See [`Hierarchy::policy`].
    ///
    /// # Errors
    /// As [`Hierarchy::policy`].
    pub fn policy(
        &self,
        t: &TacticalObs,
        ctx: &TacticalContext,
        app: &AppContext,
        carbon: &CarbonObs,
    ) -> Result<([f32; TACTICAL_ACTIONS], f32), InferError> {
        each!(self, h => h.policy(t, ctx, app, carbon))
    }

    /// See [`Hierarchy::choose_placement`].
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
        each!(self, h => h.choose_placement(t, ctx, app, carbon))
    }

    /// See [`Hierarchy::observe`].
    ///
    /// # Errors
    /// As [`Hierarchy::observe`].
    pub fn observe(&self, w: &mut Window, step: &OperationalStep) -> Result<(), InferError> {
        each!(self, h => h.observe(w, step))
    }

    /// See [`Hierarchy::forecast`].
    ///
    /// # Errors
    /// As [`Hierarchy::forecast`].
    pub fn forecast(&self, w: &Window) -> Result<(Forecast, ForecastSource), InferError> {
        each!(self, h => h.forecast(w))
    }

    /// [`Hierarchy::refresh`] in the bundle's precision.
    ///
    /// # Errors
    /// As [`Hierarchy::refresh`].
    pub fn refresh(
        &self,
        tr: &mut crate::Tracker,
        now: f64,
        carbon: &CarbonObs,
    ) -> Result<crate::Refreshed, InferError> {
        each!(self, h => h.refresh(tr, now, carbon))
    }

    /// [`Hierarchy::refresh_with`] in the bundle's precision.
    ///
    /// # Errors
    /// As [`Hierarchy::refresh`].
    pub fn refresh_with(
        &self,
        tr: &mut crate::Tracker,
        now: f64,
        carbon: impl FnOnce(f64) -> CarbonObs,
    ) -> Result<crate::Refreshed, InferError> {
        each!(self, h => h.refresh_with(tr, now, carbon))
    }

    /// See [`Hierarchy::request_cost`].
    pub fn request_cost(&self, tr: &crate::Tracker, exec_ms: f32) -> f32 {
        each!(self, h => h.request_cost(tr, exec_ms))
    }

    /// See [`Hierarchy::default_carbon`].
    pub fn default_carbon(&self, now_s: f64) -> CarbonObs {
        each!(self, h => h.default_carbon(now_s))
    }

    /// The bundle's price table, if it carries one.
    pub fn prices(&self) -> Option<&crate::PriceTable> {
        each!(self, h => h.prices.as_ref())
    }

    /// The bundle's carbon profile, if it carries one.
    pub fn carbon_profile(&self) -> Option<&crate::CarbonProfile> {
        each!(self, h => h.carbon_profile.as_ref())
    }
}
