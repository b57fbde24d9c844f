//! The figures of a run report: training curves, policy bars, the trade-off plots, forecast
//! against actual, cold starts over the test days, carbon intensity of every region.

use std::path::Path;

use anyhow::Result;
use hdrl_infer::Provider;

use crate::algos::dqn::DqnRecord;
use crate::algos::lstm::LstmRecord;
use crate::algos::ppo::PpoRecord;
use crate::data::workload::HOUR_S;
use crate::evaluate::simulate::STEP_S;
use crate::evaluate::suite::{BASELINES, Learned};
use crate::report::plots::{self, Line, Panel};
use crate::report::summary::{Report, SeedRun};
use crate::sim::Scenario;

type Records<'a> = (&'a [DqnRecord], &'a [PpoRecord], &'a [LstmRecord], &'a [LstmRecord]);

/// A seed's histories (empty when it has none).
fn h<'a>(r: &SeedRun<'a>) -> Records<'a> {
    r.hist.as_ref().map(|h| (h.dqn, h.ppo, h.lstm, h.lstm_minutes)).unwrap_or_default()
}

/// `lines` plus each reference rule as a flat line across their x range. A rule far below
/// the learners (random, more than the learners' own spread plus 0.2 under their lowest point)
/// is left out: drawn, it would squash the curves into a band (the report's training section
/// lists its score).
fn with_refs<'b>(mut lines: Vec<Line<'b>>, refs: &'b [(String, f64)]) -> Vec<Line<'b>> {
    let pts = || lines.iter().flat_map(|l| l.points.iter().copied());
    let (lo, hi) = pts().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (ylo, yhi) = pts()
        .filter(|p| p.1.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if lo <= hi {
        let floor = ylo - (yhi - ylo) - 0.2;
        // No finite learner point (ylo > yhi): every rule is drawn.
        let near = refs.iter().filter(|(_, v)| ylo > yhi || *v >= floor);
        let flat: Vec<Line<'b>> = near.map(|(k, v)| Line { label: k, points: vec![(lo, *v), (hi, *v)] }).collect();
        lines.extend(flat);
    }
    lines
}

/// `training_curves.png`: validation reward, loss and entropy of every learner, one line per
/// training seed.
fn training_curves(out: &Path, runs: &[SeedRun<'_>]) -> Result<()> {
    let seeds: Vec<(String, &SeedRun<'_>)> =
        runs.iter().filter(|r| r.hist.is_some()).map(|r| (format!("seed {}", r.seed), r)).collect();
    if seeds.is_empty() {
        return Ok(());
    }
    let per_seed = |f: &dyn Fn(&SeedRun<'_>) -> Vec<(f64, f64)>| -> Vec<Line<'_>> {
        seeds.iter().map(|(label, r)| Line { label, points: f(r) }).collect()
    };
    let first = seeds[0].1.hist.as_ref();
    let panels = vec![
        Panel {
            title: "DQN: validation reward per day",
            x: "environment steps",
            y: "mean daily reward",
            lines: with_refs(
                per_seed(&|r| h(r).0.iter().map(|x| (x.step as f64, x.val_reward)).collect()),
                first.map(|h| h.dqn_references).unwrap_or_default(),
            ),
        },
        Panel {
            title: "DQN: Huber loss",
            x: "environment steps",
            y: "loss",
            lines: per_seed(&|r| h(r).0.iter().map(|x| (x.step as f64, x.loss)).collect()),
        },
        Panel {
            title: "PPO: validation reward per hour (greedy)",
            x: "update",
            y: "mean hourly reward",
            lines: with_refs(
                per_seed(&|r| h(r).1.iter().map(|x| (x.update as f64, x.val_reward)).collect()),
                first.map(|h| h.ppo_references).unwrap_or_default(),
            ),
        },
        Panel {
            title: "PPO: policy entropy",
            x: "update",
            y: "nats",
            lines: per_seed(&|r| h(r).1.iter().map(|x| (x.update as f64, x.entropy)).collect()),
        },
        Panel {
            title: "PPO: approximate KL to the rollout policy",
            x: "update",
            y: "nats",
            lines: per_seed(&|r| h(r).1.iter().map(|x| (x.update as f64, x.approx_kl)).collect()),
        },
        Panel {
            title: "PPO: value loss",
            x: "update",
            y: "loss",
            lines: per_seed(&|r| h(r).1.iter().map(|x| (x.update as f64, x.value_loss)).collect()),
        },
        Panel {
            title: "LSTM (trace): validation loss",
            x: "epoch",
            y: "loss",
            lines: per_seed(&|r| h(r).2.iter().map(|x| (x.epoch as f64, x.val_loss)).collect()),
        },
        Panel {
            title: "LSTM (Azure 2019): validation loss",
            x: "epoch",
            y: "loss",
            lines: per_seed(&|r| h(r).3.iter().map(|x| (x.epoch as f64, x.val_loss)).collect()),
        },
        Panel {
            title: "LSTM (trace): training loss",
            x: "epoch",
            y: "loss",
            lines: per_seed(&|r| h(r).2.iter().map(|x| (x.epoch as f64, x.train_loss)).collect()),
        },
    ];
    plots::lines(&out.join("training_curves.png"), "Training curves", &panels, 3)
}

/// `forecast.png`: forecast against actual for the three busiest functions, first two test
/// hours (the first seed's forecaster).
fn forecast(out: &Path, sc: &Scenario, l: &Learned) -> Result<()> {
    let series = &l.series;
    let mut busy: Vec<usize> = (0..series.len()).filter(|&f| series[f].is_some()).collect();
    busy.sort_by_key(|&f| std::cmp::Reverse(sc.tab.profiles[f].train_invocations));
    let span = 480.min(l.rates.first().map(|r| r.len()).unwrap_or(0));
    let t0 = sc.test_hours().0 as f64;
    let panels: Vec<Panel<'_>> = busy
        .iter()
        .take(3)
        .filter_map(|&f| {
            let s = series[f].as_ref()?;
            let x = |k: usize| (t0 * HOUR_S + k as f64 * STEP_S) / 3600.0;
            Some(Panel {
                title: "request rate, 15-s steps",
                x: "hour of trace",
                y: "requests/s",
                lines: vec![
                    Line { label: "actual", points: (0..span).map(|k| (x(k), s.rate[k + 12] as f64)).collect() },
                    Line { label: "LSTM forecast", points: (0..span).map(|k| (x(k), l.rates[f][k] as f64)).collect() },
                ],
            })
        })
        .collect();
    if panels.is_empty() {
        return Ok(());
    }
    plots::lines(&out.join("forecast.png"), "Forecast against actual (three busiest functions, test days)", &panels, 3)
}

/// `coldstarts.png`: cold starts per test hour under each keep-alive policy (the first seed's
/// placements).
fn coldstarts(out: &Path, l: &Learned) -> Result<()> {
    let cold_line = |label: &'static str, k: &str| Line {
        label,
        points: l.results[k].colds_per_hour.iter().enumerate().map(|(h, &c)| (h as f64, c as f64)).collect(),
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

/// `carbon.png`: the hourly intensity of the 12 region slots over the test days.
fn carbon(out: &Path, sc: &Scenario) -> Result<()> {
    let hours = sc.test_hours();
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for p in Provider::ALL {
        for s in 0..4 {
            let points = (hours.0..hours.1).map(|h| ((h - hours.0) as f64, sc.sim.carbon.at_hour(p, s, h))).collect();
            series.push((format!("{p} {} ({})", p.region_name(s), sc.sim.carbon.zone(p, s)), points));
        }
    }
    let panel_lines: Vec<Line<'_>> = series.iter().map(|(l, pts)| Line { label: l, points: pts.clone() }).collect();
    plots::lines(
        &out.join("carbon.png"),
        "Grid carbon intensity of every region over the test days (Electricity Maps, 2022)",
        &[Panel { title: "lifecycle intensity per region slot", x: "test hour", y: "gCO2e/kWh", lines: panel_lines }],
        1,
    )
}

/// The keep-alive and pre-warming rows of the report, in its order.
pub const PREWARM_ORDER: [&str; 4] = ["provider_keepalive", "fixed_10min", "hybrid_histogram", "lstm_prewarm"];

/// Write every figure of a run into `out`.
///
/// # Errors
/// A plot that cannot be drawn or written.
pub fn write_all(out: &Path, sc: &Scenario, r: &Report, runs: &[SeedRun<'_>]) -> Result<()> {
    training_curves(out, runs)?;
    // The learned rows, then every baseline, in the report's order.
    let names: Vec<&str> =
        ["hierarchy", "hierarchy_int8"].into_iter().chain(BASELINES).filter(|n| r.policies.contains_key(*n)).collect();
    let ms: Vec<_> = names.iter().map(|n| &r.policies[*n]).collect();
    plots::policy_bars(&out.join("policies.png"), &names, &ms)?;
    plots::pareto(&out.join("pareto.png"), &names, &ms)?;
    plots::pareto_carbon(&out.join("pareto_carbon.png"), &names, &ms)?;
    let keep: Vec<&str> = PREWARM_ORDER.into_iter().filter(|n| r.prewarm.contains_key(*n)).collect();
    let km: Vec<_> = keep.iter().map(|n| &r.prewarm[*n]).collect();
    plots::prewarm(&out.join("prewarm.png"), &keep, &km)?;
    carbon(out, sc)?;
    if let Some(first) = runs.first() {
        forecast(out, sc, first.learned)?;
        coldstarts(out, first.learned)?;
    }
    Ok(())
}
