import * as os from 'os';
import * as path from 'path';
import {
  AssetHashType,
  BundlingFileAccess,
  BundlingOptions as CdkBundlingOptions,
  DockerImage,
  DockerVolume,
  ILocalBundling,
} from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as native from './native';
import { BundlingOptions } from './types';

/**
 * The image Docker bundling runs by default: cargo-lambda's own image, pinned
 * so a synth today and a synth next year build with the same tools.
 */
export const DEFAULT_DOCKER_IMAGE = 'ghcr.io/cargo-lambda/cargo-lambda:1.9.2';

/** Where the host's cargo cache is mounted inside the container. */
const CONTAINER_CARGO_HOME = '/cargo-home';

export interface BundlingProps extends BundlingOptions {
  /** The function's crate, as the core resolved it. */
  readonly resolved: native.ResolvedFunction;
  readonly architecture: lambda.Architecture;
  readonly runtime: lambda.Runtime;
}

/**
 * Turns a resolved function into a CDK asset. Local bundling (`tryBundle`)
 * runs the native core; when it cannot, CDK runs Docker with `image` and
 * `command`.
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
    const bundling = new Bundling(props);
    const { assetHashType, assetHash } = Bundling.assetHashFor(props);
    return lambda.Code.fromAsset(props.resolved.workspaceRoot, {
      assetHashType,
      assetHash,
      bundling,
    });
  }

  private static assetHashFor(props: BundlingProps): { assetHashType: AssetHashType; assetHash?: string } {
    if (props.assetHash !== undefined) {
      return { assetHashType: AssetHashType.CUSTOM, assetHash: props.assetHash };
    }
    if (props.assetHashType !== undefined && props.assetHashType !== AssetHashType.CUSTOM) {
      return { assetHashType: props.assetHashType };
    }
    if (props.assetHashType === AssetHashType.CUSTOM) {
      throw new Error('`assetHashType` CUSTOM needs `assetHash` too: set `bundling.assetHash`, or leave both unset for the source digest.');
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
  public readonly platform: string;
  public readonly bundlingFileAccess?: BundlingFileAccess;
  public readonly local?: ILocalBundling;

  private constructor(props: BundlingProps) {
    const build = buildOptions(props);
    const hooks = props.commandHooks;
    this.image = props.dockerImage ?? DockerImage.fromRegistry(DEFAULT_DOCKER_IMAGE);
    this.command = native.dockerBundlingCommand(
      props.resolved,
      build,
      hooks?.beforeBundling('/asset-input', '/asset-output') ?? [],
      hooks?.afterBundling('/asset-input', '/asset-output') ?? [],
    );
    this.environment = { ...props.environment, CARGO_HOME: CONTAINER_CARGO_HOME };
    this.volumes = [cargoCacheVolume(props.cargoCacheDir), ...(props.volumes ?? [])];
    this.volumesFrom = props.volumesFrom;
    this.workingDirectory = props.workingDirectory;
    this.entrypoint = props.entrypoint;
    this.user = props.user;
    this.securityOpt = props.securityOpt;
    this.network = props.network;
    this.platform = props.architecture.dockerPlatform;
    this.bundlingFileAccess = props.bundlingFileAccess;
    this.local = props.forceDockerBundling ? undefined : new LocalBundler(props, build);
  }
}

function buildOptions(props: BundlingProps): native.BuildOptions {
  return {
    architecture: props.architecture.name,
    runtime: props.runtime.name,
    packageManager: props.packageManagerType,
    profile: props.profile,
    extraBuildArgs: props.extraBuildArgs,
    environment: props.environment,
  };
}

/**
 * The host folder kept as cargo's home between Docker builds. Its absolute
 * path differs between machines, so it is hidden from the asset hash.
 */
function cargoCacheVolume(hostDir?: string): DockerVolume {
  const hostPath = hostDir ?? path.join(os.homedir(), '.cache', 'cdk-lambda-rust', 'cargo-home');
  return {
    hostPath,
    containerPath: CONTAINER_CARGO_HOME,
    toJSON: () => ({ hostPath: '<cargo cache>', containerPath: CONTAINER_CARGO_HOME }),
  } as DockerVolume;
}

/**
 * Builds on the host through the native core. `tryBundle` is synchronous, as
 * CDK requires; it returns false (so CDK uses Docker) only when no local
 * tool is installed and none was asked for.
 */
class LocalBundler implements ILocalBundling {
  readonly #props: BundlingProps;
  readonly #build: native.BuildOptions;

  constructor(props: BundlingProps, build: native.BuildOptions) {
    this.#props = props;
    this.#build = build;
  }

  public tryBundle(outputDir: string): boolean {
    const tool = native.detectPackageManager(this.#build.packageManager);
    if (!tool) {
      process.stderr.write(
        'cdk-lambda-rust: neither cargo-lambda nor cargo-zigbuild is installed; bundling with Docker ' +
          '(pip install cargo-lambda builds locally, much faster).\n',
      );
      return false;
    }
    const workspaceRoot = this.#props.resolved.workspaceRoot;
    const hooks = this.#props.commandHooks;
    const result = native.bundleFunction({
      resolved: this.#props.resolved,
      build: { ...this.#build, packageManager: tool },
      outputDir,
      beforeBundling: hooks?.beforeBundling(workspaceRoot, outputDir),
      afterBundling: hooks?.afterBundling(workspaceRoot, outputDir),
    });
    process.stderr.write(`cdk-lambda-rust: ${this.#props.resolved.binaryName}: ${result.outcome}\n`);
    return true;
  }

  /** What CDK folds into the asset hash: no paths, no machine facts. */
  public toJSON(): object {
    return { localBundler: 'cdk-lambda-rust' };
  }
}
