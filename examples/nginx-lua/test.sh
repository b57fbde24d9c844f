#!/usr/bin/env bash
# End-to-end test of hdrl in nginx + LuaJIT (the OpenResty/Kong pattern): Debian's nginx with
# the lua module, libhdrl.so through LuaJIT's FFI, real HTTP on 127.0.0.1.
#
#   examples/nginx-lua/test.sh
#
# Steps:
#   1. install nginx-light, libnginx-mod-http-lua, libnginx-mod-http-ndk if missing (apt)
#   2. build libhdrl (cargo), a fixture bundle and hdrl_ref; generate hdrl_h.lua (the ffi.cdef
#      declarations) from include/hdrl.h with gen-cdef.sh
#   3. start nginx in the foreground (daemon off) with a private prefix dir, on a free port
#   4. parity with curl: the 120-request sequence of examples/reference/parity.py, in order on
#      one keep-alive connection; every JSON decision must equal hdrl_ref's (state included)
#   5. spot checks: the header contract (good, missing, garbage, NaN, infinite, negative)
#   6. the per-worker function table's capacity (1030 functions, the last ones untracked)
#   7. measure mode (hdrl_measure.lua): 2 workers sharing one table in shared memory, steady,
#      burst and silence with a new connection per request; decisions equal hdrl_measure_ref's,
#      follow the measured traffic, and both workers served requests; a location that names
#      its function ($hdrl_function) is tracked under that id whatever the headers say
#   8. a missing or corrupt bundle: the worker logs the library's message, /decide answers 503
#   9. stop nginx (SIGQUIT, graceful) and check that no process of this nginx is left
# Ends with the line "N passed, N failed"; exits non-zero on any failure.
#
# Knobs: HDRL_BUNDLE (a trained bundle instead of the fixture), HDRL_TEST_TIMEOUT (900 s),
#        HDRL_KEEP_WORK=1 keeps the scratch dir (prefix, logs, requests). CARGO_TARGET_DIR is
#        honoured.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../reference/lib.sh"

# ----------------------------------------------------------------------------------------
# 1. nginx with the lua module
# ----------------------------------------------------------------------------------------
ensure_apt /usr/lib/nginx/modules/ngx_http_lua_module.so nginx-light libnginx-mod-http-lua libnginx-mod-http-ndk
ensure_apt curl curl
[[ -x /usr/sbin/nginx && -f /usr/lib/nginx/modules/ndk_http_module.so ]] ||
  ensure_apt /nonexistent nginx-light libnginx-mod-http-lua libnginx-mod-http-ndk
pass "$(/usr/sbin/nginx -v 2>&1), lua module $(dpkg-query -W -f='${Version}' libnginx-mod-http-lua 2>/dev/null || echo '?')"

# ----------------------------------------------------------------------------------------
# 2. libhdrl, bundle, hdrl_ref, the cdef
# ----------------------------------------------------------------------------------------
hdrl_build
GEN=$WORK/gen
mkdir -p "$GEN"
"$HERE/gen-cdef.sh" "$ROOT/include/hdrl.h" >"$GEN/hdrl_h.lua"
# Every libhdrl function hdrl.lua calls must be declared in the generated cdef.
USED=$(grep -ho 'lib\.hdrl_[a-z_]*' "$HERE/hdrl.lua" "$HERE/hdrl_measure.lua" | sed 's/^lib\.//' | sort -u)
MISSING=$(for f in $USED; do grep -q "[ *]$f(" "$GEN/hdrl_h.lua" || echo "$f"; done)
if [[ -z $MISSING ]]; then
  pass "hdrl_h.lua generated from include/hdrl.h declares all $(wc -w <<<"$USED") functions hdrl.lua calls"
else
  fail "hdrl_h.lua lacks: $MISSING"
fi

# ----------------------------------------------------------------------------------------
# 3. nginx
# ----------------------------------------------------------------------------------------
NGINX_PID=
PREFIX=
start_nginx() { # name bundle [template workers] -> PREFIX, PORT, NGINX_PID
  PREFIX=$WORK/$1
  mkdir -p "$PREFIX/tmp"
  read -r PORT < <(free_ports 1)
  # As root, nginx would switch its workers to "nobody", who cannot read the private (0700)
  # scratch dir; not as root, the directive is ignored.
  local user_line=
  [[ $(id -u) -eq 0 ]] && user_line="user root;"
  sed -e "s#@PREFIX@#$PREFIX#g" -e "s#@PORT@#$PORT#" -e "s#@WORKERS@#${4:-1}#" \
    -e "s#@USER_LINE@#$user_line#" -e "s#@LUA_DIR@#$HERE#" -e "s#@GEN_DIR@#$GEN#" \
    -e "s#@LIBHDRL@#$HDRL_LIB_DIR/libhdrl.so#" -e "s#@BUNDLE@#$2#" \
    -e "s#@FUNCTIONS@#4#" -e "s#@STEP_S@#1#" -e "s#@TEST_CLOCK@#true#" \
    "$HERE/${3:-nginx.conf.tmpl}" >"$PREFIX/nginx.conf"
  /usr/sbin/nginx -t -q -p "$PREFIX" -c "$PREFIX/nginx.conf" || die "nginx -t rejected $PREFIX/nginx.conf"
  timeout 900 /usr/sbin/nginx -p "$PREFIX" -c "$PREFIX/nginx.conf" >"$PREFIX/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  local deadline=$((SECONDS + 30))
  until [[ $(curl -s --max-time 1 "http://127.0.0.1:$PORT/healthz" 2>/dev/null) == ok ]]; do
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$PREFIX/error.log" "$PREFIX/stdout.log"; die "nginx exited (log above)"; }
    ((SECONDS < deadline)) || die "nginx not ready after 30 s"
    sleep 0.2
  done
}

# Graceful stop (SIGQUIT, forwarded by timeout to the master), then: neither the master nor
# any of its workers may still be running.
stop_nginx() {
  local master procs left= pid
  master=$(cat "$PREFIX/nginx.pid" 2>/dev/null || true)
  procs="$master $( [[ -n $master ]] && pgrep -P "$master" || true)"
  kill -QUIT "$NGINX_PID" 2>/dev/null || true
  local deadline=$((SECONDS + 20))
  while kill -0 "$NGINX_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  for pid in $procs; do
    kill -0 "$pid" 2>/dev/null && left="$left $pid"
  done
  if [[ -n $master && -z $left ]]; then
    pass "nginx ($(basename "$PREFIX")) stopped: master $master and its $(($(wc -w <<<"$procs") - 1)) worker(s) gone"
  else
    fail "nginx ($(basename "$PREFIX")): master '${master}', still running:${left:- none}"
  fi
}

check_log_clean() {
  if grep -qE '\[(alert|crit|emerg|error)\]' "$PREFIX/error.log"; then
    fail "nginx logged errors: $(grep -E '\[(alert|crit|emerg|error)\]' "$PREFIX/error.log" | head -3)"
  else
    pass "no error/crit/alert lines in $(basename "$PREFIX")/error.log"
  fi
}

log "starting nginx (1 worker) with hdrl.lua"
start_nginx main "$BUNDLE"
URL=http://127.0.0.1:$PORT/decide
expect_line "error.log (info)" "$PREFIX/error.log" "hdrl: worker [0-9]* loaded bundle '$BUNDLE'.*functions"

# ----------------------------------------------------------------------------------------
# 4./5. Parity with hdrl_ref, spot checks
# ----------------------------------------------------------------------------------------
parity_suite nginx "$URL"

log "one request by hand"
ANSWER=$(curl -sS -H 'x-hdrl-function: by-hand' -H 'x-hdrl-rps: 12' -H 'x-hdrl-mem-mb: 300' \
  -H 'x-hdrl-duration-ms: 120' -H 'x-hdrl-hour: 10' "$URL")
WANT=$(ref_decision $'x-hdrl-function: by-hand\tx-hdrl-rps: 12\tx-hdrl-mem-mb: 300\tx-hdrl-duration-ms: 120\tx-hdrl-hour: 10')
if python3 -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); sys.exit(any(a[k]!=b[k] for k in b))' "$ANSWER" "$WANT"; then
  pass "curl /decide -> $ANSWER"
else
  fail "curl /decide -> $ANSWER, hdrl_ref: $WANT"
fi
stop_nginx
check_log_clean

# ----------------------------------------------------------------------------------------
# 6. Capacity of the per-worker table
# ----------------------------------------------------------------------------------------
log "function table: 1030 functions on a fresh nginx (states for 1024, then ok:untracked)"
start_nginx capacity "$BUNDLE"
python3 "$PARITY" requests --overflow 1030 "$WORK/overflow.tsv" >/dev/null
parity nginx "http://127.0.0.1:$PORT/decide" --expect-statuses ok,ok:untracked "$WORK/overflow.tsv"
stop_nginx
check_log_clean

# ----------------------------------------------------------------------------------------
# 7. Measure mode: two workers, one shared table
# ----------------------------------------------------------------------------------------
log "measure mode: 2 workers sharing one table (mmap in the master), steady/burst/silence, a new connection per request"
HDRL_MEASURE_REF=$WORK/hdrl_measure_ref
cc -std=c11 -Wall -Wextra -Werror -O2 -I"$ROOT/include" -I"$ROOT/examples/reference" \
  "$ROOT/examples/reference/hdrl_measure_ref.c" -L"$HDRL_LIB_DIR" -lhdrl -lm \
  -Wl,-rpath,"$HDRL_LIB_DIR" -o "$HDRL_MEASURE_REF"
start_nginx measure "$BUNDLE" nginx-measure.conf.tmpl 2
tallied python3 "$ROOT/examples/reference/measure.py" run --mode nginx --spread \
  --url "http://127.0.0.1:$PORT/m" --ref "$HDRL_MEASURE_REF" --work "$WORK" \
  --config "measure bundle=$BUNDLE step_s=1 functions=4 duration_ms=200"
stop_nginx
check_log_clean

log "measure mode: a location that names its function (set \$hdrl_function resize;)"
start_nginx measure-location "$BUNDLE" nginx-measure.conf.tmpl 1
expect_location() { # what want start [extra header]: want = "function layers status"
  local got
  got=$(curl -s -H "x-hdrl-test-start: $3" -H "x-hdrl-test-end: $3.05" ${4:+-H "$4"} "http://127.0.0.1:$PORT/fn/resize/x" |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["function"], d["layers"], d["status"])')
  if [[ $got == "$2" ]]; then pass "$1: $got"; else fail "$1: got '$got', want '$2'"; fi
}
expect_location "/fn/resize, its first request: every layer runs" "resize 7 ok" 2000
expect_location "again in the same step, with x-hdrl-function: other: the location's id, cached" "resize 0 ok" 2000 \
  "x-hdrl-function: other"
stop_nginx
check_log_clean

# ----------------------------------------------------------------------------------------
# 8. Missing and corrupt bundles
# ----------------------------------------------------------------------------------------
flipped_copy "$BUNDLE" "$WORK/flipped.hdrl"
n=0
for bad in "$WORK/no-such-bundle.hdrl" "$WORK/flipped.hdrl"; do
  n=$((n + 1))
  log "bundle $(basename "$bad"): the worker logs why, /decide answers 503 with status no_model"
  lib_msg=$(load_message "$bad")
  start_nginx "bad-$n" "$bad"
  if grep -qF "hdrl: cannot load bundle '$bad': $lib_msg (" "$PREFIX/error.log"; then
    pass "error.log names the library's message: $(grep -o "hdrl: cannot load bundle.*no_model" "$PREFIX/error.log" | head -1)"
  else
    fail "no \"hdrl: cannot load bundle '$bad': $lib_msg (\" in error.log: $(grep -o 'hdrl:.*' "$PREFIX/error.log" | head -2)"
  fi
  code=$(curl -s -o "$WORK/bad.json" -w '%{http_code}' -H 'x-hdrl-function: f' -H 'x-hdrl-rps: 1' \
    -H 'x-hdrl-mem-mb: 1' -H 'x-hdrl-duration-ms: 1' "http://127.0.0.1:$PORT/decide" || true)
  if [[ $code == 503 ]] && grep -q '"status":"no_model"' "$WORK/bad.json"; then
    pass "HTTP 503 $(cat "$WORK/bad.json")"
  else
    fail "without a model: HTTP $code $(cat "$WORK/bad.json")"
  fi
  stop_nginx
done

finish
