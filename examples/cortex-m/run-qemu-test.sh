#!/usr/bin/env bash
# hdrl on an emulated Cortex-M4F: build the firmware, boot it in QEMU (mps2-an386), and check
# every decision it prints against the host's, plus its flash and RAM footprint.
#
#   examples/cortex-m/run-qemu-test.sh          # from anywhere; installs what it needs
#
# Variants: int8 linked for a 1 MiB-flash / 256 KiB-RAM part (limits asserted) and f32 on the
# board's 4 + 4 MiB (footprint reported). Honours CARGO_TARGET_DIR and CARGO_BUILD_JOBS;
# HDRL_QEMU_TIMEOUT (seconds, default 120) bounds each QEMU run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# Resolve against the caller's directory before changing into ours.
target_dir="$(realpath -m "${CARGO_TARGET_DIR:-$here/target}")"
export CARGO_TARGET_DIR="$target_dir"
timeout_s="${HDRL_QEMU_TIMEOUT:-120}"
cd "$here"

say() { echo "-- $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

say "toolchain and emulator"
rustup target list --installed | grep -qx thumbv7em-none-eabihf || rustup target add thumbv7em-none-eabihf
if ! command -v qemu-system-arm >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends qemu-system-arm
fi
qemu-system-arm --version | head -n 1

say "host tool: unit tests, then the weight bundles the firmware embeds"
# host/.cargo/config.toml builds it for this machine; the parent config targets the Cortex-M.
(cd host && cargo test --release -q && cargo run --release -q -- bundle ../bundles)

out="$target_dir/hdrl-edge"
mkdir -p "$out"
passed=0
failed=0
# name | cargo features | extra check arguments
variants=(
  "int8|small-part|--max-flash 1048576 --max-ram 262144"
  "f32|f32|"
)
for v in "${variants[@]}"; do
  IFS='|' read -r name features limits <<<"$v"
  say "$name: build (features: ${features:-none})"
  cargo build --release -q --features "$features"
  elf="$out/$name.elf"
  cp "$target_dir/thumbv7em-none-eabihf/release/hdrl-cortex-m" "$elf"

  say "$name: run under qemu-system-arm -M mps2-an386 (at most ${timeout_s}s)"
  status=0
  timeout "$timeout_s" qemu-system-arm -M mps2-an386 -nographic \
    -semihosting-config enable=on,target=native -kernel "$elf" \
    >"$out/$name.log" 2>"$out/$name.stderr" || status=$?
  if [ "$status" -eq 124 ]; then
    cat "$out/$name.log" "$out/$name.stderr" >&2
    fail "$name: QEMU did not finish within ${timeout_s}s"
  fi
  grep -c '^hdrl-edge ' "$out/$name.log" | xargs echo "   lines printed:"
  if [ "$status" -ne 0 ]; then
    cat "$out/$name.log" "$out/$name.stderr" >&2
    fail "$name: firmware exited with status $status"
  fi

  say "$name: compare with the host"
  # shellcheck disable=SC2086 # $limits is a list of arguments
  if (cd host && cargo run --release -q -- check "$name" --log "$out/$name.log" --elf "$elf" $limits); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "   firmware output kept in $out/$name.log" >&2
  fi
done

echo "cortex-m: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || fail "the emulated Cortex-M4F disagrees with the host (see MISMATCH lines above)"
