#!/usr/bin/env python3
"""Print the README's "latest default run" section from a run directory's report.json.

Usage: docs/results_table.py runs/<ts>   (the numbers are pasted, never retyped)
"""
import json
import sys

run = sys.argv[1]
r = json.load(open(f"{run}/report.json"))
order = ["hierarchy", "hierarchy_int8", "oracle", "fastest", "best_fixed", "cheapest",
         "greedy_carbon", "greenest", "random"]
print(f"Latest default run (`cargo run --release -p hdrl-train -- run`, seed {r['seed']}, "
      f"{r['date'][:10]}, {r['machine']}, git {r['git_rev']}; total wall time "
      f"{sum(r['wall_s'].values()):.0f} s). Test days 13–14 of the synthetic trace "
      f"({r['invocations']:,} invocations), one simulator run for every row:\n")
print("| policy | mean reward | cost USD / M inv | latency p50 / p95 / p99 ms | carbon g / M inv | SLA violations | cold starts |")
print("|---|---:|---:|---:|---:|---:|---:|")
for k in order:
    m = r["policies"][k]
    print(f"| {k} | {m['mean_reward']:.3f} | {m['cost_usd_per_m']:.1f} | "
          f"{m['latency_ms_p50']:.0f} / {m['latency_ms_p95']:.0f} / {m['latency_ms_p99']:.0f} | "
          f"{m['carbon_g_per_m']:.0f} | {100*m['sla_violation_rate']:.2f} % | {100*m['cold_start_rate']:.2f} % |")
a = r["ablation"]
print(f"\nAblation (same run): strategic only {a['strategic_only']['mean_reward']:.3f} → "
      f"+ tactical {a['strategic_tactical']['mean_reward']:.3f} → "
      f"+ operational pre-warming {a['full']['mean_reward']:.3f}.")
p = r["prewarm"]
print(f"Keep-alive / pre-warming on the hierarchy's placements (cold starts, idle GB-h, cost USD/M): "
      + "; ".join(f"{k} {100*v['cold_start_rate']:.2f} %, {v['idle_gb_h']:.0f}, {v['cost_usd_per_m']:.1f}"
                  for k, v in p.items()) + ".")
for ds, models in r["forecast"].items():
    best = min((v["rmse"], k) for k, v in models.items())
    l = models["lstm"]
    print(f"Forecasting ({ds}): LSTM RMSE {l['rmse']:.4f} req/s, MASE {l['mase']:.2f}, "
          f"under-provisioned {100*l['under_rate']:.1f} % of steps, over-provisioning ratio "
          f"{l['over_ratio']:.2f}; best RMSE {best[1]} {best[0]:.4f}.")
i = r["int8"]
print(f"int8 vs f32: DQN agreement {100*i['dqn_agreement']:.2f} %, PPO {100*i['ppo_agreement']:.2f} %, "
      f"LSTM RMSE {i['lstm_rmse_f32']:.4f} → {i['lstm_rmse_int8']:.4f}, int8 hierarchy reward "
      f"{i['hierarchy_mean_reward']:.3f}.")
w = r["wall_s"]
print("Wall time per stage (s): " + ", ".join(f"{k} {v:.0f}" for k, v in w.items()) + ".")
