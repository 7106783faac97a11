import type { AssetHashType, BundlingFileAccess, DockerImage, DockerVolume } from 'aws-cdk-lib';

/**
 * The tool that compiles a function's binary.
 */
export enum PackageManagerType {
  /**
   * `cargo lambda build`. Links with Zig against an old glibc, so binaries run on
   * every `provided.*` runtime. Install it with `pip install cargo-lambda`.
   */
  CARGO_LAMBDA = 'cargo-lambda',
  /**
   * `cargo zigbuild`: the same Zig linking, without cargo-lambda.
   * Install it with `pip install cargo-zigbuild`.
   */
  CARGO_ZIGBUILD = 'cargo-zigbuild',
  /**
   * `cross build`: builds inside cross's own Docker images, for crates that
   * need a C toolchain for the target. Needs `cargo install cross` and a
   * running Docker engine. Local bundling only: cross starts its own
   * containers, so it cannot run inside `forceDockerBundling`.
   */
  CROSS = 'cross',
}

/**
 * Commands to run before and after the build. They are shell commands, joined
 * with `&&`, run on the host for local bundling and inside the container for
 * Docker bundling.
 */
export interface ICommandHooks {
  /**
   * Commands to run before the build.
   * @param inputDir the workspace root (`/asset-input` in Docker)
   * @param outputDir the bundling output folder (`/asset-output` in Docker)
   */
  beforeBundling(inputDir: string, outputDir: string): string[];

  /**
   * Commands to run after the build. Files they write into `outputDir` are
   * added to the asset next to `bootstrap`.
   * @param inputDir the workspace root (`/asset-input` in Docker)
   * @param outputDir the bundling output folder (`/asset-output` in Docker)
   */
  afterBundling(inputDir: string, outputDir: string): string[];
}

/**
 * Which binaries the first build of a configuration compiles.
 */
export enum BuildScope {
  /**
   * One cargo invocation builds every Lambda binary of the workspace; the
   * functions after the first take their `bootstrap` from it.
   */
  WORKSPACE = 'workspace',
  /** Each function builds only its own binary. */
  FUNCTION = 'function',
}

/**
 * How a Rust function is built and bundled.
 *
 * Local bundling (the default) builds on the host with cargo-lambda,
 * cargo-zigbuild or cross. Docker bundling (`forceDockerBundling`, or no local
 * tool installed) runs `dockerImage` with the Docker options below, which
 * have the names and meaning of CDK's `DockerRunOptions`.
 */
export interface BundlingOptions {
  /**
   * Environment variables for the build: the host's cargo for local bundling
   * (and the command hooks), `--env` of the container for Docker bundling.
   * Values are passed as they are, never through a shell: use them for
   * values read with `option_env!`, `RUSTFLAGS`, `CARGO_PROFILE_RELEASE_*`...
   * They enter the asset hash, except compile cache settings
   * (`RUSTC_WRAPPER`, `CARGO_BUILD_RUSTC_WRAPPER`, `SCCACHE_*`: they change how
   * the build runs, not what it makes). Docker bundling passes them as
   * `docker run --env K=V` (visible to other users in the process table):
   * never put a secret here, use `passEnvironment`.
   * @default - no extra variables
   */
  readonly environment?: { [key: string]: string };

  /**
   * Names of variables the build gets from the environment of the synth, by
   * name: for secrets and settings that must not change the asset (a
   * registry token, `AWS_SECRET_ACCESS_KEY`, `SCCACHE_*`). Local builds
   * inherit them; Docker bundling reads them from a file only you can read,
   * mounted into the container, never from the `docker run` command line.
   * Their values never enter the asset hash, `cdk.out` or a log line; a name
   * that is not set when bundling runs is an `INVALID_OPTION` error.
   * @default - none
   */
  readonly passEnvironment?: string[];

  /**
   * Extra arguments for the build command, local and Docker alike, for
   * example `['--features', 'metrics']` or `['--all-features']`. Each array
   * element is one argument, never split or interpreted by a shell.
   * @default - none
   */
  readonly extraBuildArgs?: string[];

  /**
   * The tool that builds the binary on the host. When set, that tool must be
   * installed (else `TOOL_MISSING`); Docker bundling runs it in the image too
   * (except CROSS, which runs Docker itself).
   * @default - CARGO_LAMBDA when `cargo-lambda` is on PATH, else CARGO_ZIGBUILD
   * when `cargo-zigbuild` is; when neither is, Docker bundling with cargo-lambda
   */
  readonly packageManagerType?: PackageManagerType;

  /**
   * Cargo profile to build with.
   * @default 'release'
   */
  readonly profile?: string;

  /**
   * Which binaries the first build of a configuration compiles.
   * @default BuildScope.WORKSPACE
   */
  readonly buildScope?: BuildScope;

  /**
   * Build in Docker even when a local tool is installed.
   * @default false
   */
  readonly forceDockerBundling?: boolean;

  /**
   * The image Docker bundling runs. It must have cargo-lambda (or the tool
   * `packageManagerType` names), bash, and the Rust targets installed.
   * @default - `ghcr.io/cargo-lambda/cargo-lambda` at a pinned version
   * (`RustFunction.DEFAULT_DOCKER_IMAGE`), never an untagged `latest`
   */
  readonly dockerImage?: DockerImage;

  /**
   * A host folder kept as cargo's home (`CARGO_HOME`: registry index, crate
   * downloads, git checkouts) between Docker builds, so a synth does not
   * download every crate again. Its path never enters the asset hash.
   * @default - `cargo-home` in `$CDK_LAMBDA_RUST_CACHE_DIR`, else in
   * `$XDG_CACHE_HOME/cdk-lambda-rust`, else in `~/.cache/cdk-lambda-rust`; with `BundlingFileAccess.VOLUME_COPY`
   * (a Docker engine that cannot see host folders) no cache
   */
  readonly cargoCacheDir?: string;

  /**
   * How Docker bundling gets the sources and returns the output.
   * `VOLUME_COPY` copies them through Docker volumes, for engines that cannot
   * bind-mount host folders (Docker-in-Docker, remote engines).
   * @default BundlingFileAccess.BIND_MOUNT
   */
  readonly bundlingFileAccess?: BundlingFileAccess;

  /**
   * Commands to run before and after the build: on the host for local
   * bundling, inside the container for Docker bundling. They are shell by
   * design.
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;

  /**
   * Docker bundling: the platform the container runs as (`docker run
   * --platform`). The binary's target always follows `architecture`: the
   * image cross-compiles with Zig, so it needs no emulation.
   * @default - the engine's own (the host's) platform: an ARM64 function
   * builds on an x86_64 host natively, and the asset hash does not depend on
   * the host
   */
  readonly platform?: string;

  /**
   * Docker bundling: the container's network (`docker run --network`).
   * @default - Docker's default network
   */
  readonly network?: string;

  /**
   * Docker bundling: a security option (`docker run --security-opt`).
   * @default - none
   */
  readonly securityOpt?: string;

  /**
   * Docker bundling: the user the container runs as (`docker run -u`).
   * @default - the uid:gid of the user running the synth
   */
  readonly user?: string;

  /**
   * Docker bundling: containers to mount volumes from (`--volumes-from`).
   * @default - none
   */
  readonly volumesFrom?: string[];

  /**
   * Docker bundling: more volumes to mount, after the workspace, the output
   * folder and the cargo cache. Their host paths enter the asset hash.
   * @default - none
   */
  readonly volumes?: DockerVolume[];

  /**
   * Docker bundling: the working directory in the container (hooks and the
   * build run there).
   * @default '/asset-input' (the workspace root)
   */
  readonly workingDirectory?: string;

  /**
   * Docker bundling: the container's entrypoint.
   * @default - the image's entrypoint
   */
  readonly entrypoint?: string[];

  /**
   * Docker bundling: replaces the whole container command (the hooks and the
   * build). It must leave the function's binary at `/asset-output/bootstrap`.
   * @default - hooks, the build of the function's binary, and a copy of it to
   * `/asset-output/bootstrap`
   */
  readonly command?: string[];

  /**
   * How the asset hash is computed. `CUSTOM` with `assetHash` fixes it;
   * `OUTPUT` hashes the built asset (and so rebuilds on every synth).
   * @default - a digest of the sources that feed the binary and of the build
   * configuration, computed without building (see README)
   */
  readonly assetHashType?: AssetHashType;

  /**
   * A fixed asset hash, with `assetHashType` `CUSTOM` (or unset).
   * @default - computed from the sources
   */
  readonly assetHash?: string;
}
