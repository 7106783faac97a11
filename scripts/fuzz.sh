#!/usr/bin/env bash
# Runs the property tests of crates/core/tests/properties.rs with many more
# cases than CI, for a bounded time. Not part of CI.
# Usage: scripts/fuzz.sh [seconds-per-property]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
# Keep every cache the run could touch out of the user's: the core's cache
# folder and cargo's target folder are this run's own.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export CDK_LAMBDA_RUST_CACHE_DIR="$scratch/cache" XDG_CACHE_HOME="$scratch/xdg"
tests=(-p cdk-lambda-rust-core --release --test properties)
cargo test "${tests[@]}" --no-run
properties=$(cargo test "${tests[@]}" -- --list 2>/dev/null | sed -n 's/^\(.*\): test$/\1/p')
[ -n "$properties" ] || { echo "fuzz.sh: no properties found" >&2; exit 1; }
for property in $properties; do
  case "$property" in
    # Fixed checks, not properties: one run says all they can.
    known_gap_* | cargo_refuses_* | elf_mutations_reach_* | elf_readings_*) continue ;;
    # Each case runs cargo.
    arbitrary_manifests* | binary_names_we_accept*) cases=2000 ;;
    *) cases=1000000 ;;
  esac
  echo "--- $property ($cases cases, at most ${seconds}s)"
  # proptest stops at the case count; `timeout` bounds the wall time. A
  # timeout (exit 124) means no failure was found in the time given.
  PROPTEST_CASES="$cases" timeout "$seconds" cargo test "${tests[@]}" "$property" -- --exact --quiet \
    || { status=$?; [ "$status" -eq 124 ] && echo "(time limit reached, no failure)" || exit "$status"; }
done
