// Props of the packages users migrate from (cargo-lambda-cdk,
// rust.aws-cdk-lambda): TypeScript refuses them at compile time, but plain
// JavaScript would pass them silently and build with defaults. Each is
// refused with the prop that does the same here.
import * as native from './native';

interface Foreign {
  readonly from: string;
  readonly instead: string;
}

const GIT_SOURCE: Foreign = {
  from: 'cargo-lambda-cdk',
  instead: 'nothing: git URLs are not cloned here; check the repository out and set `entry`',
};

const TOP_LEVEL: Readonly<Record<string, Foreign>> = {
  manifestPath: { from: 'cargo-lambda-cdk', instead: '`entry` (a Cargo.toml or the folder holding one)' },
  branch: GIT_SOURCE,
  gitRemote: GIT_SOURCE,
  gitReference: GIT_SOURCE,
  gitForceClone: GIT_SOURCE,
  directory: { from: 'rust.aws-cdk-lambda', instead: '`entry` (a Cargo.toml or the folder holding one)' },
  bin: { from: 'rust.aws-cdk-lambda', instead: '`binaryName`' },
  package: { from: 'rust.aws-cdk-lambda', instead: "`entry` (the package's Cargo.toml) or `binaryName` (searched in the whole workspace)" },
  target: { from: 'rust.aws-cdk-lambda', instead: '`architecture` (the target follows it: lambda.Architecture.ARM_64 builds aarch64)' },
  features: { from: 'rust.aws-cdk-lambda', instead: "`bundling.extraBuildArgs: ['--features', 'a,b']`" },
  buildEnvironment: { from: 'rust.aws-cdk-lambda', instead: '`bundling.environment`' },
  extraBuildArgs: { from: 'rust.aws-cdk-lambda', instead: '`bundling.extraBuildArgs`' },
  setupLogging: { from: 'rust.aws-cdk-lambda', instead: "the function's `environment: { RUST_LOG: 'info' }`" },
  buildDir: {
    from: 'rust.aws-cdk-lambda',
    instead: "nothing: binaries stay in cargo's target directory (`CARGO_TARGET_DIR` in `bundling.environment` moves it)",
  },
  cacheDir: { from: 'rust.aws-cdk-lambda', instead: "nothing here (`CDK_LAMBDA_RUST_CACHE_DIR` moves this package's cache)" },
};

const IN_BUNDLING: Readonly<Record<string, Foreign>> = {
  cargoLambdaFlags: { from: 'cargo-lambda-cdk', instead: '`bundling.extraBuildArgs`' },
  forcedDockerBundling: { from: 'cargo-lambda-cdk', instead: '`bundling.forceDockerBundling`' },
  dockerOptions: {
    from: 'cargo-lambda-cdk',
    instead: 'the Docker options directly in `bundling` (`network`, `user`, `volumes`, `securityOpt`, ...)',
  },
  architecture: { from: 'cargo-lambda-cdk', instead: "the construct's own `architecture`" },
  buildArgs: { from: "@cdklabs/aws-lambda-rust's README", instead: '`bundling.extraBuildArgs`' },
  packageManager: { from: "@cdklabs/aws-lambda-rust's README", instead: '`bundling.packageManagerType`' },
};

function check(props: object | undefined, table: Readonly<Record<string, Foreign>>, where: string): void {
  if (!props) return;
  for (const key of Object.keys(props)) {
    const foreign = Object.hasOwn(table, key) ? table[key] : undefined;
    if (foreign && (props as Record<string, unknown>)[key] !== undefined) {
      throw native.invalidOption(`\`${where}${key}\` is ${foreign.from}'s prop and does nothing here: use ${foreign.instead}.`);
    }
  }
}

/**
 * Refuses props of other packages, and a `runtime` that is not a
 * `lambda.Runtime` (cargo-lambda-cdk takes a string).
 */
export function refuseForeignProps(props: { bundling?: object; runtime?: unknown } & object): void {
  check(props, TOP_LEVEL, '');
  check(props.bundling, IN_BUNDLING, 'bundling.');
  const runtime = props.runtime;
  if (
    runtime !== undefined &&
    (typeof runtime !== 'object' || runtime === null || typeof (runtime as { name?: unknown }).name !== 'string')
  ) {
    const given = typeof runtime === 'string' ? `the string '${runtime}'` : String(runtime);
    const constant =
      typeof runtime === 'string' && runtime === 'provided.al2' ? 'lambda.Runtime.PROVIDED_AL2' : 'lambda.Runtime.PROVIDED_AL2023';
    throw native.invalidOption(`\`runtime\` must be a lambda.Runtime such as ${constant}, got ${given}.`);
  }
}
