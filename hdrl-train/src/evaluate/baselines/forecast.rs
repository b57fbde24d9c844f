//! Forecasting baselines: last value, twice the training mean, moving average, seasonal
//! naive, EWMA.

use serde::Serialize;

/// Forecasting baselines over a raw rate series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Baseline {
    /// The last value.
    Reactive,
    /// Twice the training mean, always.
    Static2x,
    /// Mean of the last 5 steps.
    Ma5,
    /// The value one season earlier.
    SeasonalNaive,
    /// Exponentially weighted moving average, α = 0.3.
    Ewma,
}

impl Baseline {
    /// All baselines.
    pub const ALL: [Baseline; 5] = [Self::Reactive, Self::Static2x, Self::Ma5, Self::SeasonalNaive, Self::Ewma];

    /// Report key.
    pub fn key(self) -> &'static str {
        match self {
            Self::Reactive => "reactive",
            Self::Static2x => "static_2x",
            Self::Ma5 => "ma5",
            Self::SeasonalNaive => "seasonal_naive",
            Self::Ewma => "ewma",
        }
    }

    /// Forecast of step `t` from `rate[..t]`; `train_mean` for the static baseline and
    /// `season` steps for seasonal naive.
    pub fn forecast(self, rate: &[f32], t: usize, train_mean: f32, season: usize, ewma: f32) -> f32 {
        let last = if t > 0 { rate[t - 1] } else { 0.0 };
        match self {
            Self::Reactive => last,
            Self::Static2x => 2.0 * train_mean,
            Self::Ma5 => {
                let a = t.saturating_sub(5);
                if t == a { 0.0 } else { rate[a..t].iter().sum::<f32>() / (t - a) as f32 }
            }
            Self::SeasonalNaive => {
                if t >= season {
                    rate[t - season]
                } else {
                    last
                }
            }
            Self::Ewma => ewma,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_use_only_the_past() {
        let r = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        assert_eq!(Baseline::Reactive.forecast(&r, 3, 0.0, 2, 0.0), 3.0);
        assert_eq!(Baseline::Ma5.forecast(&r, 6, 0.0, 2, 0.0), 4.0);
        assert_eq!(Baseline::SeasonalNaive.forecast(&r, 6, 0.0, 2, 0.0), 5.0);
        assert_eq!(Baseline::Static2x.forecast(&r, 6, 1.5, 2, 0.0), 3.0);
    }
}
