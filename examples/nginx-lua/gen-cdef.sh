#!/usr/bin/env bash
# Writes hdrl_h.lua, the LuaJIT view of include/hdrl.h, generated from the header itself so
# the two can never disagree:
#
#   examples/nginx-lua/gen-cdef.sh [HEADER] > hdrl_h.lua     (HEADER: include/hdrl.h)
#
# The module returns { cdef = <declarations for ffi.cdef>, VERSION_MAJOR, VERSION_MINOR,
# VERSION_PATCH, MESSAGE_MAX, status_names = { [0] = "ok", [1] = "null_pointer", ... } }.
# The declarations are the header run through the C preprocessor as C11 (comments, #if
# branches for C23/C++, include guards and macros gone; array sizes such as
# HDRL_PROVIDER_COUNT expanded), without its two #include lines (LuaJIT knows the fixed-width
# types and size_t). Needs cpp (gcc) and awk; only at generation time, not on the gateway.
set -euo pipefail
HEADER=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/include/hdrl.h}
decls=$(grep -v '^#include' "$HEADER" | cpp -P -std=c11 -undef -)
macros=$(grep -v '^#include' "$HEADER" | cpp -dM -std=c11 -undef -)
macro() { awk -v n="$1" '$1 == "#define" && $2 == n { print $3 }' <<<"$macros"; }
for m in HDRL_VERSION_MAJOR HDRL_VERSION_MINOR HDRL_VERSION_PATCH HDRL_MESSAGE_MAX; do
  [[ -n $(macro "$m") ]] || { echo "gen-cdef: $m not found in $HEADER" >&2; exit 1; }
done
[[ $decls == *"hdrl_decide"* && $decls != *"]]"* ]] || { echo "gen-cdef: unexpected declarations" >&2; exit 1; }
echo "-- Generated from $(basename "$HEADER") by examples/nginx-lua/gen-cdef.sh; do not edit."
echo "return {"
echo "  VERSION_MAJOR = $(macro HDRL_VERSION_MAJOR),"
echo "  VERSION_MINOR = $(macro HDRL_VERSION_MINOR),"
echo "  VERSION_PATCH = $(macro HDRL_VERSION_PATCH),"
echo "  MESSAGE_MAX = $(macro HDRL_MESSAGE_MAX),"
echo "  status_names = {"
awk '/^ *HDRL_STATUS_[A-Z_]+ = [0-9]+,?$/ {
  name = $1; sub(/^HDRL_STATUS_/, "", name); num = $3; sub(/,$/, "", num)
  printf "    [%s] = \"%s\",\n", num, tolower(name) }' <<<"$decls"
echo "  },"
echo "  cdef = [["
echo "$decls"
echo "]],"
echo "}"
