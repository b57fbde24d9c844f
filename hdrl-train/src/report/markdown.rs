//! `report.md`: the run's tables, with the plots linked.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::evaluate::metrics::PolicyMetrics;
use crate::report::summary::Report;

fn policy_table(out: &mut String, rows: &BTreeMap<String, PolicyMetrics>, order: &[&str]) {
    let _ = writeln!(
        out,
        "| policy | mean reward | cost USD/M inv | p50 ms | p95 ms | p99 ms | carbon g/M inv | SLA viol. | cold starts | idle GB-h |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut names: Vec<&String> = order.iter().filter_map(|o| rows.keys().find(|k| k.as_str() == *o)).collect();
    for k in rows.keys() {
        if !names.contains(&k) {
            names.push(k);
        }
    }
    for n in names {
        let m = &rows[n];
        let _ = writeln!(
            out,
            "| {n} | {:.4} | {:.2} | {:.0} | {:.0} | {:.0} | {:.1} | {:.2}% | {:.2}% | {:.1} |",
            m.mean_reward,
            m.cost_usd_per_m,
            m.latency_ms_p50,
            m.latency_ms_p95,
            m.latency_ms_p99,
            m.carbon_g_per_m,
            100.0 * m.sla_violation_rate,
            100.0 * m.cold_start_rate,
            m.idle_gb_h
        );
    }
}

/// Render the markdown report.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# hdrl run report{}\n",
        if r.quick { " (--quick smoke run: tiny budgets, numbers are not meaningful)" } else { "" }
    );
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| trace | {} |", r.trace);
    let _ = writeln!(o, "| load | {} |", r.trace_load);
    let _ = writeln!(
        o,
        "| size | {} invocations, {} functions, {} apps, {} days |",
        r.invocations, r.functions, r.apps, r.days
    );
    let _ = writeln!(
        o,
        "| split | train days {}–{}, validation {}–{}, test {}–{} (1-based; test days never used in training or model selection) |",
        r.split.train.0 + 1,
        r.split.train.1,
        r.split.val.0 + 1,
        r.split.val.1,
        r.split.test.0 + 1,
        r.split.test.1
    );
    let _ = writeln!(o, "| seed | {} |", r.seed);
    let _ = writeln!(o, "| git revision | {} |", r.git_rev);
    let _ = writeln!(o, "| machine | {} |", r.machine);
    let _ = writeln!(o, "| date | {} |", r.date);
    let total: f64 = r.wall_s.values().sum();
    let _ = writeln!(o, "| wall time | {total:.0} s |\n");

    let _ = writeln!(o, "## Policies on the test days\n");
    let _ = writeln!(
        o,
        "All policies run through the same per-invocation simulation (instance pools, measured cold starts, common random numbers). Mean reward is over function-hours; cost includes billed pre-warm time. Best fixed placement (chosen on train days): {}.\n",
        r.best_fixed_placement
    );
    policy_table(
        &mut o,
        &r.policies,
        &[
            "hierarchy",
            "hierarchy_int8",
            "oracle",
            "best_fixed",
            "greedy_carbon",
            "cheapest",
            "fastest",
            "greenest",
            "random",
        ],
    );
    let _ = writeln!(o, "\n![policies](policies.png)\n\n![pareto](pareto.png)\n");

    let _ = writeln!(o, "## Ablation (measured in the same simulator)\n");
    policy_table(&mut o, &r.ablation, &["strategic_only", "strategic_tactical", "full"]);
    let _ = writeln!(
        o,
        "\nstrategic_only: DQN picks the provider, fixed placement in the home region at 1024 MB (or the smallest tier that fits); strategic_tactical: + PPO region and tier; full: + LSTM pre-warming.\n"
    );

    let _ = writeln!(o, "## Pre-warming and keep-alive on the hierarchy's placements\n");
    policy_table(&mut o, &r.prewarm, &["provider_keepalive", "fixed_10min", "hybrid_histogram", "lstm_prewarm"]);
    let _ = writeln!(o, "\n![cold starts](coldstarts.png)\n");

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

    let _ = writeln!(o, "## What the hierarchy chose (share of test function-hours)\n");
    let _ = writeln!(o, "| choice | share |\n|---|---:|");
    for (k, v) in &r.hierarchy_choices {
        let _ = writeln!(o, "| {k} | {:.1}% |", 100.0 * v);
    }
    let _ = writeln!(o);

    let i = &r.int8;
    let _ = writeln!(o, "## int8 against f32\n");
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

    let _ = writeln!(o, "## Training\n\n![training curves](training_curves.png)\n");
    for (name, m) in &r.training {
        let vals: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v:.4}")).collect();
        let _ = writeln!(o, "- {name}: {}", vals.join(", "));
    }
    let _ = writeln!(o, "\n## Exported models\n\n| file | bytes |\n|---|---:|");
    for (k, v) in &r.models {
        let _ = writeln!(o, "| {k} | {v} |");
    }
    let _ = writeln!(o, "\n## Wall time per stage\n\n| stage | s |\n|---|---:|");
    for (k, v) in &r.wall_s {
        let _ = writeln!(o, "| {k} | {v:.1} |");
    }
    o
}
