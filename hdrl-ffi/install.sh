#!/usr/bin/env bash
# Install libhdrl (static and shared), include/hdrl.h and two pkg-config files into a prefix.
#
#   hdrl-ffi/install.sh --prefix DIR [--lib-dir DIR] [--no-build]
#
# Builds hdrl-ffi in release mode first (unless --no-build), then copies
#   <lib-dir>/libhdrl.a, <lib-dir>/libhdrl.so  -> DIR/lib/
#   include/hdrl.h                             -> DIR/include/
#   hdrl.pc, hdrl-static.pc                    -> DIR/lib/pkgconfig/
# <lib-dir> defaults to ${CARGO_TARGET_DIR:-target}/release. Afterwards:
#   export PKG_CONFIG_PATH=DIR/lib/pkgconfig
#   cc app.c $(pkg-config --cflags --libs hdrl)          # shared
#   cc app.c $(pkg-config --cflags --libs hdrl-static)   # static
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
prefix=""
lib_dir=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --lib-dir) lib_dir="${2:?--lib-dir needs a directory}"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "usage: $0 --prefix DIR [--lib-dir DIR] [--no-build]" >&2; exit 2 ;;
  esac
done
[ -n "$prefix" ] || { echo "usage: $0 --prefix DIR [--lib-dir DIR] [--no-build]" >&2; exit 2; }

if [ "$build" = 1 ]; then
  (cd "$root" && cargo build -p hdrl-ffi --release)
fi
if [ -z "$lib_dir" ]; then
  target="${CARGO_TARGET_DIR:-$root/target}"
  case "$target" in /*) ;; *) target="$root/$target" ;; esac
  lib_dir="$target/release"
fi
for f in libhdrl.a libhdrl.so; do
  [ -f "$lib_dir/$f" ] || { echo "$lib_dir/$f not found (build hdrl-ffi first)" >&2; exit 1; }
done

mkdir -p "$prefix"
prefix="$(cd "$prefix" && pwd)"
version="$(sed -n 's/^#define HDRL_VERSION_STRING "\(.*\)"$/\1/p' "$root/include/hdrl.h")"
[ -n "$version" ] || { echo "no HDRL_VERSION_STRING in include/hdrl.h" >&2; exit 1; }

install -d "$prefix/lib/pkgconfig" "$prefix/include"
install -m 644 "$lib_dir/libhdrl.a" "$prefix/lib/libhdrl.a"
install -m 755 "$lib_dir/libhdrl.so" "$prefix/lib/libhdrl.so"
install -m 644 "$root/include/hdrl.h" "$prefix/include/hdrl.h"
for pc in hdrl hdrl-static; do
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" "$root/hdrl-ffi/$pc.pc.in" \
    > "$prefix/lib/pkgconfig/$pc.pc"
done
echo "installed hdrl $version into $prefix (PKG_CONFIG_PATH=$prefix/lib/pkgconfig)"
