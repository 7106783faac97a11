# Recipe of the local stand-in for cargo-lambda's bundling image, sourced by
# scripts/container/build-image.sh. Data only: what goes into the image and the
# metadata it carries. Its text is part of the recipe digest, so changing any
# value here rebuilds the image.

# The name AWS CDK runs by default (lib/bundling.ts DEFAULT_DOCKER_IMAGE).
IMAGE="ghcr.io/cargo-lambda/cargo-lambda:1.9.2"

# The Debian release of the rootfs and of the host (the real image is built on
# the rust:<version> image, Debian bookworm).
SUITE="bookworm"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# On top of debootstrap's minbase variant (which has bash already):
# ca-certificates so cargo can reach crates.io; gcc and libc6-dev because
# build scripts and proc-macros are linked for the container's own platform
# by `cc`, also when Zig links the Lambda binary for another target (the
# real image has them from buildpack-deps).
PACKAGES=(ca-certificates gcc libc6-dev)

# From PyPI, unpacked without Python: cargo-lambda's binary and Zig.
PYPI=("cargo-lambda==1.9.2" "ziglang==0.17.1")

# Rust targets whose standard library goes in (the host's toolchain is copied,
# rustc and cargo only: no docs, clippy, rustfmt or sources).
RUST_TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)

# Layout and environment of the real image: the official rust image's
# RUSTUP_HOME, CARGO_HOME and PATH (both homes writable by any user), Zig in
# /zig and cargo-lambda in /cargo-lambda at the end of PATH, a world-writable
# /.cache for the users CDK runs the container as, and `cargo lambda` as the
# command. RUST_VERSION is filled in with the copied toolchain's version.
RUSTUP_HOME_DIR="/usr/local/rustup"
CARGO_HOME_DIR="/usr/local/cargo"
ZIG_DIR="/zig"
CARGO_LAMBDA_DIR="/cargo-lambda"
IMAGE_PATH="$CARGO_HOME_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$ZIG_DIR:$CARGO_LAMBDA_DIR"
IMAGE_CMD='["cargo", "lambda"]'

# One deliberate difference from the real image: Zig and cargo-zigbuild keep
# their caches in $XDG_CACHE_HOME, else $HOME/.cache. For a user that
# /etc/passwd knows with a home nobody may create (uid 65534, nobody, home
# /nonexistent) the real image fails with "failed to create directory
# `/nonexistent/.cache/cargo-zigbuild/...`"; here the caches go to the
# world-writable /.cache for every user.
EXTRA_ENV=("XDG_CACHE_HOME=/.cache")

# The helper image CDK's BundlingFileAccess.VOLUME_COPY runs to chown the
# copy volumes (`sh -c "mkdir -p ... && chown -R ..."`): a busybox stand-in.
HELPER_IMAGE="public.ecr.aws/docker/library/alpine"
HELPER_PACKAGE="busybox-static"

# Label holding the recipe digest; an image that carries the current digest
# is not rebuilt.
DIGEST_LABEL="io.github.cdk-lambda-rust.recipe-digest"
