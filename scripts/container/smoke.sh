#!/usr/bin/env bash
# shellcheck disable=SC2016 # single-quoted scripts run in the container or in bash -c
# Proves, for real, that Docker bundling works on this machine through the
# CDK_DOCKER wrapper (podman + runc) and the local cargo-lambda image:
#
#   bash scripts/container/smoke.sh
#
#  0. the wrapper translates CDK's argv as it should (nothing runs);
#  1. a container of the image runs (its default command, `cargo lambda`);
#  2. `cargo lambda build --release` of __test__/fixtures/single (which needs
#     ../mini_lambda, so the folder holding both is /asset-input and the
#     build runs in /asset-input/single) for x86_64-unknown-linux-gnu and
#     aarch64-unknown-linux-gnu, at the host's platform (--platform
#     linux/amd64, Zig cross-compiles, no emulation), as root (0:0, what CDK
#     passes when run as root) and as 65534:65534, each with a writable
#     CARGO_HOME mount; every bootstrap must be an ELF of the target's
#     machine, written by that user;
#  3. a crate that needs crates.io, a build script and a proc-macro, built for
#     aarch64 as 65534: once with an empty CARGO_HOME (downloads), once more
#     with the same CARGO_HOME and no target dir (no download);
#  4. CDK's own bundling code (aws-cdk-lib AssetStaging, cdk-staging.js) with
#     BundlingFileAccess.BIND_MOUNT and VOLUME_COPY, when node_modules has
#     aws-cdk-lib;
#  5. this library's RustFunction with forceDockerBundling (x86_64 with
#     BIND_MOUNT, ARM64 with VOLUME_COPY), when it is built (npm run build).
#
# Runs setup-engine.sh and build-image.sh first (both are cached). Builds in
# a temporary copy of the fixtures. Ends with a summary of timings and a
# "N passed, N failed" line; exits non-zero when a check failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
fixtures="$repo/__test__/fixtures"

log() { echo "smoke: $*" >&2; }

t0=$SECONDS
docker="$(bash "$here/setup-engine.sh")"
log "engine ready in $((SECONDS - t0)) s: CDK_DOCKER=$docker"
t0=$SECONDS
image="$(bash "$here/build-image.sh")"
log "image ready in $((SECONDS - t0)) s: $image"

work="$(mktemp -d "${TMPDIR:-/tmp}/cdk-lambda-rust-smoke.XXXXXX")"
chmod 0755 "$work"
cleanup() {
  # Containers and volumes of a failed VOLUME_COPY run are CDK's to clean
  # up; everything else is in $work.
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
timings=()
check() {
  local name="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "  ok    $name" >&2
  else
    failed=$((failed + 1))
    echo "  FAIL  $name" >&2
  fi
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# e_machine of an ELF file (62 x86-64, 183 AArch64), or nothing.
elf_machine() {
  [[ -f "$1" ]] || return 0
  [[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" == '177ELF' ]] || return 0
  od -An -t u2 -j 18 -N 2 "$1" | tr -d ' '
}
machine_of() {
  case "$1" in
    x86_64-*) echo 62 ;;
    aarch64-*) echo 183 ;;
  esac
}
is_elf_for() {
  local file="$1" triple="$2" got
  got="$(elf_machine "$file")"
  [[ "$got" == "$(machine_of "$triple")" ]] || { log "$file: e_machine '${got:-not an ELF}', expected $(machine_of "$triple") for $triple"; return 1; }
}
owned_by() {
  local file="$1" uid="$2"
  [[ -e "$file" && "$(stat -c %u "$file")" == "$uid" ]] || { log "$file is not owned by uid $uid"; return 1; }
}

# A fresh copy of the fixtures' `single` and `mini_lambda` (without build
# output), owned by $2.
fresh_fixtures() {
  local dest="$1" owner="$2" crate
  mkdir -p "$dest"
  for crate in single mini_lambda; do
    tar -C "$fixtures" --exclude=target -cf - "$crate" | tar -C "$dest" -xf -
  done
  chown -R "$owner" "$dest"
}

# --- 0. the wrapper's translation (nothing runs) --------------------------------
translation_is() {
  local expected="$1"
  shift
  local got
  got="$(CDK_CONTAINER_DRY_RUN=1 "$docker" "$@" | tr '\n' ' ')"
  [[ "$got" == "$expected " ]] || { log "translated to: $got"; log "expected:      $expected"; return 1; }
}
log "0. the wrapper's translation of CDK's argv"
check "consistency options dropped before the image, command untouched" translation_is \
  "podman --runtime runc run --rm -u 0:0 -v /a:/asset-input:z -v /b:/asset-output --volume=/c:/d -v vol:/e:ro -w /asset-input img bash -c x -v /f:/g:delegated" \
  run --rm -u 0:0 -v /a:/asset-input:z,delegated -v /b:/asset-output:delegated --volume=/c:/d:cached -v vol:/e:ro,consistent -w /asset-input img bash -c x -v /f:/g:delegated
check "CDK_CONTAINER_PLATFORM replaces --platform" env CDK_CONTAINER_PLATFORM=linux/amd64 \
  bash -c 'CDK_CONTAINER_DRY_RUN=1 "$1" run --platform linux/arm64 img | tr "\n" " " | grep -qx "podman --runtime runc run --platform linux/amd64 img "' _ "$docker"
check "other commands pass through" translation_is \
  "podman --runtime runc cp /src/. copyContainer1:/asset-input" cp /src/. copyContainer1:/asset-input

# --- 1. a container runs -------------------------------------------------------
log "1. the image's default command"
start="$(now)"
check "container runs the image's default command (cargo lambda)" \
  bash -c '"$1" run --rm --platform linux/amd64 "$2" >/dev/null' _ "$docker" "$image"
timings+=("container start + cargo lambda: $(since "$start") s")

# --- 2. the fixture, both targets, two users -----------------------------------
build_fixture() {
  local user="$1" triple="$2" src="$3" out="$4" cargo_home="$5"
  "$docker" run --rm -u "$user" \
    -v "$src:/asset-input:delegated" \
    -v "$out:/asset-output:delegated" \
    -v "$cargo_home:/cargo-home:delegated" \
    -w /asset-input --platform linux/amd64 \
    --env CARGO_HOME=/cargo-home \
    "$image" bash -c '
      set -eu
      cd /asset-input/single
      cargo lambda build --release --target "$1" --lambda-dir "target/lambda-$1"
      mkdir -p "/asset-output/$1"
      cp "target/lambda-$1/single-fn/bootstrap" "/asset-output/$1/bootstrap"' \
    smoke "$triple" >&2
}

for user in 0:0 65534:65534; do
  uid="${user%%:*}"
  base="$work/fixture-$uid"
  fresh_fixtures "$base/src" "$user"
  mkdir -p "$base/out" "$base/cargo-home"
  chown "$user" "$base/out" "$base/cargo-home"
  for triple in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
    log "2. fixture single, $triple, as $user"
    start="$(now)"
    if build_fixture "$user" "$triple" "$base/src" "$base/out" "$base/cargo-home"; then
      timings+=("fixture single $triple as $user: $(since "$start") s")
      check "single for $triple as $user is an ELF for $triple" is_elf_for "$base/out/$triple/bootstrap" "$triple"
      check "single for $triple as $user was written by uid $uid" owned_by "$base/out/$triple/bootstrap" "$uid"
    else
      check "cargo lambda build of single for $triple as $user" false
    fi
  done
done

# --- 3. crates.io, a build script and a proc-macro, cold and warm ---------------
net="$work/net"
mkdir -p "$net/src/app/src" "$net/src/pm/src" "$net/cargo-home" "$net/out"
cat > "$net/src/app/Cargo.toml" <<'EOF'
[package]
name = "smoke-app"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
itoa = "1"
smoke-pm = { path = "../pm" }
EOF
cat > "$net/src/app/build.rs" <<'EOF'
fn main() {
    println!("cargo:rustc-env=SMOKE_BUILT_BY=build.rs");
}
EOF
cat > "$net/src/app/src/main.rs" <<'EOF'
smoke_pm::answer!();

fn main() {
    let mut buf = itoa::Buffer::new();
    println!("{} {}", buf.format(answer()), env!("SMOKE_BUILT_BY"));
}
EOF
cat > "$net/src/pm/Cargo.toml" <<'EOF'
[package]
name = "smoke-pm"
version = "0.1.0"
edition = "2021"
publish = false

[lib]
proc-macro = true
EOF
cat > "$net/src/pm/src/lib.rs" <<'EOF'
use proc_macro::TokenStream;

#[proc_macro]
pub fn answer(_input: TokenStream) -> TokenStream {
    "fn answer() -> u32 { 42 }".parse().unwrap()
}
EOF
chown -R 65534:65534 "$net"

build_net() {
  "$docker" run --rm -u 65534:65534 \
    -v "$net/src:/asset-input:delegated" \
    -v "$net/out:/asset-output:delegated" \
    -v "$net/cargo-home:/cargo-home:delegated" \
    -w /asset-input --platform linux/amd64 \
    --env CARGO_HOME=/cargo-home \
    "$image" bash -c '
      set -eu
      cd /asset-input/app
      cargo lambda build --release --target aarch64-unknown-linux-gnu --lambda-dir target/lambda
      cp target/lambda/smoke-app/bootstrap /asset-output/bootstrap' >&2
}
for pass in cold warm; do
  log "3. crate with crates.io dependency, build script and proc-macro, aarch64, as 65534:65534, $pass CARGO_HOME"
  rm -rf "$net/src/app/target" "$net/out/bootstrap"
  start="$(now)"
  if build_net; then
    timings+=("crates.io crate aarch64 as 65534, $pass CARGO_HOME: $(since "$start") s")
    check "crates.io crate ($pass CARGO_HOME) is an ELF for aarch64" is_elf_for "$net/out/bootstrap" aarch64-unknown-linux-gnu
  else
    check "cargo lambda build of the crates.io crate ($pass CARGO_HOME)" false
  fi
  if [[ $pass == cold ]]; then
    check "the mounted CARGO_HOME holds the downloaded itoa crate" \
      bash -c 'compgen -G "$1/registry/cache/*/itoa-*.crate" >/dev/null' _ "$net/cargo-home"
  fi
done

# --- 4. CDK's own bundling code ----------------------------------------------------
if command -v node >/dev/null && [[ -d "$repo/node_modules/aws-cdk-lib" ]]; then
  cdk_case() {
    local access="$1" triple="$2" user="$3" with_cache="$4"
    local uid="${user%%:*}"
    local base="$work/cdk-$access-$uid"
    fresh_fixtures "$base/src" "$user"
    local cache_args=()
    if [[ "$with_cache" == yes ]]; then
      mkdir -p "$base/cargo-home"
      chown "$user" "$base/cargo-home"
      cache_args=("$base/cargo-home")
    fi
    log "4. CDK AssetStaging with $access, $triple, as $user"
    start="$(now)"
    local staged
    if staged="$(CDK_DOCKER="$docker" node "$here/cdk-staging.js" "$base/src" "$base/cdk.out" "$access" "$triple" "$user" "${cache_args[@]}")"; then
      timings+=("CDK $access $triple as $user: $(since "$start") s")
      check "CDK $access staged an ELF for $triple (as $user)" is_elf_for "$staged/bootstrap" "$triple"
    else
      check "CDK $access bundling for $triple as $user" false
    fi
  }
  cdk_case BIND_MOUNT x86_64-unknown-linux-gnu 65534:65534 yes
  cdk_case VOLUME_COPY aarch64-unknown-linux-gnu 0:0 no
  # VOLUME_COPY leaves no container or volume behind.
  check "VOLUME_COPY left no helper container" \
    bash -c '! "$1" ps -a --format "{{.Names}}" | grep -q "^copyContainer"' _ "$docker"
  check "VOLUME_COPY left no volume" \
    bash -c '! "$1" volume ls --format "{{.Name}}" | grep -q "^asset\(Input\|Output\)"' _ "$docker"
else
  log "4. skipped: CDK bundling needs node and node_modules/aws-cdk-lib (npm ci)"
fi

# --- 5. this library's own Docker bundling ---------------------------------------
if command -v node >/dev/null && [[ -f "$repo/dist/index.js" ]] && compgen -G "$repo/*.node" >/dev/null; then
  library_case() {
    local arch="$1" access="$2" triple="$3"
    shift 3
    local base="$work/library-$arch-$access"
    fresh_fixtures "$base/src" 0:0
    log "5. RustFunction $arch, forceDockerBundling, $access${*:+ ($*)}"
    start="$(now)"
    local staged
    # A cache home of its own: the library mounts <XDG_CACHE_HOME>/cdk-lambda-rust/cargo-home.
    if staged="$(env "$@" CDK_DOCKER="$docker" XDG_CACHE_HOME="$base/xdg" node "$here/library-synth.js" "$base/src/single" "$base/cdk.out" "$arch" "$access")"; then
      timings+=("RustFunction $arch $access: $(since "$start") s")
      check "RustFunction $arch ($access) staged an ELF for $triple" is_elf_for "$staged/bootstrap" "$triple"
    else
      check "RustFunction $arch ($access) synthesizes" false
    fi
  }
  library_case X86_64 BIND_MOUNT x86_64-unknown-linux-gnu
  # The library asks for --platform linux/arm64 for ARM_64; the image is
  # linux/amd64 only and Zig cross-compiles, so the wrapper replaces it.
  library_case ARM_64 VOLUME_COPY aarch64-unknown-linux-gnu CDK_CONTAINER_PLATFORM=linux/amd64
else
  log "5. skipped: the library's Docker bundling needs node, dist/ and the native module (npm run build)"
fi

echo >&2
echo "smoke timings:" >&2
for t in "${timings[@]}"; do
  echo "  $t" >&2
done
echo "smoke: $passed passed, $failed failed"
[[ $failed == 0 ]]
