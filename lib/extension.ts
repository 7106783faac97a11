import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { Bundling, DEFAULT_DOCKER_IMAGE } from './bundling';
import { refuseForeignProps } from './migration';
import * as native from './native';
import { findDefiningFile, verifyDockerOutput } from './shared';
import type { BundlingOptions } from './types';

/**
 * Properties of a Lambda extension written in Rust. Every
 * `lambda.LayerVersion` option (description, layerVersionName, license,
 * removalPolicy) passes through.
 */
export interface RustExtensionProps extends lambda.LayerVersionOptions {
  /**
   * The crate: a `Cargo.toml`, or the folder holding one. Relative paths are
   * taken from the current working directory.
   * @default - `<defining file>.<id>/Cargo.toml`, else the nearest Cargo.toml
   * above the defining file, else `./Cargo.toml` (as for `RustFunction`)
   */
  readonly entry?: string;

  /**
   * The binary target of the extension. Its name is the extension's name:
   * Lambda runs it from `/opt/extensions/<binaryName>`, and it must register
   * under that name.
   * @default - the binary named like the entry's package, or its only binary
   */
  readonly binaryName?: string;

  /**
   * The architecture the extension is built for; also the layer's only
   * compatible architecture.
   * @default lambda.Architecture.X86_64
   */
  readonly architecture?: lambda.Architecture;

  /**
   * The runtime of the functions that use the layer: its glibc decides the
   * check of the built binary (and, for `provided.al2`, the glibc Zig links
   * against).
   * @default lambda.Runtime.PROVIDED_AL2023
   */
  readonly runtime?: lambda.Runtime;

  /**
   * How the extension is built and bundled: the same options as a
   * function's (local or Docker bundling, hooks, environment...).
   * @default - cargo-lambda (or cargo-zigbuild) on the host, else Docker
   */
  readonly bundling?: BundlingOptions;
}

/**
 * A Lambda extension written in Rust, built from its cargo package with
 * `cargo lambda build --extension` and published as a layer holding
 * `extensions/<binary>`. Add it to functions with `layers: [extension]`.
 */
export class RustExtension extends lambda.LayerVersion {
  /**
   * The image Docker bundling runs unless `bundling.dockerImage` says
   * otherwise: cargo-lambda's own, at a pinned version.
   */
  public static readonly DEFAULT_DOCKER_IMAGE: string = DEFAULT_DOCKER_IMAGE;

  /** The cargo package the extension's binary belongs to. */
  public readonly packageName: string;
  /** The binary target: the extension's name. */
  public readonly binaryName: string;

  constructor(scope: Construct, id: string, props: RustExtensionProps = {}) {
    refuseForeignProps(props);
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const runtime = props.runtime ?? lambda.Runtime.PROVIDED_AL2023;
    const label = `${scope.node.path ? `${scope.node.path}/` : ''}${id} (${architecture.name})`;
    const resolved = native.resolveFunction({
      definingFile: findDefiningFile('RustExtension'),
      id,
      entry: props.entry,
      binaryName: props.binaryName,
      environment: props.bundling?.environment,
    });
    const asset = Bundling.prepare({
      ...props.bundling,
      resolved,
      architecture,
      runtime,
      label,
      artifact: native.Artifact.Extension,
    });
    super(scope, id, { ...props, code: asset.code, compatibleArchitectures: [architecture] });
    this.packageName = resolved.packageName;
    this.binaryName = resolved.binaryName;
    if (asset.dockerRan()) verifyDockerOutput(this, `extensions/${resolved.binaryName}`, architecture, runtime, asset.dockerStoreKey());
    if (!asset.bundlingRan() && Stack.of(this).bundlingRequired) native.noteUnchanged(label);
  }
}
