/**
 * The Lambda Extensions API, served on 127.0.0.1 for one extension binary:
 * it must register (`POST /2020-01-01/extension/register`, under the name
 * Lambda knows it by: its file name in `/opt/extensions`), then long-poll
 * `GET /2020-01-01/extension/event/next`; it gets `invokes` INVOKE events,
 * then SHUTDOWN, after which it must exit.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface ExtensionRun {
  /** `Lambda-Extension-Name` of the registration. */
  readonly registeredName?: string;
  /** The events it asked for at registration. */
  readonly registeredEvents?: string[];
  /** Event types delivered, in order. */
  readonly delivered: string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runExtension(
  binary: string,
  opts: { runner?: string[]; invokes?: number; timeoutMs?: number } = {},
): Promise<ExtensionRun> {
  const invokes = opts.invokes ?? 1;
  const id = `ext-${process.pid}-${Date.now().toString(36)}`;
  let registeredName: string | undefined;
  let registeredEvents: string[] | undefined;
  const delivered: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
      };
      if (req.method === 'POST' && req.url === '/2020-01-01/extension/register') {
        registeredName = String(req.headers['lambda-extension-name'] ?? '');
        registeredEvents = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}').events;
        reply(
          200,
          { functionName: 'test-function', functionVersion: '$LATEST', handler: 'bootstrap' },
          { 'Lambda-Extension-Identifier': id },
        );
        return;
      }
      if (req.method === 'GET' && req.url === '/2020-01-01/extension/event/next') {
        if (req.headers['lambda-extension-identifier'] !== id) {
          reply(403, { errorMessage: 'unknown extension identifier' });
          return;
        }
        const deadlineMs = Date.now() + 3000;
        if (delivered.length < invokes) {
          delivered.push('INVOKE');
          reply(200, {
            eventType: 'INVOKE',
            deadlineMs,
            requestId: `req-${delivered.length}`,
            invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test-function',
          });
        } else {
          delivered.push('SHUTDOWN');
          reply(200, { eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs });
        }
        return;
      }
      reply(404, { errorMessage: `unexpected ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const [command, ...args] = opts.runner?.length ? [...opts.runner, path.resolve(binary)] : [path.resolve(binary)];
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const exitCode = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  await new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  });
  return { registeredName, registeredEvents, delivered, exitCode, stdout, stderr };
}
