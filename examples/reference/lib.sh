# Shared by the gateway tests (examples/envoy/test.sh, examples/nginx-lua/test.sh): sourced,
# not run. Reporting (ok/FAIL lines, the closing "N passed, N failed"), a trap that stops
# every process the test started, free loopback ports, idempotent installs, and the build of
# libhdrl, a fixture bundle and the reference program hdrl_ref.
#
# A test sources it first thing (source "$HERE/../reference/lib.sh"), and may then use:
#   ROOT WORK PIDS PARITY HDRL_LIB_DIR BUNDLE HDRL_REF    (see hdrl_build)
#   log pass fail die finish tallied tally expect_line free_ports wait_for_file ensure_apt hdrl_build
#   parity parity_suite ref_decision flipped_copy load_message

# Bound the whole run: re-exec the test under timeout once (before anything is started).
if [[ -z "${HDRL_TEST_UNDER_TIMEOUT:-}" ]]; then
  export HDRL_TEST_UNDER_TIMEOUT=1
  exec timeout -k 10 "${HDRL_TEST_TIMEOUT:-900}" bash "$0" "$@"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hdrl-gateway-test.XXXXXX")
PIDS=()
PASSED=0
FAILED=0

# Stops what the test started (only the PIDs it recorded), then removes the scratch dir.
hdrl_cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "${HDRL_KEEP_WORK:-}" ]]; then
    echo "scratch dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap hdrl_cleanup EXIT
trap 'exit 130' INT TERM
set -E
trap 'printf "FATAL command failed (status %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND"' ERR

log() { printf '== %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
die() { printf 'FATAL %s\n' "$*"; FAILED=$((FAILED + 1)); finish; }
finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]] && exit 0 || exit 1
}
# tallied COMMAND...: runs a helper (parity.py) and counts the "ok   " / "FAIL " lines it
# prints, in this shell (a pipe into a function would count in a subshell); other lines pass.
tallied() {
  local out
  out=$("$@") || fail "$(basename "$1") exited with status $?"
  tally <<<"$out"
}
tally() {
  local line
  while IFS= read -r line; do
    case $line in
      "ok   "*) pass "${line#ok   }" ;;
      "FAIL "*) fail "${line#FAIL }" ;;
      *) echo "$line" ;;
    esac
  done
}

# expect_line WHAT FILE PATTERN: passes with the first match of PATTERN (grep -o) in FILE.
expect_line() {
  local hit
  hit=$(grep -o -- "$3" "$2" | head -1 || true)
  if [[ -n $hit ]]; then
    pass "$1: $hit"
  else
    fail "$1: no line matching '$3' in $2"
  fi
}

free_ports() { # prints N free TCP ports on 127.0.0.1
  python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_for_file() { # path timeout_s
  local deadline=$((SECONDS + $2))
  while [[ ! -s $1 ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# ensure_apt COMMAND_OR_FILE PACKAGE...: installs the Debian packages unless the command is
# on PATH (or the file exists). As root, or through sudo -n.
ensure_apt() {
  local probe=$1
  shift
  if [[ $probe == /* ]]; then [[ -e $probe ]] && return; else command -v "$probe" >/dev/null && return; fi
  log "installing $* (apt)"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
  timeout 300 "${sudo[@]}" apt-get update -qq >/dev/null || true
  DEBIAN_FRONTEND=noninteractive timeout 600 "${sudo[@]}" apt-get install -y -qq "$@" >/dev/null
}

# Builds libhdrl (cargo, release) and hdrl_ref, and provides a bundle. Sets
#   HDRL_LIB_DIR  the cargo release dir holding libhdrl.so and libhdrl.a
#   BUNDLE        $HDRL_BUNDLE if set (e.g. runs/<ts>/models/bundle.int8.hdrl), else a seeded
#                 fixture bundle written by hdrl-ffi's fixture_bundle example
#   HDRL_REF      the reference program (examples/reference/hdrl_ref.c, linked to libhdrl.so)
hdrl_build() {
  HDRL_LIB_DIR=${CARGO_TARGET_DIR:-$ROOT/target}/release
  log "building libhdrl and the fixture bundle writer (cargo --release, CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-default})"
  (cd "$ROOT" && cargo build --release -q -p hdrl-ffi --lib --example fixture_bundle)
  [[ -f $HDRL_LIB_DIR/libhdrl.so && -f $HDRL_LIB_DIR/libhdrl.a ]] || die "no libhdrl in $HDRL_LIB_DIR"
  if [[ -n "${HDRL_BUNDLE:-}" ]]; then
    BUNDLE=$(cd "$(dirname "$HDRL_BUNDLE")" && pwd)/$(basename "$HDRL_BUNDLE")
  else
    BUNDLE=$WORK/bundle.hdrl
    "$HDRL_LIB_DIR/examples/fixture_bundle" "$BUNDLE" i8 2 >/dev/null
  fi
  HDRL_REF=$WORK/hdrl_ref
  cc -std=c11 -Wall -Wextra -Werror -O2 -I"$ROOT/include" -I"$ROOT/examples/reference" \
    "$ROOT/examples/reference/hdrl_ref.c" -L"$HDRL_LIB_DIR" -lhdrl -lm \
    -Wl,-rpath,"$HDRL_LIB_DIR" -o "$HDRL_REF"
  pass "libhdrl $(basename "$HDRL_LIB_DIR")/libhdrl.{so,a}, bundle $(basename "$BUNDLE") ($(stat -c %s "$BUNDLE") bytes), hdrl_ref built with -Werror"
}

PARITY=$ROOT/examples/reference/parity.py

# parity MODE(envoy|nginx) URL [compare options] REQUESTS.tsv: parity.py compare against
# hdrl_ref, its ok/FAIL lines counted.
parity() {
  local mode=$1 url=$2
  shift 2
  tallied python3 "$PARITY" compare --mode "$mode" --url "$url" --ref "$HDRL_REF" --bundle "$BUNDLE" \
    --work "$WORK" "$@"
}

# parity_suite MODE URL: the header mapping of hdrl_ref (vs the README), the seeded 120-request sequence (state evolution, bad requests in
# between), then the spot checks of the header contract, one request each.
parity_suite() {
  tallied python3 "$PARITY" mapping --ref "$HDRL_REF" --bundle "$BUNDLE"
  log "parity: the decisions the gateway applies vs hdrl_ref, request by request (curl, one keep-alive connection)"
  python3 "$PARITY" requests "$WORK/sequence.tsv"
  parity "$1" "$2" --expect-providers aws,azure,gcp --expect-model-forecasts \
    --expect-statuses "ok,missing:x-hdrl-duration-ms,invalid:x-hdrl-rps,invalid:x-hdrl-obs,non_finite_input:x-hdrl-rps,out_of_range:x-hdrl-mem-mb,out_of_range:x-hdrl-obs.strategic_cost_usd_per_m" \
    "$WORK/sequence.tsv"
  log "spot checks: good, missing, garbage, NaN, infinite and negative headers, each with its documented status"
  python3 "$PARITY" spots "$WORK/spots.tsv"
  parity "$1" "$2" --spots "$WORK/spots.tsv"
}

# flipped_copy SRC DST: SRC with one byte in the middle flipped (a bundle with a bad checksum).
flipped_copy() {
  python3 - "$1" "$2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0x5A
open(sys.argv[2], "wb").write(bytes(b))
EOF
}

# load_message PATH: the library's status message for loading PATH as a bundle (hdrl_ref prints
# "cannot load PATH: MESSAGE (DETAIL)"); empty if it loads.
load_message() {
  "$HDRL_REF" "$1" </dev/null 2>&1 >/dev/null | sed -n "s#^hdrl_ref: cannot load $1: \([^(]*\) (.*#\1#p" || true
}

# ref_decision 'name: value<TAB>name: value...': hdrl_ref's JSON decision for one request
# made on a fresh state.
ref_decision() {
  printf '%s\n' "$1" | "$HDRL_REF" "$BUNDLE"
}
