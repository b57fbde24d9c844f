//! Default grid carbon intensity of every region slot when the caller has no carbon API: a
//! typical day, one value per UTC hour, as a bundle carries it (weight format 5 on). The
//! trainer stores each slot's mean intensity at each hour of the day over the year of data it
//! was given; [`CarbonProfile::observation`] turns that into the [`CarbonObs`] the encoders read.
//! A live carbon API is better (a profile knows the hour of the day, not the weather); the
//! profile is better than nothing, which is what zeros would tell the policies.

use serde::{Deserialize, Serialize};

use crate::features::{CarbonObs, SLOTS};

/// Hours in a day.
pub const HOURS_PER_DAY: usize = 24;

/// Highest intensity a profile may hold, gCO2e/kWh (the dirtiest grids are below 1 200).
pub const MAX_INTENSITY: f32 = 2_000.0;

/// Mean grid carbon intensity by provider, region slot and UTC hour of the day, gCO2e/kWh.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CarbonProfile {
    /// `[provider][slot][UTC hour]`.
    pub by_hour: [[[f32; HOURS_PER_DAY]; SLOTS]; 3],
}

impl CarbonProfile {
    /// The carbon observation at `now_s` (seconds since midnight UTC of some day, the clock of
    /// [`crate::Telemetry`]): this hour's typical intensity, and the typical day's mean as the
    /// past day's (for a repeating day they are the same). A non-finite or negative clock reads
    /// hour 0.
    pub fn observation(&self, now_s: f64) -> CarbonObs {
        let hour = if now_s.is_finite() && now_s > 0.0 { (now_s / 3600.0) as u64 % HOURS_PER_DAY as u64 } else { 0 };
        let mut obs = CarbonObs::default();
        for (p, slots) in self.by_hour.iter().enumerate() {
            for (s, day) in slots.iter().enumerate() {
                obs.now[p][s] = day[hour as usize];
                obs.past_day[p][s] = day.iter().sum::<f32>() / HOURS_PER_DAY as f32;
            }
        }
        obs
    }

    /// Every value finite and in 0 … [`MAX_INTENSITY`] (what [`crate::weights::Bundle::parse`]
    /// checks).
    pub fn is_valid(&self) -> bool {
        self.by_hour.iter().flatten().flatten().all(|&v| (0.0..=MAX_INTENSITY).contains(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hour_of_the_clock_picks_the_value_and_the_day_mean_is_the_past_day() {
        let mut by_hour = [[[0.0f32; HOURS_PER_DAY]; SLOTS]; 3];
        for (h, v) in by_hour[1][2].iter_mut().enumerate() {
            *v = 100.0 + h as f32;
        }
        let p = CarbonProfile { by_hour };
        let day = 86_400.0 * 20_000.0;
        let o = p.observation(day + 5.5 * 3600.0);
        assert_eq!(o.now[1][2], 105.0);
        assert_eq!(o.past_day[1][2], 111.5);
        assert_eq!(o.now[0][0], 0.0);
        assert_eq!(p.observation(f64::NAN).now[1][2], 100.0);
        assert_eq!(p.observation(-5.0).now[1][2], 100.0);
        assert_eq!(p.observation(23.9 * 3600.0).now[1][2], 123.0);
        assert!(p.is_valid());
        let mut bad = p;
        bad.by_hour[2][3][4] = f32::NAN;
        assert!(!bad.is_valid());
        bad.by_hour[2][3][4] = -1.0;
        assert!(!bad.is_valid());
    }
}
