#!/usr/bin/env bash
# Assembles the root filesystem of the cargo-lambda stand-in image into an
# empty folder, from recipe.sh beside this file:
#
#   make-rootfs.sh ROOTFS WORK CACHE SYSROOT
#
#   ROOTFS   folder to fill (created; must not exist or be empty)
#   WORK     scratch folder
#   CACHE    folder kept between builds (Debian packages)
#   SYSROOT  the host toolchain to copy (`rustc --print sysroot`)
#
# Run as root (debootstrap). Progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=recipe.sh
source "$here/recipe.sh"

rootfs="$1"
work="$2"
cache="$3"
sysroot="$4"

log() { echo "make-rootfs: [${SECONDS}s] $*" >&2; }

mkdir -p "$rootfs" "$work" "$cache/debs"

# --- Debian ------------------------------------------------------------------
command -v debootstrap >/dev/null || { log "debootstrap is required (apt-get install debootstrap)"; exit 1; }
log "debootstrap $SUITE (minbase + ${PACKAGES[*]}) from $DEBIAN_MIRROR"
include="$(IFS=,; echo "${PACKAGES[*]}")"
debootstrap --variant=minbase --include="$include" --cache-dir="$cache/debs" \
  "$SUITE" "$rootfs" "$DEBIAN_MIRROR" > "$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  log "debootstrap failed (full log above was cut to its last 30 lines)"
  exit 1
}

# What a container does not need: downloaded package lists and archives,
# documentation.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
  "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/debootstrap

# --- CA certificates ---------------------------------------------------------
# The host's bundle, so cargo trusts whatever the host trusts on its way to
# crates.io; the host's own extra certificates go in too, so a later
# update-ca-certificates in the container keeps them.
host_bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
[[ -f "$host_bundle" ]] || host_bundle=/etc/ssl/certs/ca-certificates.crt
[[ -f "$host_bundle" ]] || { log "no CA bundle on the host at $host_bundle"; exit 1; }
install -m 0644 "$host_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
fi

# --- Rust --------------------------------------------------------------------
# The host toolchain's rustc and cargo and the standard library of each
# target in RUST_TARGETS: exactly the files their rustup manifests list, so
# rustup in the container sees a consistent toolchain.
[[ -x "$sysroot/bin/rustc" && -x "$sysroot/bin/cargo" ]] || { log "no rustc and cargo in $sysroot"; exit 1; }
rust_version="$("$sysroot/bin/rustc" --version | awk '{print $2}')"
host_triple="$("$sysroot/bin/rustc" -vV | sed -n 's/^host: //p')"
toolchain="$rust_version-$host_triple"
components=("rustc-$host_triple" "cargo-$host_triple")
for t in "${RUST_TARGETS[@]}"; do
  components+=("rust-std-$t")
done
rustlib="$sysroot/lib/rustlib"
: > "$work/toolchain-files"
for c in "${components[@]}"; do
  manifest="$rustlib/manifest-$c"
  if [[ ! -f "$manifest" ]]; then
    log "the host toolchain has no component $c (rustup target add / rustup component add first)"
    exit 1
  fi
  sed -n 's/^\(file\|dir\)://p' "$manifest" >> "$work/toolchain-files"
  echo "lib/rustlib/manifest-$c" >> "$work/toolchain-files"
done
printf '%s\n' lib/rustlib/multirust-channel-manifest.toml lib/rustlib/rust-installer-version >> "$work/toolchain-files"
dest="$rootfs$RUSTUP_HOME_DIR/toolchains/$toolchain"
mkdir -p "$dest"
log "copying rust $rust_version ($(IFS=' '; echo "${components[*]}"))"
tar -C "$sysroot" -cf - -T "$work/toolchain-files" | tar -C "$dest" -xf -
# rustup's own record of the components, limited to the ones copied.
printf '%s\n' "${components[@]}" > "$dest/lib/rustlib/components"
{
  echo 'config_version = "1"'
  for c in "${components[@]}"; do
    pkg="${c%-"$host_triple"}"
    target="$host_triple"
    if [[ "$c" == rust-std-* ]]; then
      pkg=rust-std
      target="${c#rust-std-}"
    fi
    printf '\n[[components]]\npkg = "%s"\ntarget = "%s"\nis_extension = false\n' "$pkg" "$target"
  done
} > "$dest/lib/rustlib/multirust-config.toml"
cat > "$rootfs$RUSTUP_HOME_DIR/settings.toml" <<SETTINGS
version = "12"
default_toolchain = "$toolchain"
profile = "minimal"

[overrides]
SETTINGS

# rustup itself and its proxies for the two tools the toolchain has, as the
# official image has them in CARGO_HOME/bin.
rustup_bin="$(command -v rustup || true)"
[[ -n "$rustup_bin" ]] || { log "rustup is required on the host"; exit 1; }
rustup_bin="$(readlink -f "$rustup_bin")"
mkdir -p "$rootfs$CARGO_HOME_DIR/bin"
install -m 0755 "$rustup_bin" "$rootfs$CARGO_HOME_DIR/bin/rustup"
for proxy in cargo rustc rustdoc; do
  ln -sf rustup "$rootfs$CARGO_HOME_DIR/bin/$proxy"
done
# Like the official image: any user CDK runs the container as may write there.
chmod -R a+w "$rootfs$RUSTUP_HOME_DIR" "$rootfs$CARGO_HOME_DIR"
echo "$rust_version" > "$work/rust-version"

# --- cargo-lambda and Zig from PyPI ------------------------------------------
log "installing ${PYPI[*]} from PyPI"
python3 -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
  --target "$work/pypi" "${PYPI[@]}" >&2
[[ -x "$work/pypi/bin/cargo-lambda" ]] || { log "the cargo-lambda wheel brought no bin/cargo-lambda"; exit 1; }
[[ -x "$work/pypi/ziglang/zig" ]] || { log "the ziglang wheel brought no ziglang/zig"; exit 1; }
mkdir -p "$rootfs$CARGO_LAMBDA_DIR"
install -m 0755 "$work/pypi/bin/cargo-lambda" "$rootfs$CARGO_LAMBDA_DIR/cargo-lambda"
# Zig finds its lib/ beside its own binary; the Python shim files are not
# needed without Python.
rm -rf "$work/pypi/ziglang/__pycache__" "$work/pypi/ziglang/__init__.py" "$work/pypi/ziglang/__main__.py"
mkdir -p "$(dirname "$rootfs$ZIG_DIR")"
cp -a "$work/pypi/ziglang" "$rootfs$ZIG_DIR"

# Zig's and cargo-zigbuild's caches land in $HOME/.cache; HOME is / for a
# user the image's /etc/passwd does not know.
mkdir -p "$rootfs/.cache"
chmod 0777 "$rootfs/.cache"

log "rootfs ready: $(du -sh "$rootfs" | cut -f1)"
