//! Grid carbon intensity where a function could run: what a carbon API tells a gateway about
//! every region slot of every provider (input indices 28–51).

use super::EncoderConfig;
use crate::InferError;
use crate::placement::{Provider, region_for_rank};

/// Region slots per provider.
pub const SLOTS: usize = 4;

/// Grid carbon intensity of each provider's region slots, gCO2e/kWh (0 … 1000; clamped).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CarbonObs {
    /// This hour's intensity, `[provider][slot]` (input indices 28–39, provider-major).
    pub now: [[f32; SLOTS]; 3],
    /// The mean of the past 24 hours, `[provider][slot]` (input indices 40–51): a forecast of
    /// the coming day that knows only the past.
    pub past_day: [[f32; SLOTS]; 3],
}

/// Input index of the first `now` value.
pub const CARBON_NOW_INDEX: u16 = 28;
/// Input index of the first `past_day` value.
pub const CARBON_PAST_DAY_INDEX: u16 = 40;

impl EncoderConfig {
    fn encode_carbon(&self, v: &[[f32; SLOTS]; 3], base: u16) -> Result<[[f32; SLOTS]; 3], InferError> {
        let mut out = [[0.0; SLOTS]; 3];
        for (p, (o, row)) in out.iter_mut().zip(v).enumerate() {
            for (s, (e, &x)) in o.iter_mut().zip(row).enumerate() {
                *e = self.carbon.encode(x, base + (p * SLOTS + s) as u16)?;
            }
        }
        Ok(out)
    }

    /// The strategic layer's view of carbon: for each provider, the past day's intensity at the
    /// app's home slot, then the lowest past-day intensity among its four slots (6 values).
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`] naming the offending `past_day` value.
    pub fn encode_carbon_outlook(&self, c: &CarbonObs, home: u8) -> Result<[f32; 6], InferError> {
        let e = self.encode_carbon(&c.past_day, CARBON_PAST_DAY_INDEX)?;
        let mut out = [0.0; 6];
        for p in 0..3 {
            out[p] = e[p][home as usize % SLOTS];
            out[3 + p] = e[p].iter().copied().fold(f32::INFINITY, f32::min);
        }
        Ok(out)
    }

    /// The tactical layer's view of carbon: this hour's intensity of the chosen provider's four
    /// region slots in the order of the tactical action's region ranks (nearest to the app's
    /// home first).
    ///
    /// # Errors
    /// [`InferError::NonFiniteInput`] naming the offending `now` value.
    pub fn encode_carbon_by_rank(
        &self,
        c: &CarbonObs,
        provider: Provider,
        home: u8,
    ) -> Result<[f32; SLOTS], InferError> {
        let e = self.encode_carbon(&c.now, CARBON_NOW_INDEX)?;
        let mut out = [0.0; SLOTS];
        for (rank, o) in out.iter_mut().enumerate() {
            *o = e[provider as usize][region_for_rank(home, rank)];
        }
        Ok(out)
    }
}
