#!/usr/bin/env bash
# Builds the napi addon for every platform package, on this Linux x64 machine,
# with cargo-zigbuild (Zig from PyPI links every target):
#
#   scripts/build-addons.sh                    # all seven platforms
#   scripts/build-addons.sh linux-arm64-gnu    # only the named ones
#   ADDON_PROFILE=dev scripts/build-addons.sh linux-arm64-gnu
#                                              # a quick debug build (CI's load test)
#
# Each addon lands in its package folder, npm/<platform>/cdk-lambda-rust.<platform>.node,
# ready for `scripts/pack-all.sh`, and (release builds) under the same name at the repository root,
# where scripts/jsii-package.sh takes every platform's addon for the one tarball
# jsii embeds (and where the napi loader looks first). Nothing else is written
# outside target/.
#
# Why cargo zigbuild directly and not `napi build --target <t> -x`: napi's
# cross-compile mode cannot take the `.2.17` glibc suffix as a triple, sends
# windows-msvc to cargo-xwin (which downloads the MSVC CRT: not possible here),
# and rejects windows-gnu. The binding needs nothing from napi's CLI at link
# time beyond what `build.rs` (napi-build) already emits; index.js and
# index.d.ts come from the host build (`npm run build:native`).
#
# Per target:
# - Linux glibc: `<triple>.2.17`, so the addon needs at most GLIBC_2.17 and
#   loads on Amazon Linux 2, RHEL 7/8, Ubuntu 18.04+.
# - Linux musl: `-C target-feature=-crt-static` (a cdylib must link musl
#   dynamically: it is loaded into a musl Node).
# - macOS: MACOSX_DEPLOYMENT_TARGET 11.0 (arm64) / 10.13 (x64), else Zig marks
#   the file as needing its own newest SDK's macOS. Never stripped after
#   linking: rustc strips Mach-O with an external tool after the link, which
#   would break the arm64 ad-hoc code signature the linker wrote (macOS kills
#   arm64 code whose signature does not match), so the profile's strip is off.
# - Windows: built as x86_64-pc-windows-gnu by Zig and shipped in the
#   `win32-x64-msvc` package, the one the loader picks on the official
#   (MSVC-built) Node for Windows. The addon finds N-API in the host process
#   at load (napi's `dyn-symbols`), so it imports only Windows system DLLs and
#   crosses no C++ ABI. See README "Install" for what this means for users.
#
# Needs: rustup, python3 -m pip (cargo-zigbuild, ziglang). Installs the
# missing rustup targets and cargo-zigbuild itself.
set -euo pipefail
profile="${ADDON_PROFILE:-release}"
case "$profile" in
  release) profile_args=(--release) profile_dir=release ;;
  dev) profile_args=() profile_dir=debug ;;
  *) echo "build-addons: ADDON_PROFILE is release or dev, not '$profile'" >&2; exit 2 ;;
esac

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# platform  cargo target (as given to cargo zigbuild)  rustup triple
all_targets=(
  "linux-x64-gnu    x86_64-unknown-linux-gnu.2.17  x86_64-unknown-linux-gnu"
  "linux-arm64-gnu  aarch64-unknown-linux-gnu.2.17 aarch64-unknown-linux-gnu"
  "linux-x64-musl   x86_64-unknown-linux-musl      x86_64-unknown-linux-musl"
  "linux-arm64-musl aarch64-unknown-linux-musl     aarch64-unknown-linux-musl"
  "darwin-arm64     aarch64-apple-darwin           aarch64-apple-darwin"
  "darwin-x64       x86_64-apple-darwin            x86_64-apple-darwin"
  "win32-x64-msvc   x86_64-pc-windows-gnu          x86_64-pc-windows-gnu"
)

selected=()
if [[ $# -eq 0 ]]; then
  selected=("${all_targets[@]}")
else
  for want in "$@"; do
    found=
    for row in "${all_targets[@]}"; do
      read -r platform _ <<<"$row"
      [[ "$platform" == "$want" ]] && { selected+=("$row"); found=1; }
    done
    [[ -n "$found" ]] || { echo "build-addons: unknown platform '$want' (known: linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl darwin-arm64 darwin-x64 win32-x64-msvc)" >&2; exit 2; }
  done
fi

if ! command -v cargo-zigbuild >/dev/null || ! python3 -c 'import ziglang' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'cargo-zigbuild==0.24.1' 'ziglang==0.17.1'
  hash -r
fi

triples=()
for row in "${selected[@]}"; do
  read -r _ _ triple <<<"$row"
  triples+=("$triple")
done
installed="$(rustup target list --installed)"
missing=()
for t in "${triples[@]}"; do grep -qx "$t" <<<"$installed" || missing+=("$t"); done
[[ ${#missing[@]} -eq 0 ]] || rustup target add "${missing[@]}"

for row in "${selected[@]}"; do
  read -r platform target triple <<<"$row"
  out="npm/$platform/cdk-lambda-rust.$platform.node"
  env=()
  case "$platform" in
    linux-*-musl) env+=("CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$triple")_RUSTFLAGS=-C target-feature=-crt-static") ;;
    darwin-arm64) env+=(MACOSX_DEPLOYMENT_TARGET=11.0 CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_DEV_STRIP=none) ;;
    darwin-x64) env+=(MACOSX_DEPLOYMENT_TARGET=10.13 CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_DEV_STRIP=none) ;;
    win32-*)
      # napi's build script (windows-gnu) insists on finding MSYS2's
      # libnode.dll and adds `-lnode`. With dyn-symbols no symbol is taken
      # from it, so an empty import library satisfies the link and the DLL
      # imports nothing from it (scripts/platforms/check-static.py checks).
      stub="$repo/target/libnode-stub"
      mkdir -p "$stub"
      : >"$stub/libnode.dll"
      printf '!<arch>\n' >"$stub/libnode.a"
      env+=("LIBNODE_PATH=$stub")
      ;;
  esac
  echo "--- $platform ($target)" >&2
  start=$SECONDS
  env "${env[@]}" cargo zigbuild "${profile_args[@]}" --quiet --lib -p cdk-lambda-rust --target "$target"
  case "$triple" in
    *-apple-darwin) built="target/$triple/$profile_dir/libcdk_lambda_rust.dylib" ;;
    *-windows-*) built="target/$triple/$profile_dir/cdk_lambda_rust.dll" ;;
    *) built="target/$triple/$profile_dir/libcdk_lambda_rust.so" ;;
  esac
  mkdir -p "$(dirname "$out")"
  cp "$built" "$out"
  [[ "$profile" != release ]] || cp "$built" "cdk-lambda-rust.$platform.node"
  echo "build-addons: $out ($(stat -c %s "$out") bytes, $((SECONDS - start)) s)" >&2
done
