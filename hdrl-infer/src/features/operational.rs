//! Operational features (every 15 s, per function): the LSTM's 12-step window.

use super::EncoderConfig;
use super::encode_all;
use crate::InferError;

/// Features per time step.
pub const OPERATIONAL_FEATURES: usize = 5;
/// Time steps in the LSTM window (12 × 15 s = 3 minutes).
pub const WINDOW: usize = 12;
/// Seconds covered by one operational step (and by one forecast).
pub const STEP_S: f32 = 15.0;

/// One 15-second step of one function (input indices 23–27).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OperationalStep {
    /// Requests per second over the step (≥ 0).
    pub request_rate: f32,
    /// Memory in use, MB (≥ 0).
    pub memory_used_mb: f32,
    /// CPU utilisation, 0 … 1 (clamped).
    pub cpu_util: f32,
    /// In-flight requests at the end of the step (≥ 0).
    pub queue_depth: f32,
    /// Hour of day, UTC, 0 … 24 (encoded as a sine, so any real value is accepted).
    pub hour_of_day: f32,
}

impl OperationalStep {
    /// Field values in input order.
    pub fn to_array(&self) -> [f32; OPERATIONAL_FEATURES] {
        [self.request_rate, self.memory_used_mb, self.cpu_util, self.queue_depth, self.hour_of_day]
    }
}

impl EncoderConfig {
    /// One encoded LSTM time step.
    ///
    /// # Errors
    /// See [`super::Scale::encode`]; indices 23–27 name the field.
    pub fn encode_step(&self, s: &OperationalStep) -> Result<[f32; OPERATIONAL_FEATURES], InferError> {
        encode_all(&self.operational, &s.to_array(), 23)
    }

    /// Turn the LSTM's normalised (rate, memory, CPU) back into requests/s, MB and a 0–1
    /// utilisation.
    pub fn decode_forecast(&self, y: &[f32; 3]) -> [f32; 3] {
        [self.operational[0].decode(y[0]), self.operational[1].decode(y[1]), self.operational[2].decode(y[2])]
    }
}

/// The per-function operational state: the last [`WINDOW`] encoded steps, oldest first, in a
/// fixed-capacity ring buffer the caller owns (one per function, never shared between threads
/// while it is being written).
#[derive(Clone, Debug, Default)]
pub struct Window {
    buf: heapless::HistoryBuf<[f32; OPERATIONAL_FEATURES], WINDOW>,
}

impl Window {
    /// An empty window.
    pub const fn new() -> Self {
        Self { buf: heapless::HistoryBuf::new() }
    }

    /// A window holding the last [`WINDOW`] of `steps` (encoded, oldest first).
    pub fn from_steps(steps: &[[f32; OPERATIONAL_FEATURES]]) -> Self {
        let mut w = Self::new();
        for s in &steps[steps.len().saturating_sub(WINDOW)..] {
            w.push(*s);
        }
        w
    }

    /// Append an encoded step, dropping the oldest when full.
    pub fn push(&mut self, step: [f32; OPERATIONAL_FEATURES]) {
        self.buf.write(step);
    }

    /// Steps held (0 … 12).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// No step yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forget every step.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The most recent step, if any.
    pub fn last(&self) -> Option<&[f32; OPERATIONAL_FEATURES]> {
        self.buf.recent()
    }

    /// The steps held, oldest first.
    pub fn ordered_iter(&self) -> impl Iterator<Item = &[f32; OPERATIONAL_FEATURES]> {
        self.buf.oldest_ordered()
    }

    /// The window in time order, or `None` until 12 steps were pushed.
    pub fn ordered(&self) -> Option<[[f32; OPERATIONAL_FEATURES]; WINDOW]> {
        if self.buf.len() < WINDOW {
            return None;
        }
        let mut out = [[0.0; OPERATIONAL_FEATURES]; WINDOW];
        for (o, s) in out.iter_mut().zip(self.buf.oldest_ordered()) {
            *o = *s;
        }
        Some(out)
    }
}
