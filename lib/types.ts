import { AssetHashType, BundlingFileAccess, DockerImage, DockerRunOptions } from 'aws-cdk-lib';

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
   * `cross build`: builds inside cross's own Docker images.
   * Needs `cargo install cross` and a running Docker engine.
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
 * How a Rust function is built and bundled.
 *
 * The Docker options (`network`, `securityOpt`, `user`, `volumes`,
 * `volumesFrom`, `workingDirectory`, `entrypoint`) apply to Docker bundling only.
 */
export interface BundlingOptions extends DockerRunOptions {
  /**
   * Environment variables for the build, local and Docker alike (for example
   * values read with `option_env!` or `RUSTFLAGS`).
   * @default - no extra variables
   */
  readonly environment?: { [key: string]: string };

  /**
   * Extra arguments for cargo, for example `['--features', 'metrics']` or
   * `['--all-features']`. Passed as separate arguments, never through a shell.
   * @default - none
   */
  readonly extraBuildArgs?: string[];

  /**
   * The tool that builds the binary.
   * @default - cargo-lambda when it is on PATH, else cargo-zigbuild; when
   * neither is installed, Docker bundling
   */
  readonly packageManagerType?: PackageManagerType;

  /**
   * Cargo profile to build with.
   * @default 'release'
   */
  readonly profile?: string;

  /**
   * Build in Docker even when a local tool is installed.
   * @default false
   */
  readonly forceDockerBundling?: boolean;

  /**
   * The image Docker bundling runs. It must have cargo-lambda (or the tool
   * `packageManagerType` names) and the Rust targets installed.
   * @default - `ghcr.io/cargo-lambda/cargo-lambda` at a pinned version (see README)
   */
  readonly dockerImage?: DockerImage;

  /**
   * Keep cargo's registry and git checkouts between Docker builds in a folder
   * on the host, so a synth does not download every crate again.
   * @default - `~/.cache/cdk-lambda-rust/cargo-home`
   */
  readonly cargoCacheDir?: string;

  /**
   * How Docker bundling gets the sources and returns the output.
   * @default BundlingFileAccess.BIND_MOUNT
   */
  readonly bundlingFileAccess?: BundlingFileAccess;

  /**
   * Commands to run before and after the build.
   * @default - none
   */
  readonly commandHooks?: ICommandHooks;

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
