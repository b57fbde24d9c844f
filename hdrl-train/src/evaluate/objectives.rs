//! What each objective is worth: how far the choice of placement can move each weighted
//! component of the reward (0.4·R_cost, 0.4·R_perf, 0.2·R_carbon). For every test
//! function-hour with traffic, the best-minus-worst spread of each component over the feasible
//! placements (the hour's actual invocations and cold starts, the scenario's bounds); the
//! report gives the median over function-hours. A component whose median spread is near zero
//! cannot influence a learner.

use hdrl_infer::placement::allowed_actions;
use hdrl_infer::reward::{W_CARBON, W_COST, W_PERF};
use serde::Serialize;

use crate::sim::bounds::quantile;
use crate::sim::tables::hour_totals;
use crate::sim::{Placement, Scenario};

/// Median (and 90th percentile) spreads of the weighted components over test function-hours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ObjectiveWorth {
    /// Median spread of 0.4·R_cost.
    pub cost: f64,
    /// Median spread of 0.4·R_perf.
    pub perf: f64,
    /// Median spread of 0.2·R_carbon.
    pub carbon: f64,
    /// 90th-percentile spreads (cost, perf, carbon).
    pub p90: [f64; 3],
    /// Function-hours measured.
    pub function_hours: usize,
}

/// Measure the spreads over the hours `[h0, h1)` of a scenario.
pub fn worth(sc: &Scenario, hours: (usize, usize)) -> ObjectiveWorth {
    let (tab, sim) = (&sc.tab, &sc.sim);
    let (mut c, mut p, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for (f, prof) in tab.profiles.iter().enumerate() {
        let ok = allowed_actions(prof.memory_need_mb);
        let feasible: Vec<Placement> =
            Placement::all_for(prof.home_region).filter(|pl| ok[pl.action_for(prof.home_region)]).collect();
        for h in hours.0..hours.1.min(sc.hourly.hours) {
            let (a, b) = sc.hourly.idx[f][h];
            if a == b {
                continue;
            }
            let inv = sc.hourly.get(f, h);
            let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
            for pl in &feasible {
                let flags = &tab.cold.stay[f][pl.provider as usize][a as usize..b as usize];
                let r = sim.reward(&hour_totals(sim, f, a as usize, *pl, inv, flags, prof, None));
                let w = [(W_COST * r.cost) as f64, (W_PERF * r.perf) as f64, (W_CARBON * r.carbon) as f64];
                for k in 0..3 {
                    lo[k] = lo[k].min(w[k]);
                    hi[k] = hi[k].max(w[k]);
                }
            }
            c.push(hi[0] - lo[0]);
            p.push(hi[1] - lo[1]);
            g.push(hi[2] - lo[2]);
        }
    }
    let n = c.len();
    ObjectiveWorth {
        cost: quantile(&mut c, 0.5),
        perf: quantile(&mut p, 0.5),
        carbon: quantile(&mut g, 0.5),
        p90: [quantile(&mut c, 0.9), quantile(&mut p, 0.9), quantile(&mut g, 0.9)],
        function_hours: n,
    }
}
