//! Load-forecasting metrics, computed on the request rate (requests/s), the quantity
//! pre-warming acts on: RMSE, MAE, R², MASE (scaled by the in-sample one-step naive MAE of the
//! training part), `under_rate` = fraction of steps forecast below the actual rate
//! (under-provisioned), and `over_ratio` = Σ max(forecast − actual, 0) / Σ actual (excess
//! capacity per unit of demand). Evaluation of a forecaster and every baseline on per-minute
//! series.

use hdrl_infer::features::{OPERATIONAL_FEATURES, WINDOW};
use serde::Serialize;

use std::collections::BTreeMap;

use crate::data::series;
use crate::data::windows::{EncodedSeries, MinuteWindows};
use crate::data::workload::{DAY_S, HOUR_S};
use crate::evaluate::baselines::forecast::Baseline;
use crate::evaluate::simulate::{EvalCtx, STEP_S};

/// A forecaster under evaluation: an encoded window in, a rate (requests/s) out.
pub type ForecastFn<'a> = dyn FnMut(&[[f32; OPERATIONAL_FEATURES]; WINDOW]) -> anyhow::Result<f32> + 'a;

/// Forecast quality over many steps.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ForecastMetrics {
    /// Root mean squared error, requests/s.
    pub rmse: f64,
    /// Mean absolute error, requests/s.
    pub mae: f64,
    /// Coefficient of determination.
    pub r2: f64,
    /// Mean absolute scaled error.
    pub mase: f64,
    /// Fraction of steps forecast below the actual rate.
    pub under_rate: f64,
    /// Σ max(forecast − actual, 0) / Σ actual.
    pub over_ratio: f64,
    /// Steps evaluated.
    pub n: usize,
}

/// Accumulates forecast errors.
#[derive(Clone, Debug, Default)]
pub struct Accum {
    n: f64,
    se: f64,
    ae: f64,
    sum_a: f64,
    sum_a2: f64,
    under: f64,
    over: f64,
    naive_ae: f64,
    naive_n: f64,
}

impl Accum {
    /// Add one forecast.
    pub fn add(&mut self, forecast: f32, actual: f32) {
        let (f, a) = (forecast as f64, actual as f64);
        self.n += 1.0;
        self.se += (f - a).powi(2);
        self.ae += (f - a).abs();
        self.sum_a += a;
        self.sum_a2 += a * a;
        self.under += (f < a) as u8 as f64;
        self.over += (f - a).max(0.0);
    }

    /// Add the in-sample one-step naive error of a training series (MASE scale).
    pub fn add_naive(&mut self, train: &[f32]) {
        for w in train.windows(2) {
            self.naive_ae += (w[1] - w[0]).abs() as f64;
            self.naive_n += 1.0;
        }
    }

    /// The metrics.
    pub fn finish(&self) -> ForecastMetrics {
        let n = self.n.max(1.0);
        let mean = self.sum_a / n;
        let sst = self.sum_a2 - n * mean * mean;
        let scale = if self.naive_n > 0.0 { self.naive_ae / self.naive_n } else { 0.0 };
        ForecastMetrics {
            rmse: (self.se / n).sqrt(),
            mae: self.ae / n,
            r2: if sst > 0.0 { 1.0 - self.se / sst } else { 0.0 },
            mase: if scale > 0.0 { self.ae / n / scale } else { f64::NAN },
            under_rate: self.under / n,
            over_ratio: if self.sum_a > 0.0 { self.over / self.sum_a } else { 0.0 },
            n: self.n as usize,
        }
    }
}

/// Forecast metrics by activity class (`all`, `busy`, `medium`, `sparse`), then by model.
pub type ClassMetrics = BTreeMap<String, BTreeMap<String, ForecastMetrics>>;

/// The class every function belongs to as well as its own.
pub const ALL: &str = "all";

/// The classes of [`ClassMetrics`]: [`ALL`] first, then busiest first.
pub const CLASSES: [&str; 4] = [ALL, "busy", "medium", "sparse"];

/// A function's activity class from its mean request rate over the training period: `busy` at
/// one request per second or more, `medium` at one per minute or more, `sparse` below.
pub fn activity_class(mean_rate: f32) -> &'static str {
    if mean_rate >= 1.0 {
        "busy"
    } else if mean_rate >= 1.0 / 60.0 {
        "medium"
    } else {
        "sparse"
    }
}

/// Accumulators per activity class (and `all`) and model.
#[derive(Default)]
struct ClassAccum {
    acc: BTreeMap<&'static str, BTreeMap<String, Accum>>,
}

impl ClassAccum {
    fn add(&mut self, class: &'static str, model: &str, forecast: f32, actual: f32) {
        for c in [ALL, class] {
            self.acc.entry(c).or_default().entry(model.to_string()).or_default().add(forecast, actual);
        }
    }

    /// The MASE scale of one series, for every model of its class (and `all`).
    fn add_naive(&mut self, class: &'static str, train: &[f32]) {
        for c in [ALL, class] {
            for a in self.acc.entry(c).or_default().values_mut() {
                a.add_naive(train);
            }
        }
    }

    fn finish(self) -> ClassMetrics {
        self.acc
            .into_iter()
            .map(|(c, m)| (c.to_string(), m.into_iter().map(|(k, v)| (k, v.finish())).collect()))
            .collect()
    }
}

/// Evaluate a forecaster (a closure from an encoded window to a raw rate forecast) and every
/// baseline on the test functions of a per-minute set (functions never trained or selected
/// on), over the last 20 % of their minutes (steps of 60 s; the seasonal baseline uses a
/// 60-step season, one hour, as one day of history is not available in such files). Metrics
/// overall and per activity class (from each function's first 80 %).
///
/// # Errors
/// The forecaster's error.
pub fn eval_minutes(src: &MinuteWindows, models: &mut [(&str, &mut ForecastFn<'_>)]) -> anyhow::Result<ClassMetrics> {
    let season = 60;
    let mut acc = ClassAccum::default();
    for s in src.test_series() {
        let train = &s.rate[..src.train_end];
        let train_mean = train.iter().sum::<f32>() / train.len().max(1) as f32;
        let class = activity_class(train_mean);
        let mut ewma = 0.0f32;
        for &r in train {
            ewma = 0.3 * r + 0.7 * ewma;
        }
        for t in src.train_end..s.rate.len() {
            let actual = s.rate[t];
            for b in Baseline::ALL {
                acc.add(class, b.key(), b.forecast(&s.rate, t, train_mean, season, ewma), actual);
            }
            let w = s.window(t);
            for (name, f) in models.iter_mut() {
                acc.add(class, name, f(&w)?, actual);
            }
            ewma = 0.3 * actual + 0.7 * ewma;
        }
        acc.add_naive(class, train);
    }
    Ok(acc.finish())
}

impl EvalCtx<'_> {
    /// Forecast metrics on the test steps: the LSTM (given its forecasts) and every baseline,
    /// overall and per activity class (from the training days' mean rate).
    pub fn forecast_metrics(
        &self,
        series: &[Option<EncodedSeries>],
        lstm: &BTreeMap<String, Vec<Vec<f32>>>,
    ) -> ClassMetrics {
        let train = (self.train_hours.0 as f64 * HOUR_S, self.train_hours.1 as f64 * HOUR_S);
        let season = (DAY_S / STEP_S) as usize;
        let mut acc = ClassAccum::default();
        for (f, s) in series.iter().enumerate() {
            let Some(s) = s else { continue };
            // Training statistics from the training days (for static 2x and the MASE scale);
            // the seasonal baseline needs the day before each test step.
            let inv = &self.hourly.by_func[f];
            let prof = &self.tab.profiles[f];
            let train_steps = ((train.1 - train.0) / STEP_S) as usize;
            let tr: Vec<f32> =
                series::bin(inv, train.0, STEP_S, train_steps).iter().map(|b| b.count as f32 / STEP_S as f32).collect();
            let train_mean = tr.iter().sum::<f32>() / tr.len().max(1) as f32;
            let class = activity_class(train_mean);
            let hist_t0 = self.hours.0 as f64 * HOUR_S - DAY_S;
            let hist: Vec<f32> = series::bin(inv, hist_t0, STEP_S, season + self.steps())
                .iter()
                .map(|b| b.count as f32 / STEP_S as f32)
                .collect();
            let _ = prof;
            let mut ewma = 0.0f32;
            for k in 0..self.steps() {
                let t = season + k; // index into `hist` of test step k
                let actual = hist[t];
                for b in Baseline::ALL {
                    acc.add(class, b.key(), b.forecast(&hist, t, train_mean, season, ewma), actual);
                }
                for (name, rates) in lstm {
                    acc.add(class, name, rates[f][k], actual);
                }
                ewma = 0.3 * actual + 0.7 * ewma;
            }
            acc.add_naive(class, &tr);
            let _ = s;
        }
        acc.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_computed_values() {
        let mut a = Accum::default();
        a.add(1.0, 2.0);
        a.add(3.0, 2.0);
        a.add_naive(&[0.0, 1.0, 3.0]);
        let m = a.finish();
        assert!((m.rmse - 1.0).abs() < 1e-12 && (m.mae - 1.0).abs() < 1e-12);
        assert!((m.mase - 1.0 / 1.5).abs() < 1e-12);
        assert_eq!(m.under_rate, 0.5);
        assert!((m.over_ratio - 0.25).abs() < 1e-12);
        assert_eq!(m.r2, 0.0, "constant actuals: R² defined as 0");
    }

    #[test]
    fn classes_split_by_training_rate_and_all_holds_every_step() {
        assert_eq!(activity_class(2.0), "busy");
        assert_eq!(activity_class(0.5), "medium");
        assert_eq!(activity_class(0.001), "sparse");
        let mut c = ClassAccum::default();
        c.add("busy", "m", 1.0, 2.0);
        c.add_naive("busy", &[0.0, 1.0]);
        c.add("sparse", "m", 0.0, 0.0);
        c.add_naive("sparse", &[0.0, 0.0]);
        let m = c.finish();
        assert_eq!(m["all"]["m"].n, 2);
        assert_eq!(m["busy"]["m"].n, 1);
        assert_eq!(m["sparse"]["m"].n, 1);
        assert!(!m.contains_key("medium"));
        assert!((m["busy"]["m"].mase - 1.0).abs() < 1e-12, "scale from the busy series only");
        assert!((m["all"]["m"].mase - 1.0).abs() < 1e-12, "scale over both: 1 / 2 naive steps = 0.5; MAE 0.5");
    }
}
