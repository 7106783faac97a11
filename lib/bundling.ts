import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AssetHashType,
  BundlingFileAccess,
  type BundlingOptions as CdkBundlingOptions,
  DockerImage,
  type DockerVolume,
  type ILocalBundling,
} from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as native from './native';
import type { BundlingOptions } from './types';

/**
 * The image Docker bundling runs by default: cargo-lambda's own image, pinned
 * so a synth today and a synth next year build with the same tools (an
 * untagged `latest` would change under you, and with it your binaries).
 * Also `RustFunction.DEFAULT_DOCKER_IMAGE` (the form jsii languages see).
 */
export const DEFAULT_DOCKER_IMAGE = 'ghcr.io/cargo-lambda/cargo-lambda:1.9.2';

/** Where the host's cargo cache is mounted inside the container. */
const CONTAINER_CARGO_HOME = '/cargo-home';

/**
 * CARGO_HOME in a container without a cache mount: somewhere any user can
 * write (the image's own CARGO_HOME belongs to root, and CDK runs the
 * container as the host user).
 */
const CONTAINER_SCRATCH_CARGO_HOME = '/tmp/cdk-lambda-rust-cargo-home';

/** XDG_CACHE_HOME in a container without a cache mount. */
const CONTAINER_SCRATCH_XDG_CACHE = '/tmp/cdk-lambda-rust-cache';

export interface BundlingProps extends BundlingOptions {
  /** The function's crate, as the core resolved it. */
  readonly resolved: native.ResolvedFunction;
  readonly architecture: lambda.Architecture;
  readonly runtime: lambda.Runtime;
  /** How progress lines name the function: its construct path and architecture. */
  readonly label: string;
  /** What the build makes. @default a function's `bootstrap` */
  readonly artifact?: native.Artifact;
}

/**
 * Turns a resolved function into a CDK asset. Local bundling (`tryBundle`)
 * runs the native core; when it cannot, CDK runs Docker with `image` and
 * `command`. Internal: `RustFunction` is the public way in.
 *
 * CDK folds `JSON.stringify` of this object into the asset hash, so every
 * enumerable field holds only machine-independent values: absolute paths live
 * in `#private` fields or behind `toJSON`.
 */
export class Bundling implements CdkBundlingOptions {
  /**
   * The `lambda.Code` for a function: an asset of the workspace root whose
   * hash is computed from the sources, before any build.
   */
  public static bundle(props: BundlingProps): lambda.AssetCode {
    return Bundling.prepare(props).code;
  }

  /**
   * Like `bundle`, and also tells afterwards whether CDK asked for a build:
   * it does not when the asset is already in `cdk.out` (sources unchanged)
   * or when bundling is skipped for the stack.
   */
  public static prepare(props: BundlingProps): {
    code: lambda.AssetCode;
    bundlingRan: () => boolean;
    dockerRan: () => boolean;
    /** The asset store's key for what Docker staged, when it may be stored. */
    dockerStoreKey: () => string | undefined;
  } {
    const { assetHashType, assetHash } = Bundling.assetHashFor(props);
    // The store takes only what the key covers: no hooks (their commands
    // hold this synth's folders, and their effects are theirs), no custom
    // container command, and our own fingerprint as the hash.
    const storable = props.assetHash === undefined && props.assetHashType === undefined && !props.commandHooks && !props.command;
    const bundling = new Bundling(props, storable ? assetHash : undefined);
    // The source folder is what Docker bundling mounts at /asset-input: the
    // workspace root, or the folder that also holds path dependencies outside
    // it. With the custom hash, CDK never reads it for hashing.
    const code = lambda.Code.fromAsset(props.resolved.sourceRoot, {
      assetHashType,
      assetHash,
      bundling,
    });
    return {
      code,
      bundlingRan: () => bundling.local.ran,
      dockerRan: () => bundling.local.dockerRan,
      dockerStoreKey: () => bundling.local.dockerStoreKey,
    };
  }

  /** The asset hash type and value CDK gets for `props`. */
  public static assetHashFor(props: BundlingProps): { assetHashType: AssetHashType; assetHash?: string } {
    if (props.assetHash !== undefined) {
      return { assetHashType: AssetHashType.CUSTOM, assetHash: props.assetHash };
    }
    if (props.assetHashType !== undefined && props.assetHashType !== AssetHashType.CUSTOM) {
      return { assetHashType: props.assetHashType };
    }
    if (props.assetHashType === AssetHashType.CUSTOM) {
      throw native.invalidOption(
        '`assetHashType` CUSTOM needs `assetHash` too: set `bundling.assetHash`, or leave both unset for the source digest.',
      );
    }
    const assetHash = native.fingerprintFunction(props.resolved, buildOptions(props));
    return { assetHashType: AssetHashType.CUSTOM, assetHash };
  }

  public readonly image: DockerImage;
  public readonly command: string[];
  public readonly environment: { [key: string]: string };
  public readonly volumes?: DockerVolume[];
  public readonly volumesFrom?: string[];
  public readonly workingDirectory?: string;
  public readonly entrypoint?: string[];
  public readonly user?: string;
  public readonly securityOpt?: string;
  public readonly network?: string;
  public readonly platform?: string;
  public readonly bundlingFileAccess?: BundlingFileAccess;
  public readonly local: LocalBundler;

  /** `fingerprint`: the asset hash when the asset store may keep this asset. */
  public constructor(props: BundlingProps, fingerprint?: string) {
    const build = buildOptions(props);
    const folders = dockerFolders(props);
    this.image = props.dockerImage ?? DockerImage.fromRegistry(DEFAULT_DOCKER_IMAGE);
    this.command = props.command ?? dockerCommand(props, build);
    // CARGO_HOME last: the build in the container must use the cache mount
    // (or a writable scratch folder), whatever the host's value was.
    // XDG_CACHE_HOME (Zig's and cargo-zigbuild's caches) first, so users can
    // move it: the container runs as the host user, whose home the image may
    // not have, and a kept cache saves Zig's rebuild of its libc stubs.
    this.environment = hashedWithoutCacheSettings({
      XDG_CACHE_HOME: folders.xdgCache,
      ...props.environment,
      CARGO_HOME: folders.cargoHome,
    });
    this.volumes = [...folders.volumes, ...(props.volumes ?? [])];
    this.volumesFrom = props.volumesFrom;
    this.workingDirectory = props.workingDirectory;
    this.entrypoint = props.entrypoint;
    this.user = props.user;
    this.securityOpt = props.securityOpt;
    this.network = props.network;
    // No default: the engine runs its own platform, and the image
    // cross-compiles (an --platform linux/arm64 on an x86_64 host would mean
    // emulation, or an image that does not exist for it).
    this.platform = props.platform;
    this.bundlingFileAccess = props.bundlingFileAccess;
    this.local = new LocalBundler(props, build, this.image, folders, fingerprint);
  }
}

/**
 * `env` as it is, for Docker's `--env`; in CDK's asset hash (its JSON),
 * without compile cache settings (`RUSTC_WRAPPER`, `SCCACHE_*`): they change
 * how a build runs, not what it makes, and may hold secrets.
 */
function hashedWithoutCacheSettings(env: { [key: string]: string }): { [key: string]: string } {
  const out = { ...env };
  Object.defineProperty(out, 'toJSON', {
    enumerable: false,
    value: () => Object.fromEntries(Object.entries(env).filter(([k]) => !native.isCompileCacheSetting(k))),
  });
  return out;
}

function buildOptions(props: BundlingProps): native.BuildOptions {
  return {
    architecture: native.architectureOf(props.architecture),
    runtime: props.runtime.name,
    tool: native.buildToolOf(props.packageManagerType),
    profile: props.profile,
    buildScope: native.buildScopeOf(props.buildScope),
    extraBuildArgs: props.extraBuildArgs,
    environment: props.environment,
    artifact: props.artifact,
  };
}

/** The container command: hooks, the build as an argument vector, the copy to /asset-output. */
function dockerCommand(props: BundlingProps, build: native.BuildOptions): string[] {
  const hooks = props.commandHooks;
  const dirs = native.dockerHookDirs(props.resolved);
  return native.dockerBundlingCommand(props.resolved, build, {
    beforeBundling: hooks?.beforeBundling(dirs.inputDir, dirs.outputDir) ?? [],
    afterBundling: hooks?.afterBundling(dirs.inputDir, dirs.outputDir) ?? [],
    forced: props.forceDockerBundling ?? false,
    passesEnvironment: (props.passEnvironment ?? []).length > 0,
  });
}

/**
 * The host folders Docker bundling mounts besides the sources, all private
 * to this user (created 0700, refused with CACHE_UNSAFE when another user
 * owns one or others can write it) and created only when Docker runs. Their
 * absolute paths differ between machines, so `toJSON` hides them from the
 * asset hash.
 */
interface DockerFolders {
  /** CARGO_HOME inside the container. */
  readonly cargoHome: string;
  /** XDG_CACHE_HOME inside the container. */
  readonly xdgCache: string;
  /** The cargo cache: the folder checked from (`base`) and the folder mounted (`dir`). */
  readonly cargoCache?: { readonly base: string; readonly dir: string };
  /** The folder holding the `passEnvironment` file. */
  readonly passedEnvironment?: { readonly dir: string; readonly names: string[] };
  readonly volumes: DockerVolume[];
}

function hiddenVolume(hostPath: string, containerPath: string, shown: string): DockerVolume {
  return { hostPath, containerPath, toJSON: () => ({ hostPath: shown, containerPath }) } as DockerVolume;
}

/** A folder name no other user can guess (and so cannot plant ahead of us). */
function privateTempPath(prefix: string): string {
  return path.join(os.tmpdir(), `${prefix}-${crypto.randomBytes(12).toString('hex')}`);
}

/**
 * The cargo cache is `cargo-home` in the package's cache folder, or
 * `cargoCacheDir`; with no cache folder at all (no home, no XDG_CACHE_HOME),
 * a fresh private folder for this process. With VOLUME_COPY the engine may
 * not see host folders, so there is no default cache then.
 */
function dockerFolders(props: BundlingProps): DockerFolders {
  const volumes: DockerVolume[] = [];
  let cargoCache: DockerFolders['cargoCache'];
  let cargoHome = CONTAINER_SCRATCH_CARGO_HOME;
  const volumeCopy = props.bundlingFileAccess === BundlingFileAccess.VOLUME_COPY;
  if (props.cargoCacheDir !== undefined) {
    const dir = path.resolve(props.cargoCacheDir);
    cargoCache = { base: dir, dir };
  } else if (!volumeCopy) {
    const base =
      native.cacheDir(process.env.CDK_LAMBDA_RUST_CACHE_DIR, process.env.XDG_CACHE_HOME, os.homedir()) ??
      privateTempPath('cdk-lambda-rust');
    cargoCache = { base, dir: path.join(base, 'cargo-home') };
  }
  if (cargoCache) {
    cargoHome = CONTAINER_CARGO_HOME;
    volumes.push(hiddenVolume(cargoCache.dir, CONTAINER_CARGO_HOME, '<cargo cache>'));
  }
  let passedEnvironment: DockerFolders['passedEnvironment'];
  const names = props.passEnvironment ?? [];
  if (names.length > 0) {
    passedEnvironment = { dir: privateTempPath('cdk-lambda-rust-env'), names: [...names] };
    volumes.push(hiddenVolume(passedEnvironment.dir, native.passedEnvironmentContainerDir(), '<passed environment>'));
  }
  const xdgCache = cargoCache ? `${CONTAINER_CARGO_HOME}/.cache` : CONTAINER_SCRATCH_XDG_CACHE;
  return { cargoHome, xdgCache, cargoCache, passedEnvironment, volumes };
}

/** Folders holding passed environment values, removed when the process exits. */
const secretFolders = new Set<string>();
process.once('exit', () => {
  for (const dir of secretFolders) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Builds on the host through the native core. `tryBundle` is synchronous, as
 * CDK requires; it returns false (so CDK runs Docker) when
 * `forceDockerBundling` is set, or when no local tool is installed and none
 * was asked for. Before returning false it creates the folders Docker
 * mounts (a folder Docker creates for a bind mount belongs to root, and the
 * container, running as the host user, could not write to it).
 */
class LocalBundler implements ILocalBundling {
  readonly #props: BundlingProps;
  readonly #build: native.BuildOptions;
  readonly #image: DockerImage;
  readonly #folders: DockerFolders;
  readonly #fingerprint?: string;

  constructor(props: BundlingProps, build: native.BuildOptions, image: DockerImage, folders: DockerFolders, fingerprint?: string) {
    this.#props = props;
    this.#build = build;
    this.#image = image;
    this.#folders = folders;
    this.#fingerprint = fingerprint;
  }

  /** The asset store's key for what Docker staged, when it may be stored. */
  public get dockerStoreKey(): string | undefined {
    return this.#dockerStoreKey;
  }

  #dockerStoreKey?: string;

  /** Whether CDK called `tryBundle`. */
  public get ran(): boolean {
    return this.#ran;
  }

  /** Whether `tryBundle` handed the build to Docker. */
  public get dockerRan(): boolean {
    return this.#dockerRan;
  }

  #ran = false;
  #dockerRan = false;

  public tryBundle(outputDir: string): boolean {
    this.#ran = true;
    const label = this.#props.label;
    try {
      // Throws TOOL_MISSING when the requested tool is not installed: an
      // explicit choice never silently turns into another tool or into Docker.
      const forced = this.#props.forceDockerBundling ?? false;
      const tool = native.localBuildTool(this.#build, forced);
      // The asset store: the same sources, configuration and toolchain built
      // this asset before (on this machine, or a CI cache of the folder).
      const key =
        this.#fingerprint === undefined
          ? null
          : native.assetStoreKey(this.#props.resolved, this.#build, this.#fingerprint, tool ? undefined : this.#image.image);
      if (key && native.fetchStoredAsset(key, outputDir, label)) return true;
      if (!tool) {
        if (!forced) native.noteDockerFallback(label, this.#image.image, this.#build.architecture);
        this.prepareDocker();
        this.#dockerRan = true;
        this.#dockerStoreKey = key ?? undefined;
        return false;
      }
      const workspaceRoot = this.#props.resolved.workspaceRoot;
      const hooks = this.#props.commandHooks;
      const result = native.bundleFunction(this.#props.resolved, this.#build, {
        tool,
        outputDir,
        beforeBundling: hooks?.beforeBundling(workspaceRoot, outputDir),
        afterBundling: hooks?.afterBundling(workspaceRoot, outputDir),
        label,
        passEnvironment: this.#props.passEnvironment,
      });
      if (key) native.storeAsset(key, result.assetPath);
      return true;
    } catch (e) {
      // CDK keeps its `asset.<hash>-building` folder on failure and names it
      // in its message. Ours holds nothing of use (the zip is written last,
      // atomically), so it goes, and the message says so.
      fs.rmSync(outputDir, { recursive: true, force: true });
      if (e instanceof Error || (typeof e === 'object' && e !== null && 'message' in e)) {
        (e as Error).message += '\n(Nothing was staged for this function: cdk-lambda-rust removed the bundling output folder named above.)';
      }
      throw e;
    }
  }

  private prepareDocker(): void {
    const { cargoCache, passedEnvironment } = this.#folders;
    if (cargoCache) native.ensurePrivateDir(cargoCache.base, cargoCache.dir);
    if (passedEnvironment) {
      secretFolders.add(passedEnvironment.dir);
      native.writePassedEnvironment(passedEnvironment.dir, passedEnvironment.names);
    }
  }

  /** What CDK folds into the asset hash: no paths, no machine facts. */
  public toJSON(): object {
    // Only when set, so local bundling keeps the hash it always had.
    return this.#props.forceDockerBundling
      ? { localBundler: 'cdk-lambda-rust', forceDockerBundling: true }
      : { localBundler: 'cdk-lambda-rust' };
  }
}
