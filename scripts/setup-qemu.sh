#!/usr/bin/env bash
# Unpacks a user-mode qemu for aarch64 plus a minimal aarch64 glibc sysroot into
# <repo>/.cache/qemu (no installation, no binfmt registration), so the tests can
# run aarch64 Lambda binaries on an x86_64 host:
#
#   .cache/qemu/usr/bin/qemu-aarch64-static -L .cache/qemu/usr/aarch64-linux-gnu ./bootstrap
#
# Idempotent: does nothing when the cache is already complete.
# Prints the path of qemu-aarch64-static on stdout; progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$repo/.cache/qemu"
qemu="$cache/usr/bin/qemu-aarch64-static"
sysroot="$cache/usr/aarch64-linux-gnu"
packages=(qemu-user-static libc6-arm64-cross libgcc-s1-arm64-cross)

complete() {
  [[ -x "$qemu" && -e "$sysroot/lib/ld-linux-aarch64.so.1" && -e "$sysroot/lib/libc.so.6" && -e "$sysroot/lib/libgcc_s.so.1" ]]
}

if complete; then
  echo "$qemu"
  exit 0
fi

command -v apt-get >/dev/null || { echo "setup-qemu: apt-get is required" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "setup-qemu: dpkg-deb is required" >&2; exit 1; }

work="$(mktemp -d)"
staging="$cache.partial.$$"
trap 'rm -rf "$work" "$staging"' EXIT

apt_opts=(-q)
# As root, apt drops privileges to _apt, which cannot write into our private temp dir.
[[ "$(id -u)" == 0 ]] && apt_opts+=(-o APT::Sandbox::User=root)

echo "setup-qemu: downloading ${packages[*]}" >&2
if ! (cd "$work" && apt-get "${apt_opts[@]}" download "${packages[@]}") >&2; then
  echo "setup-qemu: download failed, refreshing package lists" >&2
  apt-get "${apt_opts[@]}" update >&2
  (cd "$work" && apt-get "${apt_opts[@]}" download "${packages[@]}") >&2
fi

mkdir -p "$staging"
for deb in "$work"/*.deb; do
  echo "setup-qemu: unpacking $(basename "$deb")" >&2
  dpkg-deb -x "$deb" "$staging"
done

# qemu-user-static ships an emulator per architecture (~370 MB); keep only aarch64.
find "$staging/usr/bin" -name 'qemu-*' ! -name 'qemu-aarch64-static' -delete
rm -rf "$staging/usr/share/doc" "$staging/usr/share/man" "$staging/usr/share/lintian"

rm -rf "$cache"
mkdir -p "$(dirname "$cache")"
mv "$staging" "$cache"

if ! complete; then
  echo "setup-qemu: unpacked packages do not contain the expected files under $cache" >&2
  exit 1
fi
echo "$qemu"
