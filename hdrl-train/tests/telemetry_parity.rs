//! One definition of every feature: replaying the default trace's invocations through
//! hdrl-infer's `Telemetry` (what a gateway keeps) gives the trainer's operational steps (the
//! trace's execution times), and its tactical and strategic features.
//!
//! A second replay feeds the simulator's outcome of every invocation (end-to-end latency, cost,
//! cold start) on the function's planned AWS placement, as a gateway would measure them, and
//! compares every tactical metric and every strategic statistic.

use hdrl_infer::placement::rank_of_region;
use hdrl_infer::telemetry::{DAY_S, HOUR_S};
use hdrl_infer::{Outcome, Provider, STEP_S, Telemetry};
use hdrl_train::data::series::operational;
use hdrl_train::data::trace::{Invocation, Trace};
use hdrl_train::data::workload::{Hourly, Profile, Split, profiles};
use hdrl_train::sim::Sim;
use hdrl_train::sim::tables::{Tables, cold_flags, default_placement};

/// Steps per comparison: the window's length, so every closed step is compared once.
const BATCH: usize = 12;

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() <= 1e-4 * (1.0 + a.abs().max(b.abs()))
}

/// The default run's trace (seed 42, full scale) and the trainer's tables of it.
struct DefaultTrace {
    t: Trace,
    hourly: Hourly,
    prof: Vec<Profile>,
    sim: Sim,
    tab: Tables,
}

fn default_trace() -> DefaultTrace {
    let t = hdrl_train::data::synth::generate(42, 1.0);
    let split = Split::for_days(t.days());
    let mem = hdrl_train::data::trace::load_memory_str(hdrl_train::data::refdata::AZURE2019_MEMORY).unwrap();
    let hourly = Hourly::new(&t);
    let prof = profiles(&t, &split, &mem);
    let sim = Sim::new().unwrap();
    let cold = cold_flags(&sim, &prof, &hourly);
    let tab = Tables::build(&sim, &t, prof.clone(), &hourly, cold, (0, split.train.1 * 24));
    DefaultTrace { t, hourly, prof, sim, tab }
}

#[test]
fn replaying_the_default_trace_through_telemetry_gives_the_trainers_features() {
    let DefaultTrace { t, hourly, prof, tab, .. } = default_trace();
    let step_s = STEP_S as f64;
    let steps = (t.days() as f64 * DAY_S / step_s) as usize;
    let (mut compared_steps, mut compared_hours, mut compared_days) = (0usize, 0usize, 0usize);
    for (f, p) in prof.iter().enumerate() {
        let inv: &[Invocation] = &hourly.by_func[f];
        let want = operational(inv, p, 0.0, step_s, steps);
        // Starts and ends in time order; each end carries the invocation's cold flag on AWS's
        // default placement (what the platform would report).
        let aws = Provider::Aws as usize;
        let mut events: Vec<(f64, Option<usize>)> = Vec::with_capacity(inv.len() * 2);
        for (k, i) in inv.iter().enumerate() {
            events.push((i.start, None));
            events.push((i.start + i.duration as f64, Some(k)));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Hours in which an invocation starts or ends while another hour holds its other end.
        let hours = t.days() * 24;
        let mut crossed = vec![false; hours + 1];
        for i in inv {
            let (a, b) = ((i.start / HOUR_S) as usize, ((i.start + i.duration as f64) / HOUR_S) as usize);
            if a != b {
                crossed[a.min(hours)] = true;
                crossed[b.min(hours)] = true;
            }
        }
        let pl = default_placement(p, Provider::Aws);
        let mut tel = Telemetry::new(p.app_context(), STEP_S).unwrap();
        tel.set_placement(rank_of_region(p.home_region, pl.region as usize) as u8, pl.tier);
        tel.tick(0.0).unwrap();
        let mut next = 0;
        for b in 1..=steps / BATCH {
            let until = (b * BATCH) as f64 * step_s;
            while next < events.len() && events[next].0 < until {
                let (at, end) = events[next];
                match end {
                    None => tel.start(at).unwrap(),
                    Some(k) => {
                        let o = Outcome {
                            latency_ms: inv[k].duration * 1000.0,
                            cold: tab.cold.stay[f][aws][k],
                            cost_usd: 0.0,
                        };
                        tel.end(at, &o).unwrap();
                    }
                }
                next += 1;
            }
            tel.tick(until).unwrap();
            // Operational: the last 12 closed steps are the trainer's steps (b−1)·12 … b·12.
            for (got, w) in tel.steps().zip(&want[(b - 1) * BATCH..b * BATCH]) {
                let (g, w) = (got.to_array(), w.to_array());
                assert!(g.iter().zip(&w).all(|(&a, &b)| close(a, b)), "function {f}, step batch {b}: {g:?} vs {w:?}");
                compared_steps += 1;
            }
            // Tactical, at every hour boundary: the closed hour's request rate and cold fraction.
            if until % HOUR_S == 0.0 {
                let h = (until / HOUR_S) as usize - 1;
                let (got, n) = (tel.tactical(), tab.hour[f][h].n);
                assert!(close(got.request_rate, n as f32 / 3600.0), "function {f}, hour {h}");
                // The trainer counts an invocation's cold start in the hour it starts; the
                // telemetry in the hour it ends: the same whenever none crosses the hour.
                if n > 0 && !crossed[h] {
                    let want_cold = tab.hour[f][h].cold[aws] as f32 / n as f32;
                    assert!(close(got.cold_start_prob, want_cold), "function {f}, hour {h}");
                    compared_hours += 1;
                }
                assert_eq!((got.region_rank, got.memory_tier), (0, pl.tier));
            }
            // Strategic, at every day boundary: the count statistics of the last three days.
            if until % DAY_S == 0.0 {
                let d = (until / DAY_S) as usize;
                let (got, want) = (tel.strategic(), tab.strategic_obs(f, d, Provider::Aws));
                for (name, a, b) in [
                    ("daily invocations", got.daily_invocations, want.daily_invocations),
                    ("CV", got.daily_invocations_cv, want.daily_invocations_cv),
                    ("peak to mean", got.peak_to_mean, want.peak_to_mean),
                    ("volume trend", got.volume_trend, want.volume_trend),
                ] {
                    assert!(close(a, b), "function {f}, day {d}, {name}: {a} vs {b}");
                }
                compared_days += 1;
            }
        }
    }
    println!(
        "{} functions: {compared_steps} steps, {compared_hours} function-hours (cold fraction), {compared_days} function-days equal",
        prof.len()
    );
    assert_eq!(compared_steps, prof.len() * steps);
    assert!(compared_hours > prof.len() * 24, "{compared_hours}");
}

/// The tactical and strategic features the trainer derives from simulated invocations: replay
/// each function's invocations on its planned AWS placement, with the simulator's end-to-end
/// latency, cost and cold starts, as a gateway would see them. The trainer counts an invocation
/// in the hour (day) it starts, the telemetry its outcome in the hour (day) it ends: hours and
/// days with an invocation straddling a boundary are left out of the comparison (and counted).
#[test]
fn replaying_simulated_invocations_gives_the_trainers_tactical_and_strategic_features() {
    let DefaultTrace { t, hourly, prof, sim, tab } = default_trace();
    let (hours, days) = (t.days() * 24, t.days());
    let aws = Provider::Aws as usize;
    let (mut hours_equal, mut hours_skipped, mut days_equal, mut days_skipped) = (0, 0, 0, 0);
    for (f, p) in prof.iter().enumerate() {
        let inv: &[Invocation] = &hourly.by_func[f];
        let pl = tab.tactical_best[f][aws];
        let mut events: Vec<(f64, Option<Outcome>)> = Vec::with_capacity(inv.len() * 2);
        let (mut crossed_h, mut crossed_d) = (vec![false; hours + 1], vec![false; days + 1]);
        for (k, i) in inv.iter().enumerate() {
            let c = tab.cold.stay[f][aws][k];
            let cold_ms = if c { sim.cold_ms(pl, hdrl_train::sim::cold_quantile(f, k)) } else { 0.0 };
            let o = sim.invocation(p, pl, i.duration as f64, cold_ms, i.start);
            let end = i.start + o.latency_ms / 1000.0;
            for (len, crossed) in [(HOUR_S, &mut crossed_h), (DAY_S, &mut crossed_d)] {
                let (a, b) = ((i.start / len) as usize, (end / len) as usize);
                let last = crossed.len() - 1;
                if a != b {
                    crossed[a.min(last)] = true;
                    crossed[b.min(last)] = true;
                }
            }
            events.push((i.start, None));
            let outcome = Outcome { latency_ms: o.latency_ms as f32, cold: c, cost_usd: o.cost_usd as f32 };
            events.push((end, Some(outcome)));
        }
        events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut tel = Telemetry::new(p.app_context(), STEP_S).unwrap();
        tel.set_placement(rank_of_region(p.home_region, pl.region as usize) as u8, pl.tier);
        tel.tick(0.0).unwrap();
        let mut next = 0;
        for h in 1..=hours {
            let until = h as f64 * HOUR_S;
            while next < events.len() && events[next].0 < until {
                match events[next].1 {
                    None => tel.start(events[next].0).unwrap(),
                    Some(o) => tel.end(events[next].0, &o).unwrap(),
                }
                next += 1;
            }
            tel.tick(until).unwrap();
            if tab.hour[f][h - 1].n > 0 {
                if crossed_h[h - 1] || crossed_h[h] {
                    hours_skipped += 1;
                } else {
                    let (got, want) = (tel.tactical().to_array(), tab.tactical_obs(f, h - 1, pl).to_array());
                    assert!(
                        got.iter().zip(&want).all(|(&a, &b)| close(a, b)),
                        "function {f}, hour {}: telemetry {got:?} vs trainer {want:?}",
                        h - 1
                    );
                    hours_equal += 1;
                }
            }
            if h % 24 == 0 {
                let d = h / 24;
                if (d.saturating_sub(4)..=d).any(|x| crossed_d[x]) {
                    days_skipped += 1;
                } else {
                    let (got, want) = (tel.strategic().to_array(), tab.strategic_obs(f, d, Provider::Aws).to_array());
                    assert!(
                        got.iter().zip(&want).all(|(&a, &b)| close(a, b)),
                        "function {f}, day {d}: telemetry {got:?} vs trainer {want:?}"
                    );
                    days_equal += 1;
                }
            }
        }
    }
    println!(
        "tactical: {hours_equal} function-hours equal in all 7 metrics ({hours_skipped} with an invocation across the hour's edges left out); \
         strategic: {days_equal} function-days equal in all 9 statistics ({days_skipped} left out)"
    );
    assert!(hours_equal > 10 * hours_skipped, "{hours_equal} vs {hours_skipped}");
    assert!(days_equal > 1000, "{days_equal}");
}
