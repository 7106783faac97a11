#!/usr/bin/env bash
# Builds the packages for Python, Java, .NET and Go with jsii and jsii-pacmak,
# into dist-jsii/<language>/.
#
#   scripts/jsii-package.sh [--code-only] [python] [java] [dotnet] [go]   (default: all four)
#
# --code-only generates each language's sources (Maven project, C# project,
# Go module) without building them, so it needs no toolchain.
#
# One package, every platform: the jsii kernel unpacks our npm tarball and
# never runs `npm install`, so the per-platform addon packages npm users get
# never reach a Python, Java, .NET or Go app. The tarball pacmak embeds
# therefore carries every `cdk-lambda-rust.<platform>.node` found at the repo
# root, next to index.js, where the napi loader looks first
# (scripts/build-addons.sh builds them for every platform; `npm run build`
# builds this machine's). This machine's addon is required; the others go in
# when they are there, and the list is printed.
#
# A language whose toolchain is missing here (Maven for Java, the dotnet SDK
# for .NET, go for Go) is skipped with a line saying so, unless it was asked
# for by name.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(python java dotnet go)
code_only=()
if [ "${1:-}" = --code-only ]; then
  code_only=(--code-only)
  shift
fi
asked=("$@")
[ ${#asked[@]} -gt 0 ] || asked=("${all[@]}")

declare -A tool=([python]=python3 [java]=mvn [dotnet]=dotnet [go]=go)
targets=()
for lang in "${asked[@]}"; do
  if [ -z "${tool[$lang]:-}" ]; then
    echo "jsii-package: unknown language '$lang' (one of: ${all[*]})" >&2
    exit 2
  fi
  if [ ${#code_only[@]} -gt 0 ] || command -v "${tool[$lang]}" >/dev/null; then
    targets+=("$lang")
  elif [ $# -gt 0 ]; then
    echo "jsii-package: $lang needs '${tool[$lang]}' on PATH" >&2
    exit 1
  else
    echo "jsii-package: skipping $lang: '${tool[$lang]}' is not installed"
  fi
done

# This machine's addon, named as the napi loader (index.js) looks for it.
own=$(node -p '
  const { platform, arch } = process;
  let abi = "";
  if (platform === "linux") abi = arch === "arm" ? "-gnueabihf" : process.report.getReport().header.glibcVersionRuntime ? "-gnu" : "-musl";
  if (platform === "win32") abi = "-msvc";
  `cdk-lambda-rust.${platform}-${arch}${abi}.node`')
if [ ! -f "$own" ]; then
  echo "jsii-package: $own (this machine's addon) is missing: run \`npm run build\` first" >&2
  exit 1
fi
shopt -s nullglob
addons=(cdk-lambda-rust.*.node)
echo "jsii-package: addons in the tarball: ${addons[*]}"

start=$SECONDS
npx --no-install jsii
echo "jsii-package: jsii compiled lib/ in $((SECONDS - start)) s"

[ ${#targets[@]} -gt 0 ] || exit 0
start=$SECONDS
# The tarball must be exactly what jsii compiled: pacmak runs `npm pack`,
# whose `files` list takes dist/, index.js, the .jsii assembly and every .node.
npx --no-install jsii-pacmak "${code_only[@]}" --outdir dist-jsii $(printf -- '-t %s ' "${targets[@]}")
echo "jsii-package: jsii-pacmak built ${targets[*]} in $((SECONDS - start)) s"
for lang in "${targets[@]}"; do
  find "dist-jsii/$lang" -maxdepth 8 -type f \( -name '*.whl' -o -name '*.jar' -o -name '*.nupkg' -o -name 'go.mod' \) -printf 'jsii-package: %p (%s bytes)\n'
done
