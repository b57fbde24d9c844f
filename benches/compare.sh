#!/usr/bin/env bash
# hdrl-infer vs ONNX Runtime on the same weights, batch 1, the same core, in one run.
#
#   benches/compare.sh [BUNDLE.f32.hdrl]     (default: the seeded fixture bundle, seed 7)
#
# 1. exports the bundle's f32 networks as ONNX (`hdrl export --bundle B --onnx DIR`) and checks
#    them against hdrl-infer (tests/onnx/check.py, 1e-5);
# 2. times hdrl-infer's f32 passes with criterion (`benches/decisions.rs` on that bundle:
#    HDRL_BENCH_BUNDLE_F32), pinned to one core with taskset;
# 3. times the ONNX models in ONNX Runtime (benches/onnxruntime_bench.py, one intra-op thread)
#    pinned to the same core;
# 4. prints medians and ratios (ONNX Runtime / hdrl). Takes about 3 minutes after the build.
# Knobs: HDRL_CORE (default 1), HDRL_CACHE (the venv's home).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
core=${HDRL_CORE:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

py=$(tests/onnx/venv.sh)
cargo build --release -q -p hdrl-train --bin hdrl
bundle=${1:-}
if [[ -z $bundle ]]; then
  cargo build --release -q -p hdrl-ffi --example fixture_bundle
  bundle=$work/bundle.f32.hdrl
  "$CARGO_TARGET_DIR/release/examples/fixture_bundle" "$bundle" f32 7 >/dev/null
fi
bundle=$(cd "$(dirname "$bundle")" && pwd)/$(basename "$bundle")
"$CARGO_TARGET_DIR/release/hdrl" export --bundle "$bundle" --onnx "$work/onnx" 2>/dev/null
"$py" tests/onnx/check.py "$work/onnx"

crit=$work/criterion
HDRL_BENCH_BUNDLE_F32=$bundle CRITERION_HOME=$crit taskset -c "$core" \
  cargo bench -q --bench decisions -- --warm-up-time 1 --measurement-time 3 '^(dqn|ppo|lstm_window)/f32$' >/dev/null 2>&1
ort_json=$(taskset -c "$core" "$py" benches/onnxruntime_bench.py "$work/onnx")

"$py" - "$crit" "$ort_json" "$bundle" "$core" <<'PY'
import json, os, platform, sys
crit, ort_ns, bundle, core = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4]
def med(group):
    with open(os.path.join(crit, group, "f32", "new", "estimates.json")) as f:
        return json.load(f)["median"]["point_estimate"]
import onnxruntime
print(f"weights {bundle}; core {core}; onnxruntime {onnxruntime.__version__}; {platform.processor() or platform.machine()}")
print("| model (f32, batch 1) | hdrl-infer | ONNX Runtime | ONNX Runtime / hdrl |")
print("|---|---:|---:|---:|")
for label, group, key in [("DQN", "dqn", "dqn"), ("PPO actor + critic, shared trunk", "ppo", "ppo"), ("LSTM, 12-step window", "lstm_window", "lstm")]:
    h, o = med(group), ort_ns[key]
    print(f"| {label} | {h/1000:.2f} µs | {o/1000:.2f} µs | {o/h:.1f}× |")
PY
