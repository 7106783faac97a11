#!/usr/bin/env bash
# Builds, in podman's local storage, a stand-in for the image CDK's Docker
# bundling runs by default (ghcr.io/cargo-lambda/cargo-lambda:1.9.2, which
# cannot be pulled here), tagged with exactly that name, so the default path
# runs unchanged:
#
#   bash scripts/container/build-image.sh [--force]
#
# The image: a Debian rootfs from debootstrap, the host's CA bundle, the
# host's Rust toolchain (rustc, cargo, std for x86_64 and aarch64 Linux),
# cargo-lambda and Zig from PyPI, with the real image's environment
# (image/recipe.sh says what, image/make-rootfs.sh does it). Also builds the
# busybox stand-in for the helper image of BundlingFileAccess.VOLUME_COPY.
#
# Cached: an image whose label carries the digest of the recipe (these
# scripts, the host toolchain's version, the CA bundle) is not rebuilt;
# --force rebuilds anyway. Runs setup-engine.sh first when the engine is not
# set up. Prints the image name on stdout; progress goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=image/recipe.sh
source "$here/image/recipe.sh"

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    *) echo "build-image: unknown argument $arg (only --force)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
[[ "$(id -u)" == 0 ]] || { log "run as root (debootstrap and podman's rootful storage need it)"; exit 1; }

dir="$repo/.cache/container"
bash "$here/setup-engine.sh" >/dev/null
export CONTAINERS_CONF="${CONTAINERS_CONF:-$dir/containers.conf}"
podman=(podman --runtime runc)

# One build at a time per checkout.
exec 9>"$dir/build-image.lock"
flock 9

sysroot="$(cd "$repo" && rustc --print sysroot)"
ca_bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"

# The recipe digest: everything that decides the image's content.
recipe_digest() {
  {
    cat "$here/build-image.sh" "$here/image/recipe.sh" "$here/image/make-rootfs.sh"
    "$sysroot/bin/rustc" -vV
    "$sysroot/bin/cargo" -V
    for t in "${RUST_TARGETS[@]}"; do
      if [[ -f "$sysroot/lib/rustlib/manifest-rust-std-$t" ]]; then
        sha256sum < "$sysroot/lib/rustlib/manifest-rust-std-$t"
      fi
    done
    rustup --version 2>/dev/null
    sha256sum < "$ca_bundle"
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
      cat /usr/local/share/ca-certificates/*.crt | sha256sum
    fi
    uname -m
  } | sha256sum | cut -c1-64
}

helper_digest() {
  {
    cat "$here/build-image.sh" "$here/image/recipe.sh"
    uname -m
  } | sha256sum | cut -c1-64
}

# The digest label of a local image, empty when there is no such image.
label_of() {
  "${podman[@]}" image inspect --format "{{ index .Labels \"$DIGEST_LABEL\" }}" "$1" 2>/dev/null || true
}

image_id() {
  "${podman[@]}" image inspect --format '{{ .Id }}' "$1" 2>/dev/null || true
}

# Drops the image a rebuild replaced, when nothing uses it any more.
drop_replaced() {
  local old="$1" new="$2"
  if [[ -n "$old" && "$old" != "$new" ]]; then
    "${podman[@]}" rmi "$old" >/dev/null 2>&1 || log "kept the replaced image $old (still in use)"
  fi
}

# Imports the rootfs folder $2 (changes after it) under a temporary name,
# runs the check command in it, and only then gives it the name $1: a
# broken build never carries the name or the digest label.
#   import_checked NAME ROOTFS CHECK_COMMAND --change ...
import_checked() {
  local name="$1" root="$2" check_cmd="$3"
  shift 3
  local temp old
  temp="localhost/cdk-lambda-rust-build:$$"
  old="$(image_id "$name")"
  tar -C "$root" --numeric-owner -cf - . | "${podman[@]}" import -q "$@" \
    --message "cdk-lambda-rust scripts/container/build-image.sh" - "$temp" >/dev/null
  if ! "${podman[@]}" run --rm -u 65534:65534 "$temp" sh -c "$check_cmd" >&2; then
    "${podman[@]}" rmi "$temp" >/dev/null 2>&1 || true
    log "the new $name failed its check (above); the name was left as it was"
    return 1
  fi
  "${podman[@]}" tag "$temp" "$name"
  "${podman[@]}" untag "$temp" "$temp"
  drop_replaced "$old" "$(image_id "$name")"
}

# debootstrap (for the rootfs) and apt-get/dpkg-deb (for busybox).
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2; then
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
  fi
fi

# What an interrupted build left: its temporary image, its scratch folders.
for stale in $("${podman[@]}" images --format '{{ .Repository }}:{{ .Tag }}' --filter reference='localhost/cdk-lambda-rust-build' 2>/dev/null); do
  "${podman[@]}" rmi "$stale" >/dev/null 2>&1 || true
done
rm -rf "$dir"/build.??????

work="$(mktemp -d "$dir/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- the helper image of VOLUME_COPY -------------------------------------------
build_helper() {
  local digest
  digest="$(helper_digest)"
  if [[ $force == 0 && "$(label_of "$HELPER_IMAGE")" == "$digest" ]]; then
    log "$HELPER_IMAGE is up to date"
    return 0
  fi
  log "building $HELPER_IMAGE (busybox stand-in)"
  local apt_opts=(-q -o APT::Sandbox::User=root)
  if ! (cd "$work" && apt-get "${apt_opts[@]}" download "$HELPER_PACKAGE") >&2; then
    log "download failed, refreshing package lists"
    apt-get "${apt_opts[@]}" update >&2
    (cd "$work" && apt-get "${apt_opts[@]}" download "$HELPER_PACKAGE") >&2
  fi
  dpkg-deb -x "$work"/"$HELPER_PACKAGE"_*.deb "$work/busybox"
  local root="$work/helper-rootfs" applet
  mkdir -p "$root/bin" "$root/tmp" "$root/etc"
  install -m 0755 "$work/busybox/bin/busybox" "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
  done
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  import_checked "$HELPER_IMAGE" "$root" 'mkdir -p /tmp/x && chown -R 65534:65534 /tmp/x' \
    --change 'ENV PATH=/bin' \
    --change 'CMD ["/bin/sh"]' \
    --change "LABEL $DIGEST_LABEL=$digest" \
    --change 'LABEL org.opencontainers.image.description="Local busybox stand-in for the helper image of CDK VOLUME_COPY bundling, built by cdk-lambda-rust scripts/container/build-image.sh"'
}

# --- the cargo-lambda image ----------------------------------------------------
build_main() {
  local digest start
  digest="$(recipe_digest)"
  if [[ $force == 0 && "$(label_of "$IMAGE")" == "$digest" ]]; then
    log "$IMAGE is up to date (recipe digest ${digest:0:12})"
    return 0
  fi
  start=$SECONDS
  log "building $IMAGE (recipe digest ${digest:0:12})"
  bash "$here/image/make-rootfs.sh" "$work/rootfs" "$work/scratch" "$dir" "$sysroot"
  local rust_version
  rust_version="$(cat "$work/scratch/rust-version")"
  log "importing into podman and checking the image's tools, as an unknown user like CDK's"
  local changes=() e
  for e in "${EXTRA_ENV[@]}"; do
    changes+=(--change "ENV $e")
  done
  import_checked "$IMAGE" "$work/rootfs" \
    'set -e; cargo --version; rustc --version; cargo lambda --version; zig version; rustup target list --installed' \
    "${changes[@]}" \
    --change "ENV PATH=$IMAGE_PATH" \
    --change "ENV RUSTUP_HOME=$RUSTUP_HOME_DIR" \
    --change "ENV CARGO_HOME=$CARGO_HOME_DIR" \
    --change "ENV RUST_VERSION=$rust_version" \
    --change "WORKDIR /" \
    --change "CMD $IMAGE_CMD" \
    --change "LABEL $DIGEST_LABEL=$digest" \
    --change 'LABEL org.opencontainers.image.description="Local stand-in for ghcr.io/cargo-lambda/cargo-lambda, built by cdk-lambda-rust scripts/container/build-image.sh"'
  rm -rf "$work/rootfs"
  log "built $IMAGE in $((SECONDS - start)) s, $("${podman[@]}" image inspect --format '{{ .Size }}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
}

build_helper
build_main
echo "$IMAGE"
