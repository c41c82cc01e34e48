// A testing kit for plugin authors: run an action exactly as the hub does, against a local
// fake server that speaks the provider's wire format.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthMode } from './auth.ts';
import type { PluginDefinition } from './define.ts';
import { executeAction, type ContextOptions } from './execute.ts';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. /v1/leads?limit=5 */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json?: unknown;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

export interface FakeServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts an HTTP server on a free loopback port; the handler answers each request. */
export async function startFakeServer(
  handler: (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : undefined;
    } catch {
      json = undefined;
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, json };
    requests.push(recorded);
    try {
      const answer = await handler(recorded);
      const payload = answer.json !== undefined ? JSON.stringify(answer.json) : (answer.body ?? '');
      res.writeHead(answer.status ?? 200, {
        ...(answer.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...answer.headers,
      });
      res.end(payload);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Runs one action the way the hub does: templates rendered, input and output validated. */
export function runTestAction(
  plugin: PluginDefinition,
  action: string,
  options: Omit<ContextOptions, 'plugin' | 'mode'> & { mode?: AuthMode; input: unknown },
): Promise<unknown> {
  return executeAction({ ...options, plugin, action, mode: options.mode ?? plugin.auth[0]!.mode });
}

/** The error a promise rejects with; throws if it resolves instead (for asserting on typed errors). */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure, but the promise resolved');
}
