#!/usr/bin/env bash
# Makes a real container engine usable by AWS CDK's Docker bundling on this
# kind of machine: podman with the runc runtime (crun fails on its cgroup v1
# hierarchy), configured for the cgroupfs manager, behind a `docker`-shaped
# wrapper that CDK runs as $CDK_DOCKER.
#
#   CDK_DOCKER="$(bash scripts/container/setup-engine.sh)"
#
# Writes, under <repo>/.cache/container/ (gitignored):
#   containers.conf   podman configuration (also usable as CONTAINERS_CONF)
#   docker            wrapper executable: sets CONTAINERS_CONF and runs
#                     scripts/container/podman-docker.sh, which translates
#                     Docker's argv for podman
#
# Idempotent: installs podman and runc only when missing, rewrites the two
# small files only when their content changes. Prints the wrapper's path on
# stdout; progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$repo/.cache/container"
conf="$dir/containers.conf"
wrapper="$dir/docker"
translator="$repo/scripts/container/podman-docker.sh"
# netavark, aardvark-dns and iptables: podman's default network on bookworm
# ("netavark: No such file or directory" without iptables). They are only
# recommended, or picked among alternatives, so they are named here.
packages=(podman runc netavark aardvark-dns iptables)

log() { echo "setup-engine: $*" >&2; }

install_engine() {
  command -v apt-get >/dev/null || { log "apt-get is required to install ${packages[*]}"; exit 1; }
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  log "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y -q "${packages[@]}" >&2; then
    log "install failed, refreshing package lists"
    "${sudo[@]}" apt-get update -q >&2
    "${sudo[@]}" apt-get install -y -q "${packages[@]}" >&2
  fi
}

package_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

installed=0
for p in "${packages[@]}"; do
  if ! package_installed "$p"; then
    install_engine
    installed=1
    break
  fi
done

# Writes $2 to $1 only when it differs, so a second run changes nothing.
write_if_changed() {
  local path="$1" content="$2"
  if [[ -f "$path" ]] && [[ "$(cat "$path")" == "$content" ]]; then
    return 0
  fi
  local tmp="$path.tmp.$$"
  printf '%s\n' "$content" > "$tmp"
  mv "$tmp" "$path"
  log "wrote $path"
}

mkdir -p "$dir"

# default_ulimits = []: podman's default nofile/nproc ulimits cannot be set
# inside this machine's sandbox. cgroupfs: there is no systemd to delegate
# cgroups to. runtime = "runc": also for `podman build`, which does not take
# the wrapper's --runtime flag.
write_if_changed "$conf" '# Written by scripts/container/setup-engine.sh
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"'

# The wrapper holds absolute paths of this checkout: regenerate it when the
# checkout moves.
# shellcheck disable=SC2016 # the wrapper's own variables, expanded when it runs
wrapper_text="$(printf '%s\n' \
  '#!/usr/bin/env bash' \
  '# Written by scripts/container/setup-engine.sh: Docker'"'"'s CLI for AWS CDK' \
  '# (CDK_DOCKER), carried out by podman. CONTAINERS_CONF, when set, wins.' \
  "conf=$(printf '%q' "$conf")" \
  'export CONTAINERS_CONF="${CONTAINERS_CONF:-$conf}"' \
  "exec bash $(printf '%q' "$translator") \"\$@\"")"
write_if_changed "$wrapper" "$wrapper_text"
chmod 0755 "$wrapper"

# Proves the engine answers with this configuration (no container is run).
# When it does not and nothing was installed yet, a part may be missing
# (say, podman installed without its recommended network helpers): install
# once and ask again.
engine_answers() {
  CONTAINERS_CONF="$conf" podman --runtime runc info >/dev/null 2>"$dir/podman-info.err"
}
if ! engine_answers && [[ $installed == 0 ]]; then
  log "podman does not answer: $(head -n 1 "$dir/podman-info.err")"
  install_engine
fi
if ! engine_answers; then
  log "podman does not work with $conf:"
  cat "$dir/podman-info.err" >&2
  exit 1
fi
rm -f "$dir/podman-info.err"

echo "$wrapper"
