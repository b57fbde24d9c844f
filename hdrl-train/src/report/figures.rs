//! The figures of a run report: training curves, policy bars, the trade-off plot, forecast
//! against actual, cold starts over the test days.

use std::path::Path;

use anyhow::Result;

use crate::data::workload::HOUR_S;
use crate::evaluate::simulate::STEP_S;
use crate::evaluate::suite::Evaluation;
use crate::report::plots::{self, Line, Panel};
use crate::report::summary::{Histories, Report};
use crate::sim::Scenario;

/// The policies the bar and trade-off plots show, in order.
const POLICIES: [&str; 9] = [
    "hierarchy",
    "hierarchy_int8",
    "oracle",
    "best_fixed",
    "greedy_carbon",
    "cheapest",
    "fastest",
    "greenest",
    "random",
];

/// `training_curves.png`: validation reward, loss and entropy of every learner.
fn training_curves(out: &Path, h: &Histories<'_>) -> Result<()> {
    let (dqn, ppo, lstm, l19) = (h.dqn, h.ppo, h.lstm, h.lstm_minutes);
    plots::lines(
        &out.join("training_curves.png"),
        "Training curves",
        &[
            Panel {
                title: "DQN: validation reward per day",
                x: "environment steps",
                y: "mean daily reward",
                lines: vec![Line {
                    label: "validation",
                    points: dqn.iter().map(|r| (r.step as f64, r.val_reward)).collect(),
                }],
            },
            Panel {
                title: "DQN: Huber loss",
                x: "environment steps",
                y: "loss",
                lines: vec![Line { label: "loss", points: dqn.iter().map(|r| (r.step as f64, r.loss)).collect() }],
            },
            Panel {
                title: "PPO: reward per hour",
                x: "update",
                y: "mean hourly reward",
                lines: vec![
                    Line {
                        label: "validation (greedy)",
                        points: ppo.iter().map(|r| (r.update as f64, r.val_reward)).collect(),
                    },
                    Line {
                        label: "rollout (sampled)",
                        points: ppo.iter().map(|r| (r.update as f64, r.rollout_reward)).collect(),
                    },
                ],
            },
            Panel {
                title: "PPO: policy entropy",
                x: "update",
                y: "nats",
                lines: vec![Line {
                    label: "entropy",
                    points: ppo.iter().map(|r| (r.update as f64, r.entropy)).collect(),
                }],
            },
            Panel {
                title: "LSTM (trace): asymmetric MSE",
                x: "epoch",
                y: "loss",
                lines: vec![
                    Line { label: "train", points: lstm.iter().map(|r| (r.epoch as f64, r.train_loss)).collect() },
                    Line { label: "validation", points: lstm.iter().map(|r| (r.epoch as f64, r.val_loss)).collect() },
                ],
            },
            Panel {
                title: "LSTM (Azure 2019): asymmetric MSE",
                x: "epoch",
                y: "loss",
                lines: vec![
                    Line { label: "train", points: l19.iter().map(|r| (r.epoch as f64, r.train_loss)).collect() },
                    Line { label: "validation", points: l19.iter().map(|r| (r.epoch as f64, r.val_loss)).collect() },
                ],
            },
        ],
        3,
    )
}

/// `forecast.png`: forecast against actual for the three busiest functions, first two test
/// hours.
fn forecast(out: &Path, sc: &Scenario, ev: &Evaluation) -> Result<()> {
    let series = &ev.series;
    let mut busy: Vec<usize> = (0..series.len()).filter(|&f| series[f].is_some()).collect();
    busy.sort_by_key(|&f| std::cmp::Reverse(sc.tab.profiles[f].train_invocations));
    let span = 480.min(ev.rates.first().map(|r| r.len()).unwrap_or(0));
    let panels: Vec<Panel<'_>> = busy
        .iter()
        .take(3)
        .filter_map(|&f| {
            let s = series[f].as_ref()?;
            let x = |k: usize| (ev.test_hours.0 as f64 * HOUR_S + k as f64 * STEP_S) / 3600.0;
            Some(Panel {
                title: "request rate, 15-s steps",
                x: "hour of trace",
                y: "requests/s",
                lines: vec![
                    Line { label: "actual", points: (0..span).map(|k| (x(k), s.rate[k + 12] as f64)).collect() },
                    Line { label: "LSTM forecast", points: (0..span).map(|k| (x(k), ev.rates[f][k] as f64)).collect() },
                ],
            })
        })
        .collect();
    if panels.is_empty() {
        return Ok(());
    }
    plots::lines(&out.join("forecast.png"), "Forecast against actual (three busiest functions, test days)", &panels, 3)
}

/// `coldstarts.png`: cold starts per test hour under each keep-alive policy.
fn coldstarts(out: &Path, ev: &Evaluation) -> Result<()> {
    let cold_line = |label: &'static str, k: &str| Line {
        label,
        points: ev.results[k].colds_per_hour.iter().enumerate().map(|(h, &c)| (h as f64, c as f64)).collect(),
    };
    plots::lines(
        &out.join("coldstarts.png"),
        "Cold starts over the test days",
        &[Panel {
            title: "cold starts per hour (hierarchy's placements)",
            x: "test hour",
            y: "cold starts",
            lines: vec![
                cold_line("provider keep-alive", "strategic_tactical"),
                cold_line("fixed 10-min keep-alive", "fixed_10min"),
                cold_line("hybrid histogram", "hybrid_histogram"),
                cold_line("LSTM pre-warming", "hierarchy"),
            ],
        }],
        1,
    )
}

/// Write every figure of a run into `out`.
///
/// # Errors
/// A plot that cannot be drawn or written.
pub fn write_all(out: &Path, sc: &Scenario, r: &Report, ev: &Evaluation, h: &Histories<'_>) -> Result<()> {
    training_curves(out, h)?;
    let ms: Vec<_> = POLICIES.iter().map(|n| &r.policies[*n]).collect();
    plots::policy_bars(&out.join("policies.png"), &POLICIES, &ms)?;
    plots::pareto(&out.join("pareto.png"), &POLICIES, &ms)?;
    forecast(out, sc, ev)?;
    coldstarts(out, ev)
}
