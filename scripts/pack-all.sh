#!/usr/bin/env bash
# Packs every tarball of a release into one folder (default target/packages):
#
#   cdk-lambda-rust-<platform>-<version>.tgz   x7, one addon each (npm/<platform>/)
#   cdk-lambda-rust-<version>.tgz              the root: JS, types, the napi
#                                              loader, no `.node`, and the seven
#                                              as optionalDependencies at the
#                                              exact version
#
#   scripts/build-addons.sh && npm run build:ts && scripts/pack-all.sh [out-dir]
#
# The committed package.json has no optionalDependencies (they are not on the
# registry before a release, and `npm ci` must keep working): the root tarball
# is packed from a staged copy that adds them, with every file `npm pack`
# would take from the repository but the `.node` files. Publish the platform
# tarballs first, then the root one.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$repo/target/packages}")"
cd "$repo"

version="$(node -p 'require("./package.json").version')"
platforms=(darwin-arm64 darwin-x64 linux-x64-gnu linux-arm64-gnu linux-x64-musl linux-arm64-musl win32-x64-msvc)

missing=()
for p in "${platforms[@]}"; do
  [[ -f "npm/$p/cdk-lambda-rust.$p.node" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "pack-all: no addon for ${missing[*]}: run scripts/build-addons.sh first" >&2
  exit 1
fi
[[ -f dist/index.js ]] || { echo "pack-all: dist/ is missing: run npm run build:ts first" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
rm -rf "$out"
mkdir -p "$out"

for p in "${platforms[@]}"; do
  mkdir -p "$stage/$p"
  cp "npm/$p/package.json" "npm/$p/cdk-lambda-rust.$p.node" "$stage/$p/"
  # The platform packages always carry the root's version.
  node -e '
    const fs = require("fs"); const [file, version] = process.argv.slice(1);
    const pkg = JSON.parse(fs.readFileSync(file, "utf8")); pkg.version = version;
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$stage/$p/package.json" "$version"
  (cd "$stage/$p" && npm pack --silent --pack-destination "$out" >/dev/null)
done

# The root: what `npm pack` takes from the repository, less every `.node`.
mkdir -p "$stage/root"
npm pack --dry-run --json --silent | node -e '
  const files = JSON.parse(require("fs").readFileSync(0, "utf8"))[0].files.map((f) => f.path);
  process.stdout.write(files.filter((f) => !f.endsWith(".node")).join("\n") + "\n");' |
  while IFS= read -r f; do
    mkdir -p "$stage/root/$(dirname "$f")"
    cp "$f" "$stage/root/$f"
  done
node -e '
  const fs = require("fs"); const [file, version, ...platforms] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.optionalDependencies = Object.fromEntries(platforms.map((p) => [`cdk-lambda-rust-${p}`, version]));
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");' "$stage/root/package.json" "$version" "${platforms[@]}"
(cd "$stage/root" && npm pack --silent --pack-destination "$out" >/dev/null)

if tar tzf "$out/cdk-lambda-rust-$version.tgz" | grep -q '\.node$'; then
  echo "pack-all: the root tarball carries a .node file" >&2
  exit 1
fi
ls -l "$out" >&2
echo "$out"
