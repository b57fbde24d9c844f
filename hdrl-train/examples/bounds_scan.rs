//! How the reward-bound quantile decides what each objective is worth: for several quantiles,
//! the derived bounds and the median test function-hour's spread of each weighted component
//! (the default trace). docs/decision-quality.md records its output.
//!
//! `cargo run --release -p hdrl-train --example bounds_scan [-- SCALE]`

use hdrl_train::data::synth::generate;
use hdrl_train::evaluate::objectives::worth;
use hdrl_train::sim::{Scenario, bounds};

fn main() -> anyhow::Result<()> {
    let scale = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let mut sc = Scenario::new(generate(42, scale))?;
    let samples = bounds::samples(&sc.sim, &sc.tab.profiles, &sc.hourly, &sc.tab.cold, sc.train_hours());
    println!("{} training (function-hour, placement) samples", samples.0.len());
    println!(
        "| quantile | cost bound USD | latency bound ms | carbon bound g | 0.4·R_cost | 0.4·R_perf | 0.2·R_carbon |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for q in [0.5, 0.6, 0.75, 0.9, 0.95, 0.99] {
        sc.sim.bounds = bounds::at_quantile(&samples, q);
        let w = worth(&sc, sc.test_hours());
        let b = sc.sim.bounds;
        println!(
            "| {q} | {:.3e} | {:.0} | {:.3e} | {:.4} | {:.4} | {:.4} |",
            b.max_cost_usd, b.max_latency_ms, b.max_carbon_g, w.cost, w.perf, w.carbon
        );
    }
    Ok(())
}
