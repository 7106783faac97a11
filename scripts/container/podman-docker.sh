#!/usr/bin/env bash
# Docker's command line, as AWS CDK uses it, carried out by podman with the
# runc runtime. Run through the wrapper that setup-engine.sh writes
# (.cache/container/docker, which sets CONTAINERS_CONF); CDK runs it as
# $CDK_DOCKER.
#
# What CDK asks of Docker (aws-cdk-lib core/lib/bundling.js and
# private/asset-staging.js):
#   run --rm [--security-opt S] [--network N] [--platform P] [-u uid:gid]
#       [--volumes-from C ...] [-v host:ctr:[z,]delegated ...] [--env K=V ...]
#       [-w dir] [--entrypoint E] IMAGE CMD...
#   run --name C -v vol:/asset-input -v vol:/asset-output HELPER sh -c ...
#   create IMAGE | cp SRC DEST | rm [-v] C | volume create|rm V
#   image inspect TAG | build -t TAG ...
#
# Translated for podman, in the options before the image only (the command
# after the image is passed through untouched):
#   -v/--volume: the consistency options delegated, cached and consistent
#     (Docker Desktop's, meaningless on Linux) are dropped.
#   --platform: replaced by $CDK_CONTAINER_PLATFORM when that is set, for an
#     image that exists for one platform only (see README.md).
# Everything else is passed through as it is.
#
# CDK_CONTAINER_TRACE=1 prints the podman command line on stderr;
# CDK_CONTAINER_DRY_RUN=1 prints it on stdout, one argument a line, and runs
# nothing.
set -euo pipefail

podman=(podman --runtime runc)

# Docker run/create options that take a value as the next argument. Any other
# option is taken as a flag without a value; the first argument that is not
# an option is the image.
takes_value() {
  case "$1" in
    -v | --volume | -e | --env | --env-file | -u | --user | -w | --workdir | \
      --platform | --network | --net | --security-opt | --volumes-from | \
      --entrypoint | --name | --mount | -p | --publish | -l | --label | \
      --label-file | --add-host | --cap-add | --cap-drop | --device | --dns | \
      --hostname | -h | --ipc | --log-driver | --log-opt | -m | --memory | \
      --cpus | --cpu-shares | --pid | --pull | --restart | --shm-size | \
      --stop-signal | --stop-timeout | --tmpfs | --ulimit | --userns | \
      --uts | --cidfile | --group-add | --health-cmd | --init-path | \
      --isolation | --runtime | --sysctl | --expose | --link | --attach | -a | \
      --cgroupns | --cgroup-parent | --gpus | --mac-address | --ip | --ip6)
      return 0 ;;
  esac
  return 1
}

# host:container[:options] with Docker's consistency options dropped.
volume_spec() {
  local spec="$1"
  # Only a third field can hold options; a spec with one colon is
  # host:container (or volume:container).
  local rest="${spec#*:}"
  if [[ "$rest" != *:* ]]; then
    printf '%s' "$spec"
    return
  fi
  local head="${spec%:*}" opts="${spec##*:}" kept=() o
  IFS=, read -r -a parts <<<"$opts"
  for o in "${parts[@]}"; do
    case "$o" in
      delegated | cached | consistent | '') ;;
      *) kept+=("$o") ;;
    esac
  done
  if (( ${#kept[@]} )); then
    local joined
    joined="$(IFS=,; printf '%s' "${kept[*]}")"
    printf '%s:%s' "$head" "$joined"
  else
    printf '%s' "$head"
  fi
}

platform_value() {
  if [[ -n "${CDK_CONTAINER_PLATFORM:-}" ]]; then
    printf '%s' "$CDK_CONTAINER_PLATFORM"
  else
    printf '%s' "$1"
  fi
}

# Translates the options of `run`/`create` up to and including the image;
# the command after the image stays as it is.
translate_run() {
  local out=() image="" platform=""
  while (( $# )); do
    local arg="$1"
    shift
    case "$arg" in
      --)
        out+=("$arg")
        break ;;
      -v | --volume)
        (( $# )) || { out+=("$arg"); break; }
        out+=("$arg" "$(volume_spec "$1")")
        shift ;;
      -v=* | --volume=*)
        out+=("${arg%%=*}=$(volume_spec "${arg#*=}")") ;;
      --platform)
        (( $# )) || { out+=("$arg"); break; }
        platform="$(platform_value "$1")"
        out+=("$arg" "$platform")
        shift ;;
      --platform=*)
        platform="$(platform_value "${arg#*=}")"
        out+=("--platform=$platform") ;;
      --*=*)
        out+=("$arg") ;;
      -*)
        out+=("$arg")
        if takes_value "$arg" && (( $# )); then
          out+=("$1")
          shift
        fi ;;
      *)
        image="$arg"
        out+=("$arg")
        break ;;
    esac
  done
  if [[ -z "$image" && $# -gt 0 ]]; then
    # After `--`: the image is the next argument.
    image="$1"
  fi
  if [[ -n "$image" && "${CDK_CONTAINER_DRY_RUN:-}" != 1 ]]; then
    local have
    have="$("${podman[@]}" image inspect --format '{{ .Os }}/{{ .Architecture }}' "$image" 2>/dev/null || true)"
    if [[ -z "$have" ]]; then
      echo "podman-docker: image $image is not in podman's local storage; podman will try to pull it." >&2
      echo "podman-docker: (scripts/container/build-image.sh builds a local stand-in for CDK's default images)" >&2
    elif [[ -n "$platform" && "${platform%/v[0-9]*}" != "$have" ]]; then
      echo "podman-docker: image $image is $have here, --platform asks for $platform: podman will try to pull that variant." >&2
      echo "podman-docker: cargo-lambda cross-compiles with Zig on any platform: set CDK_CONTAINER_PLATFORM=$have, or bundling.platform." >&2
    fi
  fi
  translated=("${out[@]}" "$@")
}

translated=("$@")
if (( $# )); then
  case "$1" in
    run | create)
      sub="$1"
      shift
      translate_run "$@"
      translated=("$sub" "${translated[@]}") ;;
    container)
      if [[ "${2:-}" == run || "${2:-}" == create ]]; then
        sub="$2"
        shift 2
        translate_run "$@"
        translated=(container "$sub" "${translated[@]}")
      fi ;;
  esac
fi

if [[ "${CDK_CONTAINER_TRACE:-}" == 1 ]]; then
  printf 'podman-docker:' >&2
  printf ' %q' "${podman[@]}" "${translated[@]}" >&2
  printf '\n' >&2
fi
if [[ "${CDK_CONTAINER_DRY_RUN:-}" == 1 ]]; then
  printf '%s\n' "${podman[@]}" "${translated[@]}"
  exit 0
fi
exec "${podman[@]}" "${translated[@]}"
