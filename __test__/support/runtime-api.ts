/**
 * A throwaway, in-process emulation of the AWS Lambda Runtime API, good for
 * exactly one invocation of a `bootstrap` executable.
 *
 * The bootstrap is spawned with `AWS_LAMBDA_RUNTIME_API` pointing at a local
 * HTTP server. Its first `GET .../invocation/next` receives the event; the
 * next one is held open (as the real service does while idle) until we kill
 * the process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { qemuRunner } from './qemu';

export interface InvokeOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Command prefix used to run the bootstrap, e.g. `qemuRunner()`. */
  runner?: string[];
  /** Extra environment variables for the function (override the defaults). */
  env?: Record<string, string>;
}

export interface InvokeResult {
  /** The raw response body the function posted. */
  body: string;
  /** `body` parsed as JSON, or `undefined` if it is not valid JSON. */
  json: any;
}

const PREFIX = '/2018-06-01/runtime';
const MAX_CAPTURE = 64 * 1024;

export async function invokeBootstrap(bootstrapPath: string, event: unknown, opts: InvokeOptions = {}): Promise<InvokeResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const requestId = `req-${process.pid}-${Date.now().toString(36)}`;
  const functionName = opts.env?.AWS_LAMBDA_FUNCTION_NAME ?? 'test-function';
  const eventBody = JSON.stringify(event === undefined ? null : event);

  let stderr = '';
  let stdout = '';
  let eventDelivered = false;
  let child: ChildProcess | undefined;
  let timer: NodeJS.Timeout | undefined;
  const held: http.ServerResponse[] = [];

  let settle!: { resolve: (r: InvokeResult) => void; reject: (e: Error) => void };
  let settled = false;
  const outcome = new Promise<InvokeResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (err: Error | undefined, result?: InvokeResult) => {
    if (settled) return;
    settled = true;
    if (err) settle.reject(err);
    else settle.resolve(result!);
  };
  const withOutput = (msg: string) => {
    const parts = [msg];
    if (stderr.trim()) parts.push(`--- stderr ---\n${stderr.trimEnd()}`);
    if (stdout.trim()) parts.push(`--- stdout ---\n${stdout.trimEnd()}`);
    return parts.join('\n');
  };

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '').split('?')[0];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const reply = (status: number, payload: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, {
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(payload)),
          ...headers,
        });
        res.end(payload);
      };

      if (req.method === 'GET' && url === `${PREFIX}/invocation/next`) {
        if (eventDelivered) {
          held.push(res); // idle: never answered, destroyed at cleanup
          return;
        }
        eventDelivered = true;
        reply(200, eventBody, {
          'Lambda-Runtime-Aws-Request-Id': requestId,
          'Lambda-Runtime-Deadline-Ms': String(Date.now() + timeoutMs),
          'Lambda-Runtime-Invoked-Function-Arn': `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
          'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-000000000000000000000000;Sampled=0`,
        });
        return;
      }

      const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
      if (req.method === 'POST' && m) {
        reply(202, '{"status":"OK"}');
        const id = decodeURIComponent(m[1]);
        if (id !== requestId) {
          finish(new Error(withOutput(`function answered unknown request id ${id} (expected ${requestId})`)));
        } else if (m[2] === 'response') {
          let json: any;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          finish(undefined, { body, json });
        } else {
          finish(new Error(withOutput(`function reported an invocation error: ${body}`)));
        }
        return;
      }

      if (req.method === 'POST' && url === `${PREFIX}/init/error`) {
        reply(202, '{"status":"OK"}');
        finish(new Error(withOutput(`function reported an init error: ${body}`)));
        return;
      }

      reply(404, JSON.stringify({ errorMessage: `unexpected ${req.method} ${url}` }));
    });
  });

  const cleanup = async () => {
    if (timer) clearTimeout(timer);
    if (child?.pid !== undefined) {
      const running = child.exitCode === null && child.signalCode === null;
      const exited = running ? new Promise<void>((r) => child!.once('exit', () => r())) : undefined;
      // The child leads its own process group: kill the group so that anything it
      // forked (which may hold our stdio pipes open) goes away as well.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      await exited;
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    for (const res of held) res.destroy();
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  };

  try {
    if (!opts.runner?.length) checkHostArchitecture(bootstrapPath);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const taskRoot = path.dirname(path.resolve(bootstrapPath));

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${requestId}`,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_EXECUTION_ENV: 'AWS_Lambda_provided.al2023',
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: taskRoot,
      _HANDLER: 'bootstrap',
      ...opts.env,
      AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
    };

    const [command, ...args] = opts.runner?.length ? [...opts.runner, path.resolve(bootstrapPath)] : [path.resolve(bootstrapPath)];

    child = spawn(command, args, { cwd: taskRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (c: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += c.toString('utf8');
    });
    child.stderr!.on('data', (c: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += c.toString('utf8');
    });
    child.on('error', (err) => finish(new Error(withOutput(`cannot start ${command}: ${err.message}`))));
    // 'close' (not 'exit') so that all of stderr has been read.
    child.on('close', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      finish(new Error(withOutput(`bootstrap ${how} before answering the invocation`)));
    });

    timer = setTimeout(() => finish(new Error(withOutput(`bootstrap did not answer within ${timeoutMs} ms`))), timeoutMs);

    return await outcome;
  } catch (err) {
    finish(err as Error);
    return await outcome;
  } finally {
    await cleanup();
  }
}

const ELF_MACHINES: Record<number, string> = { 3: 'ia32', 40: 'arm', 62: 'x64', 183: 'arm64' };

/**
 * Spawning an ELF for another architecture fails with ENOEXEC, which makes
 * Node/libc retry it through /bin/sh and report a confusing shell syntax error.
 * Catch that case up front with a clear message.
 */
function checkHostArchitecture(bootstrapPath: string): void {
  let header: Buffer;
  try {
    const fd = fs.openSync(bootstrapPath, 'r');
    try {
      header = Buffer.alloc(20);
      if (fs.readSync(fd, header, 0, 20, 0) < 20) return;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return; // let spawn report missing or unreadable files
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return; // not ELF (e.g. a script)
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  const arch = ELF_MACHINES[machine];
  if (arch && arch !== process.arch) {
    throw new Error(
      `${bootstrapPath} is a Linux ${arch} executable but this host is ${process.arch}; ` +
        `pass opts.runner (e.g. qemuRunner()) to run it under emulation`,
    );
  }
}

/**
 * An ARM64 bootstrap's answer to `event`, run under qemu; `undefined` (with a
 * warning) only outside CI when qemu is not set up: under CI qemuRunner throws.
 */
export async function invokeArm64Bootstrap(bootstrapPath: string, event: unknown): Promise<unknown> {
  const runner = qemuRunner();
  if (!runner) {
    console.warn('qemu not set up (scripts/setup-qemu.sh): the ARM64 bootstrap was checked by its ELF header only');
    return undefined;
  }
  return (await invokeBootstrap(bootstrapPath, event, { runner })).json;
}
