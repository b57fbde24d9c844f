#!/usr/bin/env bash
# Regenerate include/hdrl.h from hdrl-ffi with the pinned cbindgen.
#
#   hdrl-ffi/gen-header.sh           rewrite include/hdrl.h
#   hdrl-ffi/gen-header.sh --check   fail (exit 1, with a diff) when include/hdrl.h is stale
#
# Installs cbindgen $CBINDGEN_VERSION with `cargo install --locked` when the cbindgen on PATH
# (or in ~/.cargo/bin) is missing or another version; idempotent.
set -euo pipefail

CBINDGEN_VERSION=0.29.4
root="$(cd "$(dirname "$0")/.." && pwd)"
header="$root/include/hdrl.h"

mode=write
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

cbindgen_bin() {
  for c in cbindgen "${CARGO_HOME:-$HOME/.cargo}/bin/cbindgen"; do
    if command -v "$c" >/dev/null 2>&1 && [ "$("$c" --version 2>/dev/null)" = "cbindgen $CBINDGEN_VERSION" ]; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if ! bin="$(cbindgen_bin)"; then
  echo "installing cbindgen $CBINDGEN_VERSION" >&2
  # A private target dir keeps the install from locking or dirtying the workspace's.
  CARGO_TARGET_DIR="${TMPDIR:-/tmp}/hdrl-cbindgen-install" \
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --force >&2
  bin="$(cbindgen_bin)" || { echo "cbindgen $CBINDGEN_VERSION not found after install" >&2; exit 1; }
fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
(cd "$root/hdrl-ffi" && "$bin" --quiet --config cbindgen.toml --output "$tmp")

if [ "$mode" = check ]; then
  if [ -f "$header" ] && cmp -s "$tmp" "$header"; then
    echo "include/hdrl.h is up to date (cbindgen $CBINDGEN_VERSION)"
    exit 0
  fi
  echo "include/hdrl.h is stale: run hdrl-ffi/gen-header.sh and commit the result" >&2
  diff -u "$header" "$tmp" >&2 || true
  exit 1
fi

if [ -f "$header" ] && cmp -s "$tmp" "$header"; then
  echo "include/hdrl.h unchanged"
else
  cp "$tmp" "$header"
  echo "wrote include/hdrl.h"
fi
