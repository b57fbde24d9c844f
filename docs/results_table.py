#!/usr/bin/env python3
"""Print the README's "latest run" section from a run directory's report.json.

Usage: docs/results_table.py runs/<ts> "<the command that made it>"
(the numbers are pasted, never retyped)
"""
import json
import sys

run = sys.argv[1]
command = sys.argv[2] if len(sys.argv) > 2 else "cargo run --release -p hdrl-train -- run"
r = json.load(open(f"{run}/report.json"))
learned = r["learned"]
n = len(r["seeds"])


def ci(key, field, scale=1.0, digits=3):
    m = learned[key]["mean"][field] * scale
    h = learned[key]["ci95"][field]
    if h is None or h != h:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ± {h * scale:.{digits}f}"


order = ["hierarchy", "hierarchy_int8", "oracle_hourly", "oracle", "expected_best", "expected_best_6h", "best_fixed",
         "fastest", "greedy_carbon", "cheapest", "greenest", "random"]
seeds = ", ".join(str(s) for s in r["seeds"])
print(f"Latest run (`{command}`, {r['date'][:10]}, {r['machine']}, git {r['git_rev']}; total wall "
      f"time {sum(r['wall_s'].values()):.0f} s). Test days 13–14 of the synthetic trace "
      f"({r['invocations']:,} invocations), one simulator run per row; learned rows are the mean "
      f"± 95 % CI over {n} training seed(s) ({seeds}); carbon: {r['carbon']}; reward bounds "
      f"derived from the training days: cost {r['reward_bounds']['max_cost_usd']:.3g} USD, latency "
      f"{r['reward_bounds']['max_latency_ms']:.0f} ms, carbon {r['reward_bounds']['max_carbon_g']:.3g} g "
      f"per invocation.\n")
print("| policy | mean reward | Δ hierarchy − policy [95 % CI] | cost USD / M inv | latency p50 / p95 / p99 ms | carbon g / M inv | SLA violations | cold starts |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for k in order:
    m = r["policies"][k]
    reward = ci(k, "mean_reward") if k in learned else f"{m['mean_reward']:.3f}"
    v = r["versus"].get(k)
    diff = f"{v['delta']:+.3f} [{v['lo']:+.3f}, {v['hi']:+.3f}]" if v else ""
    cost = ci(k, "cost_usd_per_m", digits=1) if k in learned else f"{m['cost_usd_per_m']:.1f}"
    carbon = ci(k, "carbon_g_per_m", digits=0) if k in learned else f"{m['carbon_g_per_m']:.0f}"
    print(f"| {k} | {reward} | {diff} | {cost} | "
          f"{m['latency_ms_p50']:.0f} / {m['latency_ms_p95']:.0f} / {m['latency_ms_p99']:.0f} | "
          f"{carbon} | {100*m['sla_violation_rate']:.2f} % | {100*m['cold_start_rate']:.2f} % |")
w = r["objective_worth"]
print(f"\nWhat each objective is worth (median test function-hour, best-minus-worst feasible "
      f"placement): 0.4·R_cost {w['cost']:.3f}, 0.4·R_perf {w['perf']:.3f}, 0.2·R_carbon {w['carbon']:.3f}.")
s = r["ablation_steps"]
print(f"Ablation (same run): strategic only {ci('strategic_only', 'mean_reward')} → "
      f"+ tactical {ci('strategic_tactical', 'mean_reward')} (Δ {s['tactical']['delta']:+.3f} "
      f"[{s['tactical']['lo']:+.3f}, {s['tactical']['hi']:+.3f}]) → "
      f"+ operational pre-warming {ci('hierarchy', 'mean_reward')} (Δ {s['operational']['delta']:+.3f} "
      f"[{s['operational']['lo']:+.3f}, {s['operational']['hi']:+.3f}]).")
p = r["prewarm"]
print(f"Keep-alive / pre-warming on the hierarchy's placements (cold starts, idle GB-h, cost USD/M): "
      + "; ".join(f"{k} {100*v['cold_start_rate']:.2f} %, {v['idle_gb_h']:.0f}, {v['cost_usd_per_m']:.1f}"
                  for k, v in p.items()) + ".")
for ds, models in r["forecast"].items():
    best = min((v["rmse"], k) for k, v in models.items() if not k.startswith("lstm"))
    l = models["lstm"]
    print(f"Forecasting ({ds}): LSTM RMSE {l['rmse']:.4f} req/s ({l['rmse']/best[0]:.2f}× the best "
          f"baseline, {best[1]} {best[0]:.4f}), MAE {l['mae']:.4f}, MASE {l['mase']:.2f}, "
          f"under-provisioned {100*l['under_rate']:.1f} % of steps.")
i = r["int8"]
print(f"int8 vs f32: DQN agreement {100*i['dqn_agreement']:.2f} %, PPO {100*i['ppo_agreement']:.2f} %, "
      f"LSTM RMSE {i['lstm_rmse_f32']:.4f} → {i['lstm_rmse_int8']:.4f}, int8 hierarchy reward "
      f"{i['hierarchy_mean_reward']:.3f}.")
wall = r["wall_s"]
print("Wall time per stage (s, summed over seeds): " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(wall.items())) + ".")
