//! How much does the hierarchy's structure cost? `expected_best` re-plans provider, region and
//! tier per function and hour; the hierarchy fixes the provider per app (or function) and day
//! and re-plans region and tier hourly. This runs expected_best's own estimates under each
//! structure on the test days (exact simulation), and counts its provider choices.
//!
//! `cargo run --release -p hdrl-train --example structure_check [-- SCALE]`

use hdrl_infer::Provider;
use hdrl_train::data::synth::generate;
use hdrl_train::evaluate::baselines::placement::{Schedule, expected_best};
use hdrl_train::evaluate::simulate::KeepAlivePolicy;
use hdrl_train::evaluate::suite::context;
use hdrl_train::sim::Scenario;
use hdrl_train::sim::estimates::Estimates;

/// Provider fixed per group of functions and day (the sum of the group's best expected hourly
/// rewards), region and tier re-planned hourly within it.
fn daily(sc: &Scenario, est: &Estimates, hours: (usize, usize), group: impl Fn(usize) -> usize) -> Schedule {
    let nf = sc.tab.profiles.len();
    let groups = (0..nf).map(&group).max().unwrap_or(0) + 1;
    let days: Vec<usize> = (hours.0 / 24..hours.1.div_ceil(24)).collect();
    let mut choice = vec![vec![Provider::Aws; days.len()]; groups];
    for (di, &d) in days.iter().enumerate() {
        for (g, row) in choice.iter_mut().enumerate() {
            let score = |p: Provider| -> f64 {
                (0..nf)
                    .filter(|&f| group(f) == g)
                    .map(|f| {
                        (d * 24..(d + 1) * 24).map(|h| est.best_within(&sc.sim, &sc.tab, f, h, p, None).1).sum::<f64>()
                    })
                    .sum()
            };
            row[di] = Provider::ALL.into_iter().max_by(|a, b| score(*a).total_cmp(&score(*b))).unwrap();
        }
    }
    (0..nf)
        .map(|f| {
            let mut prev = None;
            (hours.0..hours.1)
                .map(|h| {
                    let p = choice[group(f)][h / 24 - hours.0 / 24];
                    let pl = est.best_within(&sc.sim, &sc.tab, f, h, p, prev).0;
                    prev = Some(pl);
                    pl
                })
                .collect()
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    let scale = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let sc = Scenario::new(generate(42, scale))?;
    let ctx = context(&sc);
    let est = sc.estimates();
    let hours = ctx.hours;
    let eb = expected_best(&sc.sim, &sc.tab, est, hours);
    let per_app = daily(&sc, est, hours, |f| sc.tab.profiles[f].app as usize);
    let per_func = daily(&sc, est, hours, |f| f);
    for (name, s) in [
        ("expected_best (hourly, per function)", &eb),
        ("provider per app-day", &per_app),
        ("provider per function-day", &per_func),
    ] {
        let m = ctx.simulate(s, None, &KeepAlivePolicy::Provider).metrics();
        let mut shares = [0usize; 3];
        for (f, row) in s.iter().enumerate() {
            for (k, pl) in row.iter().enumerate() {
                if sc.tab.hour[f][hours.0 + k].n > 0 {
                    shares[pl.provider as usize] += 1;
                }
            }
        }
        let n: usize = shares.iter().sum();
        println!(
            "{name:40} reward {:.4}  cost {:.1}  carbon {:.1}  sla {:.2}%  providers aws/azure/gcp {:.0}/{:.0}/{:.0} %",
            m.mean_reward,
            m.cost_usd_per_m,
            m.carbon_g_per_m,
            100.0 * m.sla_violation_rate,
            100.0 * shares[0] as f64 / n as f64,
            100.0 * shares[1] as f64 / n as f64,
            100.0 * shares[2] as f64 / n as f64
        );
    }
    Ok(())
}
