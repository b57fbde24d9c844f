#!/usr/bin/env bash
# smoke.c under valgrind's memcheck, linked against libhdrl.so and libhdrl.a: fails on any
# memory error and on any byte definitely, indirectly or possibly lost.
#
# The build, fixture bundles and pkg-config install are tests/c_api.rs's; this runs its
# #[ignore]d `smoke_under_valgrind` test, which prints valgrind's summary for each link.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "memcheck.sh: valgrind is not installed" >&2; exit 1; }
cargo test --release -p hdrl --test c_api -- --ignored --exact smoke_under_valgrind --nocapture
