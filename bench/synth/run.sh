#!/usr/bin/env bash
# Synth benchmark (issue #6): cdk-lambda-rust vs cargo-lambda-cdk, 10 Lambda
# functions in one cargo workspace. See bench/README.md.
#
#   bash bench/synth/run.sh          (after `npm ci && npm run build` at the repository root)
#
# Installs this folder's own dependencies (cargo-lambda-cdk and the
# aws-cdk-lib it runs on: benchmark only, never the package's), then runs
# run.js. Takes several minutes on 2 cores: every tool starts cold.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [[ ! -f "$repo/dist/index.js" || ! -f "$repo/cdk-lambda-rust.linux-x64-gnu.node" ]]; then
  echo "bench/synth: build the package first: (cd $repo && npm ci && npm run build)" >&2
  exit 1
fi
if [[ ! -d "$here/node_modules/cargo-lambda-cdk" || "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/run.js" "$@"
