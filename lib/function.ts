import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { Bundling, DEFAULT_DOCKER_IMAGE } from './bundling';
import { refuseForeignProps } from './migration';
import * as native from './native';
import { findDefiningFile, verifyDockerOutput } from './shared';
import type { BundlingOptions } from './types';

/**
 * Properties of a Rust Lambda function. Every `lambda.Function` option
 * passes through to the underlying function.
 */
export interface RustFunctionProps extends lambda.FunctionOptions {
  /**
   * The crate: a `Cargo.toml`, or the folder holding one. Relative paths are
   * taken from the current working directory.
   * @default - `<defining file>.<id>/Cargo.toml`, else the nearest Cargo.toml
   * above the defining file, else `./Cargo.toml` (see README)
   */
  readonly entry?: string;

  /**
   * The binary target to run, searched across the whole workspace.
   * @default - the binary named like the entry's package, or its only binary
   */
  readonly binaryName?: string;

  /**
   * The runtime. Must be an OS-only runtime.
   * @default lambda.Runtime.PROVIDED_AL2023
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How the function is built and bundled.
   * @default - cargo-lambda (or cargo-zigbuild) on the host, else Docker
   */
  readonly bundling?: BundlingOptions;
}

/**
 * A Lambda function written in Rust, built from its cargo package or
 * workspace into a `bootstrap` for the `provided.al2023` runtime.
 */
export class RustFunction extends lambda.Function {
  /**
   * The image Docker bundling runs unless `bundling.dockerImage` says
   * otherwise: cargo-lambda's own, at a pinned version.
   */
  public static readonly DEFAULT_DOCKER_IMAGE: string = DEFAULT_DOCKER_IMAGE;

  /** The cargo package the function's binary belongs to. */
  public readonly packageName: string;
  /** The binary target that became `bootstrap`. */
  public readonly binaryName: string;

  constructor(scope: Construct, id: string, props: RustFunctionProps = {}) {
    refuseForeignProps(props);
    const runtime = props.runtime ?? lambda.Runtime.PROVIDED_AL2023;
    if (runtime.family !== lambda.RuntimeFamily.OTHER) {
      throw native.invalidOption(`RustFunction needs an OS-only runtime such as lambda.Runtime.PROVIDED_AL2023, got ${runtime.name}.`);
    }
    const handler = (props as { handler?: unknown }).handler;
    if (handler !== undefined && handler !== 'bootstrap') {
      throw native.invalidOption(
        `RustFunction runs the binary as \`bootstrap\` (the handler of OS-only runtimes); \`handler\` ${JSON.stringify(handler)} would be ignored. Remove it, and choose the binary with \`binaryName\`.`,
      );
    }
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    // Progress lines name the construct and its architecture: two functions
    // may build the same binary.
    const label = `${scope.node.path ? `${scope.node.path}/` : ''}${id} (${architecture.name})`;
    const resolved = native.resolveFunction({
      definingFile: findDefiningFile('RustFunction'),
      id,
      entry: props.entry,
      binaryName: props.binaryName,
      environment: props.bundling?.environment,
    });
    const asset = Bundling.prepare({ ...props.bundling, resolved, architecture, runtime, label });
    super(scope, id, {
      ...props,
      runtime,
      architecture,
      handler: 'bootstrap',
      code: asset.code,
    });
    this.packageName = resolved.packageName;
    this.binaryName = resolved.binaryName;
    // Docker bundling ran inside `super` (CDK bundles while the asset is
    // created): check what the container left, as local bundling checks
    // its binary, before anything is deployable.
    if (asset.dockerRan()) verifyDockerOutput(this, 'bootstrap', architecture, runtime, asset.dockerStoreKey());
    // The built/reused lines come from bundling; this is the third outcome.
    if (!asset.bundlingRan() && Stack.of(this).bundlingRequired) {
      native.noteUnchanged(label);
    }
  }
}
