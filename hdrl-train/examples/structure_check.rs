//! How much does the hierarchy's structure cost? `expected_best` re-plans provider, region and
//! tier per function and hour; the hierarchy fixes the provider per app (or function) and day
//! and re-plans region and tier hourly. This runs expected_best's own estimates under each
//! structure on the test days (exact simulation), and counts its provider choices.
//!
//! With a bundle of the same trace (`-- SCALE BUNDLE`), the hierarchy's gap to
//! `expected_best` split by layer: the bundle's DQN providers with `expected_best` planning
//! region and tier within them, and the planner's daily providers with the bundle's PPO
//! planning within them, beside the bundle's own hierarchy.
//!
//! `cargo run --release -p hdrl-train --example structure_check [-- SCALE [BUNDLE [val|test
//! [AHEAD]]]]` (`val`: on the validation days instead of the test days, to compare settings;
//! BUNDLE may be empty; AHEAD: also `expected_best` and the per-function-day planner with moves
//! judged over AHEAD hours, the PPO's teacher).

use hdrl_infer::Provider;
use hdrl_train::data::synth::generate;
use hdrl_train::evaluate::baselines::placement::{Schedule, expected_best, expected_best_ahead};
use hdrl_train::evaluate::hierarchy;
use hdrl_train::evaluate::simulate::KeepAlivePolicy;
use hdrl_train::evaluate::suite::context;
use hdrl_train::sim::Scenario;
use hdrl_train::sim::estimates::Estimates;

/// Provider per group of functions and day with the best sum of the group's best expected
/// hourly rewards, as `[f][day]` for days `0..` the end of `hours` (AWS before them).
fn daily_providers(
    sc: &Scenario,
    est: &Estimates,
    hours: (usize, usize),
    group: impl Fn(usize) -> usize,
) -> Vec<Vec<Provider>> {
    let nf = sc.tab.profiles.len();
    let days = hours.1.div_ceil(24);
    let groups = (0..nf).map(&group).max().unwrap_or(0) + 1;
    let mut choice = vec![vec![Provider::Aws; days]; groups];
    for d in hours.0 / 24..days {
        for (g, row) in choice.iter_mut().enumerate() {
            let score = |p: Provider| -> f64 {
                (0..nf)
                    .filter(|&f| group(f) == g)
                    .map(|f| {
                        (d * 24..(d + 1) * 24).map(|h| est.best_within(&sc.sim, &sc.tab, f, h, p, None).1).sum::<f64>()
                    })
                    .sum()
            };
            row[d] = Provider::ALL.into_iter().max_by(|a, b| score(*a).total_cmp(&score(*b))).unwrap();
        }
    }
    (0..nf).map(|f| choice[group(f)].clone()).collect()
}

/// Region and tier re-planned hourly by `expected_best` within the provider `providers[f][day]`.
fn within(sc: &Scenario, est: &Estimates, hours: (usize, usize), providers: &[Vec<Provider>]) -> Schedule {
    within_ahead(sc, est, hours, providers, 1)
}

fn within_ahead(
    sc: &Scenario,
    est: &Estimates,
    hours: (usize, usize),
    providers: &[Vec<Provider>],
    ahead: usize,
) -> Schedule {
    providers
        .iter()
        .enumerate()
        .map(|(f, days)| {
            let mut prev = None;
            (hours.0..hours.1)
                .map(|h| {
                    let pl = est.best_within_ahead(&sc.sim, &sc.tab, f, h, days[h / 24], prev, ahead).0;
                    prev = Some(pl);
                    pl
                })
                .collect()
        })
        .collect()
}

/// Provider fixed per group of functions and day, region and tier re-planned hourly within it.
fn daily(sc: &Scenario, est: &Estimates, hours: (usize, usize), group: impl Fn(usize) -> usize) -> Schedule {
    within(sc, est, hours, &daily_providers(sc, est, hours, group))
}

/// Summed function-hour rewards of two schedules over the same function-hours.
#[derive(Clone, Copy, Default)]
struct Split {
    a: f64,
    b: f64,
    n: usize,
}

impl Split {
    fn add(&mut self, a: f32, b: f32) {
        self.a += f64::from(a);
        self.b += f64::from(b);
        self.n += 1;
    }

    /// One line: the count, `b`'s and `a`'s means, and the sum of `b − a`.
    fn print(&self, label: &str) {
        let n = self.n.max(1) as f64;
        println!(
            "  {label}: {} function-hours, mean {:.4} vs {:.4}, sum of differences {:.1}",
            self.n,
            self.b / n,
            self.a / n,
            self.b - self.a
        );
    }
}

fn main() -> anyhow::Result<()> {
    let scale = std::env::args().nth(1).map(|s| s.parse()).transpose()?.unwrap_or(1.0);
    let bundle = std::env::args().nth(2).filter(|b| !b.is_empty());
    let on_val = std::env::args().nth(3).as_deref() == Some("val");
    let ahead: Option<usize> = std::env::args().nth(4).map(|s| s.parse()).transpose()?;
    let sc = Scenario::new(generate(42, scale))?;
    let mut ctx = context(&sc);
    if on_val {
        ctx.hours = (sc.split.val.0 * 24, sc.split.val.1 * 24);
    }
    let est = sc.estimates();
    let hours = ctx.hours;
    let eb = expected_best(&sc.sim, &sc.tab, est, hours);
    let per_app = daily(&sc, est, hours, |f| sc.tab.profiles[f].app as usize);
    let planner = daily_providers(&sc, est, hours, |f| f);
    let per_func = within(&sc, est, hours, &planner);
    let mut rows: Vec<(String, Schedule)> = vec![
        ("expected_best (hourly, per function)".into(), eb),
        ("provider per app-day".into(), per_app),
        ("provider per function-day".into(), per_func),
    ];
    let mut dqn_providers = None;
    if let Some(path) = bundle {
        let h = hdrl_infer::Hierarchy::<hdrl_infer::F32>::load(&std::fs::read(&path)?)
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let start = sc.split.val.0;
        let hier = ctx.hierarchy_schedule(&h, start, true)?;
        // The DQN's provider of every function-day, as the hierarchy's schedule chains them.
        let dqn = hierarchy::dqn_providers(&h, &sc.tab, &sc.sim, start, hours.1.div_ceil(24))?;
        rows.push(("bundle: DQN providers, expected_best within".into(), within(&sc, est, hours, &dqn)));
        rows.push((
            "bundle: planner's providers, PPO within".into(),
            ctx.hierarchy_schedule_with(&h, start, true, Some(&planner))?,
        ));
        rows.push(("bundle: hierarchy (DQN, PPO)".into(), hier));
        dqn_providers = Some(dqn);
    }
    if let Some(ahead) = ahead {
        rows.push((
            format!("expected_best, moves judged over {ahead} h"),
            expected_best_ahead(&sc.sim, &sc.tab, est, hours, ahead),
        ));
        rows.push((format!("provider per function-day, {ahead} h"), within_ahead(&sc, est, hours, &planner, ahead)));
    }
    // Every schedule simulated once, for the split below and the table after it.
    let results: Vec<_> = rows.iter().map(|(_, s)| ctx.simulate(s, None, &KeepAlivePolicy::Provider)).collect();
    if let Some(dqn) = &dqn_providers {
        // Where the PPO loses to expected_best under the same providers: by provider.
        let key = |r: &hdrl_train::evaluate::simulate::PolicyResult| -> std::collections::HashMap<(u32, u32), f32> {
            r.interval_keys.iter().copied().zip(r.interval_rewards.iter().copied()).collect()
        };
        for (a, b) in [(5usize, 3usize), (4, 2)] {
            let (ka, kb) = (key(&results[a]), key(&results[b]));
            let mut by = [Split::default(); 3];
            let mut agree = [Split::default(); 2];
            for (k, va) in &ka {
                if let Some(vb) = kb.get(k) {
                    let (f, h) = (k.0 as usize, k.1 as usize);
                    by[rows[a].1[f][h - hours.0].provider as usize].add(*va, *vb);
                    agree[usize::from(dqn[f][h / 24] == planner[f][h / 24])].add(*va, *vb);
                }
            }
            println!("{} vs {}:", rows[b].0, rows[a].0);
            // How the two schedules' placements differ where the DQN and the planner disagree.
            let (mut n, mut region, mut tier, mut up, mut down) = (0usize, 0usize, 0usize, 0usize, 0usize);
            for (f, (ra, rb)) in rows[a].1.iter().zip(&rows[b].1).enumerate() {
                for (k, (pa, pb)) in ra.iter().zip(rb).enumerate() {
                    let h = hours.0 + k;
                    if sc.tab.hour[f][h].n == 0 || dqn[f][h / 24] == planner[f][h / 24] {
                        continue;
                    }
                    n += 1;
                    region += usize::from(pa.region == pb.region);
                    tier += usize::from(pa.tier == pb.tier);
                    up += usize::from(pa.tier > pb.tier);
                    down += usize::from(pa.tier < pb.tier);
                }
            }
            let pc = |x: usize| 100.0 * x as f64 / n.max(1) as f64;
            println!(
                "  where DQN != planner ({n} function-hours with traffic): same region {:.1} %, same tier {:.1} %, \
                 larger tier {:.1} %, smaller tier {:.1} % ({} against {})",
                pc(region),
                pc(tier),
                pc(up),
                pc(down),
                rows[a].0,
                rows[b].0
            );
            for (same, split) in agree.iter().enumerate() {
                split.print(&format!("DQN == planner {}", same == 1));
            }
            for (p, split) in by.iter().enumerate() {
                split.print(&format!("{:?}", Provider::ALL[p]));
            }
        }
    }
    for ((name, s), result) in rows.iter().zip(&results) {
        let m = result.metrics();
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
