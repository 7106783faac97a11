// What RustFunction and RustExtension share: finding the defining file, and
// checking what Docker bundling staged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AssetStaging } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import * as native from './native';

/**
 * Checks the binary Docker bundling staged at `entry` in the construct's
 * asset (ELF machine, glibc needs), with the codes local bundling uses; a
 * bad one is removed from `cdk.out` (a later synth would otherwise find it
 * and skip bundling) and thrown.
 */
export function verifyDockerOutput(
  scope: Construct,
  entry: string,
  architecture: lambda.Architecture,
  runtime: lambda.Runtime,
  storeKey?: string,
): void {
  const staging = scope.node.tryFindChild('Code')?.node.tryFindChild('Stage') as AssetStaging | undefined;
  if (!staging) return;
  const staged = staging.absoluteStagedPath;
  const binary = fs.statSync(staged).isDirectory() ? path.join(staged, entry) : staged;
  try {
    native.verifyBootstrap(binary, native.architectureOf(architecture), runtime.name);
  } catch (e) {
    fs.rmSync(staged, { recursive: true, force: true });
    throw e;
  }
  // Checked: the asset store may keep it, zipped as local builds are.
  if (storeKey) native.storeDockerAsset(storeKey, binary, entry);
}

/**
 * The file whose code called `new <constructName>(...)`: the frame after the
 * constructor in the call stack (a subclass's constructor, if any, counts as
 * the caller, as in aws-lambda-nodejs).
 */
export function findDefiningFile(constructName: string): string | undefined {
  // Under jsii (Python, Java, .NET, Go) the caller's file is not JavaScript:
  // the frame would be the jsii kernel's own. The core then uses the
  // working directory (see the README).
  if (process.env.JSII_AGENT) return undefined;
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
  const index = sites.findIndex((site) => site.getFunctionName() === constructName);
  const caller = index >= 0 ? sites[index + 1] : undefined;
  const file = caller?.getFileName() ?? undefined;
  if (!file) return undefined;
  return file.startsWith('file://') ? fileURLToPath(file) : file;
}
