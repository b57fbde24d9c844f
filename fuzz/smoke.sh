#!/usr/bin/env bash
# Fuzz smoke run: build the cargo-fuzz targets (nightly, AddressSanitizer, debug assertions),
# write the seed corpora from seeded fixtures (examples/seeds.rs), run every target for
# SECONDS (default 60), print its executions, and fail on any crash, leak, timeout or
# out-of-memory. Crashing inputs land in fuzz/artifacts/<target>/.
#
#   fuzz/smoke.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz if missing. The working corpus (fuzz/corpus/<target>) persists between
# runs, so a later run starts where an earlier one stopped.
set -euo pipefail
secs="${1:-60}"
shift || true
cd "$(dirname "$0")"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(weights_loader c_abi_decide)
target_dir="${CARGO_TARGET_DIR:-/var/tmp/hdrl-target}"
export CARGO_TERM_COLOR=never

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# Without trace-compares: the instrumentation also lands on AddressSanitizer's shadow checks
# and made the loader five times slower; the format's magic and checksum need no
# comparison-guided search (weights_loader rewrites a valid header in half of its inputs).
fuzz=(cargo +nightly fuzz)
opts=(--no-trace-compares --target-dir "$target_dir")

"${fuzz[@]}" build "${opts[@]}"
cargo +nightly run --quiet --release --target-dir "$target_dir" --example seeds -- corpus

status=0
for t in "${targets[@]}"; do
  log="$target_dir/fuzz-$t.log"
  args=(-max_total_time="$secs" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1)
  # Whole f32 bundles (770 KB) stay whole.
  [ "$t" = weights_loader ] && args+=(-max_len=1048576)
  set +e
  "${fuzz[@]}" run "${opts[@]}" "$t" "corpus/$t" -- "${args[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(sed -n 's/^#[0-9]*[[:space:]]*DONE[[:space:]]*cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "$t: ${execs:-?} executions in ${secs} s, coverage ${cov:-?} edges, crashes 0"
  else
    status=1
    echo "$t: FAILED (exit $rc) after ${execs:-?} executions; log $log, inputs in fuzz/artifacts/$t/"
    grep -E "ERROR|panicked|SUMMARY|Test unit written" "$log" | head -20 || true
  fi
done
exit "$status"
