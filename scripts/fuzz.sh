#!/usr/bin/env bash
# Runs the property tests in src/fuzz_tests.rs with many more cases than CI,
# for a bounded time. Not part of CI. Usage: scripts/fuzz.sh [seconds-per-property]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-120}"
cargo test --release --lib fuzz_tests --no-run
for property in $(cargo test --release --lib fuzz_tests -- --list 2>/dev/null | sed -n 's/^fuzz_tests::\(.*\): test$/\1/p'); do
  case "$property" in
    arbitrary_manifests*) cases=2000 ;;   # each case runs `cargo metadata`
    *) cases=1000000 ;;
  esac
  echo "--- $property ($cases cases, at most ${seconds}s)"
  # proptest stops at the case count; `timeout` bounds the wall time. A
  # timeout (exit 124) means no failure was found in the time given.
  PROPTEST_CASES="$cases" timeout "$seconds" cargo test --release --lib "fuzz_tests::$property" -- --exact --quiet \
    || { status=$?; [ "$status" -eq 124 ] && echo "(time limit reached, no failure)" || exit "$status"; }
done
