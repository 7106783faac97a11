#!/usr/bin/env bash
# Asset-store benchmark (issue #15): a jest suite of 10 files, each
# synthesizing the 10-function workspace app into a fresh cdk.out, with the
# store warm, with the store off, and with cargo-lambda-cdk. See bench/README.md.
#
#   bash bench/jest-store/run.sh     (after `npm ci && npm run build` at the repository root)
#
# Installs bench/synth's dependencies (cargo-lambda-cdk and its aws-cdk-lib,
# benchmark only) when missing, as bench/synth/run.sh does, then runs run.js.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
synth="$repo/bench/synth"

if [[ ! -f "$repo/dist/index.js" || ! -f "$repo/cdk-lambda-rust.linux-x64-gnu.node" || ! -f "$repo/node_modules/jest/bin/jest.js" ]]; then
  echo "bench/jest-store: build the package first: (cd $repo && npm ci && npm run build)" >&2
  exit 1
fi
if [[ ! -d "$synth/node_modules/cargo-lambda-cdk" || "$synth/package-lock.json" -nt "$synth/node_modules/.package-lock.json" ]]; then
  (cd "$synth" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/run.js" "$@"
