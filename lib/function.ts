import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { Bundling } from './bundling';
import * as native from './native';
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
  /** The cargo package the function's binary belongs to. */
  public readonly packageName: string;
  /** The binary target that became `bootstrap`. */
  public readonly binaryName: string;

  constructor(scope: Construct, id: string, props: RustFunctionProps = {}) {
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
      definingFile: findDefiningFile(),
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
    if (asset.dockerRan()) verifyDockerOutput(this, architecture, runtime);
    // The built/reused lines come from bundling; this is the third outcome.
    if (!asset.bundlingRan() && Stack.of(this).bundlingRequired) {
      native.noteUnchanged(label);
    }
  }
}

/**
 * Checks the `bootstrap` Docker bundling staged (ELF machine, glibc needs),
 * with the codes local bundling uses; a bad one is removed from `cdk.out`
 * (a later synth would otherwise find it and skip bundling) and thrown.
 */
function verifyDockerOutput(fn: lambda.Function, architecture: lambda.Architecture, runtime: lambda.Runtime): void {
  const staging = fn.node.tryFindChild('Code')?.node.tryFindChild('Stage') as AssetStaging | undefined;
  if (!staging) return;
  const staged = staging.absoluteStagedPath;
  const bootstrap = fs.statSync(staged).isDirectory() ? path.join(staged, 'bootstrap') : staged;
  try {
    native.verifyBootstrap(bootstrap, native.architectureOf(architecture), runtime.name);
  } catch (e) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw e;
  }
}

/**
 * The file whose code called `new RustFunction(...)`: the frame after the
 * constructor in the call stack (a subclass's constructor, if any, counts as
 * the caller, as in aws-lambda-nodejs).
 */
function findDefiningFile(): string | undefined {
  const original = Error.prepareStackTrace;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.prepareStackTrace = (_, stack) => stack;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder);
    sites = (holder.stack as NodeJS.CallSite[]) ?? [];
  } finally {
    Error.prepareStackTrace = original;
  }
  const index = sites.findIndex((site) => site.getFunctionName() === 'RustFunction');
  const caller = index >= 0 ? sites[index + 1] : undefined;
  const file = caller?.getFileName() ?? undefined;
  if (!file) return undefined;
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}
