//! `report.md`: the run's tables, with the plots linked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::evaluate::metrics::PolicyMetrics;
use crate::evaluate::stats::PairedDiff;
use crate::evaluate::suite::BASELINES;
use crate::report::figures::PREWARM_ORDER;
use crate::report::summary::{Report, SeedSummary};

/// `mean ± half-width`, or the mean alone when there is no interval.
fn pm(mean: f64, ci: f64, digits: usize) -> String {
    if ci.is_finite() { format!("{mean:.digits$} ± {ci:.digits$}") } else { format!("{mean:.digits$}") }
}

fn policy_table(
    out: &mut String,
    rows: &BTreeMap<String, PolicyMetrics>,
    learned: &BTreeMap<String, SeedSummary>,
    order: &[(&str, &str)],
) {
    let _ = writeln!(
        out,
        "| policy | mean reward | cost USD/M inv | p50 ms | p95 ms | p99 ms | carbon g/M inv | SLA viol. | cold starts | idle GB-h |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (label, key) in order {
        let Some(m) = rows.get(*key) else { continue };
        let ci = learned.get(*key).map(|s| &s.ci95);
        let c = |f: fn(&PolicyMetrics) -> f64| ci.map_or(f64::NAN, f);
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {:.0} | {} | {:.0} | {} | {} | {} | {:.1} |",
            pm(m.mean_reward, c(|m| m.mean_reward), 4),
            pm(m.cost_usd_per_m, c(|m| m.cost_usd_per_m), 2),
            m.latency_ms_p50,
            pm(m.latency_ms_p95, c(|m| m.latency_ms_p95), 0),
            m.latency_ms_p99,
            pm(m.carbon_g_per_m, c(|m| m.carbon_g_per_m), 1),
            pm(100.0 * m.sla_violation_rate, 100.0 * c(|m| m.sla_violation_rate), 2) + "%",
            pm(100.0 * m.cold_start_rate, 100.0 * c(|m| m.cold_start_rate), 2) + "%",
            m.idle_gb_h
        );
    }
}

fn diff_row(out: &mut String, label: &str, d: &PairedDiff) {
    let verdict = if d.lo > 0.0 {
        "better"
    } else if d.hi < 0.0 {
        "worse"
    } else {
        "not distinguishable"
    };
    let _ = writeln!(out, "| {label} | {:+.4} | [{:+.4}, {:+.4}] | {} | {verdict} |", d.delta, d.lo, d.hi, d.units);
}

fn header(o: &mut String, r: &Report) {
    let quick = if r.quick { " (--quick smoke run: tiny budgets, numbers are not meaningful)" } else { "" };
    let _ = writeln!(o, "# hdrl run report{quick}\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| trace | {} |", r.trace);
    let _ = writeln!(o, "| load | {} |", r.trace_load);
    let _ = writeln!(
        o,
        "| size | {} invocations, {} functions, {} apps, {} days |",
        r.invocations, r.functions, r.apps, r.days
    );
    let s = &r.split;
    let _ = writeln!(
        o,
        "| split | train days {}–{}, validation {}–{}, test {}–{} (1-based; test days never used in training or model selection) |",
        s.train.0 + 1,
        s.train.1,
        s.val.0 + 1,
        s.val.1,
        s.test.0 + 1,
        s.test.1
    );
    let seeds: Vec<String> = r.seeds.iter().map(u64::to_string).collect();
    let _ = writeln!(o, "| seeds | trace and baselines {}; training {} |", r.seed, seeds.join(", "));
    let _ = writeln!(o, "| carbon | {} |", r.carbon);
    let b = &r.reward_bounds;
    let _ = writeln!(
        o,
        "| reward bounds | cost {:.3e} USD, latency {:.0} ms, carbon {:.3e} g per invocation |",
        b.max_cost_usd, b.max_latency_ms, b.max_carbon_g
    );
    let _ = writeln!(o, "| git revision | {} |", r.git_rev);
    let _ = writeln!(o, "| machine | {} |", r.machine);
    let _ = writeln!(o, "| date | {} |", r.date);
    let total: f64 = r.wall_s.values().sum();
    let _ = writeln!(o, "| wall time | {total:.0} s |\n");
}

fn objectives(o: &mut String, r: &Report) {
    let w = &r.objective_worth;
    let _ = writeln!(o, "## What each objective is worth\n");
    let _ = writeln!(
        o,
        "For each of the {} test function-hours with traffic: the best-minus-worst spread of each weighted reward component over the feasible placements (the hour's own invocations and cold starts). A component that cannot move cannot steer a policy.\n",
        w.function_hours
    );
    let _ = writeln!(o, "| component | median spread | 90th percentile |\n|---|---:|---:|");
    let _ = writeln!(o, "| 0.4·R_cost | {:.4} | {:.4} |", w.cost, w.p90[0]);
    let _ = writeln!(o, "| 0.4·R_perf | {:.4} | {:.4} |", w.perf, w.p90[1]);
    let _ = writeln!(o, "| 0.2·R_carbon | {:.4} | {:.4} |\n", w.carbon, w.p90[2]);
    let _ = writeln!(o, "![carbon intensity](carbon.png)\n");
}

fn policies(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Policies on the test days\n");
    let _ = writeln!(
        o,
        "All policies run through the same per-invocation simulation (instance pools, measured cold starts, hourly carbon, common random numbers). Mean reward is over function-hours; cost includes billed pre-warm time. Learned rows: mean ± 95 % CI over {} training seed(s). Best fixed placement (chosen on train days): {}.\n",
        r.seeds.len(),
        r.best_fixed_placement
    );
    let mut order: Vec<(&str, &str)> = vec![("hierarchy", "hierarchy"), ("hierarchy_int8", "hierarchy_int8")];
    order.extend(BASELINES.iter().map(|b| (*b, *b)));
    policy_table(o, &r.policies, &r.learned, &order);
    let _ =
        writeln!(o, "\n![policies](policies.png)\n\n![pareto](pareto.png)\n\n![carbon pareto](pareto_carbon.png)\n");
    let _ = writeln!(o, "### Hierarchy minus each baseline\n");
    let _ = writeln!(
        o,
        "Difference in mean reward per function-hour; 95 % paired bootstrap interval over test function-days (the hierarchy averaged over seeds).\n"
    );
    let _ =
        writeln!(o, "| baseline | Δ mean reward | 95 % CI | function-days | hierarchy is |\n|---|---:|---:|---:|---|");
    for b in BASELINES {
        if let Some(d) = r.versus.get(b) {
            diff_row(o, b, d);
        }
    }
    let _ = writeln!(o);
}

fn ablation(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Ablation (measured in the same simulator)\n");
    let rows = &r.ablation;
    let mut learned = BTreeMap::new();
    for (row, key) in
        [("strategic_only", "strategic_only"), ("strategic_tactical", "strategic_tactical"), ("full", "hierarchy")]
    {
        if let Some(s) = r.learned.get(key) {
            learned.insert(row.to_string(), s.clone());
        }
    }
    policy_table(
        o,
        rows,
        &learned,
        &[("strategic_only", "strategic_only"), ("strategic_tactical", "strategic_tactical"), ("full", "full")],
    );
    let _ = writeln!(
        o,
        "\n| layer added | Δ mean reward | 95 % CI | function-days | the layer is |\n|---|---:|---:|---:|---|"
    );
    for (label, key) in [("+ tactical (PPO)", "tactical"), ("+ operational (LSTM pre-warming)", "operational")] {
        if let Some(d) = r.ablation_steps.get(key) {
            diff_row(o, label, d);
        }
    }
    let _ = writeln!(
        o,
        "\nstrategic_only: DQN picks the provider, fixed placement in the home region at 1024 MB (or the smallest tier that fits); strategic_tactical: + PPO region and tier; full: + LSTM pre-warming.\n"
    );
    let _ = writeln!(o, "## Pre-warming and keep-alive on the hierarchy's placements\n");
    let mut learned = BTreeMap::new();
    for (row, key) in [
        ("provider_keepalive", "strategic_tactical"),
        ("fixed_10min", "fixed_10min"),
        ("hybrid_histogram", "hybrid_histogram"),
        ("lstm_prewarm", "hierarchy"),
    ] {
        if let Some(s) = r.learned.get(key) {
            learned.insert(row.to_string(), s.clone());
        }
    }
    policy_table(o, &r.prewarm, &learned, &PREWARM_ORDER.map(|k| (k, k)));
    let _ = writeln!(o, "\n![pre-warming trade-off](prewarm.png)\n\n![cold starts](coldstarts.png)\n");
}

fn forecasting(o: &mut String, r: &Report) {
    for (ds, models) in &r.forecast {
        let _ = writeln!(o, "## Forecasting: {ds}\n");
        let _ = writeln!(
            o,
            "| model | RMSE req/s | MAE req/s | R² | MASE | under-provisioned steps | over-provisioning ratio | steps |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|");
        for (m, f) in models {
            let _ = writeln!(
                o,
                "| {m} | {:.4} | {:.4} | {:.3} | {:.3} | {:.1}% | {:.3} | {} |",
                f.rmse,
                f.mae,
                f.r2,
                f.mase,
                100.0 * f.under_rate,
                f.over_ratio,
                f.n
            );
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "![forecast](forecast.png)\n");
}

fn rest(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## What the hierarchy chose (share of test function-hours, mean over seeds)\n");
    let _ = writeln!(o, "| choice | share |\n|---|---:|");
    for (k, v) in &r.hierarchy_choices {
        let _ = writeln!(o, "| {k} | {:.1}% |", 100.0 * v);
    }
    let i = &r.int8;
    let _ = writeln!(o, "\n## int8 against f32\n");
    let _ = writeln!(
        o,
        "| DQN agreement | PPO agreement | LSTM RMSE f32 | LSTM RMSE int8 | int8 hierarchy mean reward |\n|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        o,
        "| {:.2}% | {:.2}% | {:.4} | {:.4} | {:.4} |\n",
        100.0 * i.dqn_agreement,
        100.0 * i.ppo_agreement,
        i.lstm_rmse_f32,
        i.lstm_rmse_int8,
        i.hierarchy_mean_reward
    );
    if !r.training.is_empty() {
        let _ = writeln!(o, "## Training\n\n![training curves](training_curves.png)\n");
        for (seed, learners) in &r.training {
            for (name, m) in learners {
                let vals: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
                let _ = writeln!(o, "- {seed}, {name}: {}", vals.join(", "));
            }
        }
    }
    let _ = writeln!(o, "\n## Exported models\n\n| file | bytes |\n|---|---:|");
    for (k, v) in &r.models {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(o, "\n## Wall time per stage\n\n| stage | s |\n|---|---:|");
    for (k, v) in &r.wall_s {
        let _ = writeln!(o, "| {k} | {v:.1} |");
    }
}

/// Render the markdown report.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    header(&mut o, r);
    objectives(&mut o, r);
    policies(&mut o, r);
    ablation(&mut o, r);
    forecasting(&mut o, r);
    rest(&mut o, r);
    o
}
