// A testing kit for plugin authors: run an action exactly as the hub does, against a local
// fake server that speaks the provider's wire format.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthMode } from './auth.ts';
import type { PluginDefinition, TriggerResponse } from './define.ts';
import { executeAction, type ContextOptions } from './execute.ts';
import { headersRecord } from './http.ts';
import { executeTriggerRequest, parseTriggerBody, triggerOf } from './triggers.ts';
import { verifiers, type VerifyResult } from './webhooks/index.ts';

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
  handler: FakeHandler,
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
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Clients keep connections alive between requests; without this close() waits ~5 s for them to time out.
        server.closeAllConnections();
      }),
  };
}

/**
 * The test runner's lifecycle hooks (vitest's or jest's), passed in so the SDK depends on no
 * test runner: `useFakeProvider({ beforeAll, afterAll, beforeEach }, …)`.
 */
export interface TestLifecycle {
  beforeAll(fn: () => unknown): void;
  afterAll(fn: () => unknown): void;
  beforeEach(fn: () => unknown): void;
}

export type FakeHandler = (req: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeProviderOptions<State extends object, Handler extends FakeHandler = FakeHandler> {
  plugin: PluginDefinition;
  /** The fake's live state and its request handler (the handler reads the state on each request). */
  fake: { state: State; handle: Handler };
  /** A fresh state; copied over the live one before each test. */
  initialState: () => State;
  /** The API's path on the fake (e.g. "/v1.0"); connections get `<server url><basePath>` as baseUrl. */
  basePath?: string;
  /**
   * The connection a run uses; `secret` is run()'s optional third argument (a wrong token, say).
   * Default: an OAUTH2 connection whose access token is `secret`, else `state.accessToken`.
   */
  connection?(state: State, secret?: string): { mode: AuthMode; credentials: unknown };
}

const bearerConnection = (state: object, secret?: string) => ({ mode: 'OAUTH2' as AuthMode, credentials: { accessToken: secret ?? (state as { accessToken?: unknown }).accessToken } });

/**
 * For a test file: one fake provider server for the file, its state reset and its recorded
 * requests cleared before each test, and `run(action, input, secret?)` running an action of
 * `plugin` against it.
 */
export function useFakeProvider<State extends object, Handler extends FakeHandler>(lifecycle: TestLifecycle, options: FakeProviderOptions<State, Handler>) {
  const kit = {
    state: options.fake.state,
    handle: options.fake.handle,
    server: undefined as unknown as FakeServer,
    baseUrl: '',
    run: (action: string, input: unknown, secret?: string): Promise<any> =>
      runTestAction(options.plugin, action, { ...(options.connection ?? bearerConnection)(kit.state, secret), config: { baseUrl: kit.baseUrl }, input }),
  };
  lifecycle.beforeAll(async () => {
    kit.server = await startFakeServer(kit.handle);
    kit.baseUrl = `${kit.server.url}${options.basePath ?? ''}`;
  });
  lifecycle.afterAll(() => kit.server?.close());
  lifecycle.beforeEach(() => {
    Object.assign(kit.state, options.initialState());
    kit.server.requests.length = 0;
  });
  return kit;
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

export interface TriggerDelivery {
  /** The signature check's result (the hub answers 401 with `reason` when it fails). */
  verification: VerifyResult;
  /** The immediate answer (a handshake, or the reply the hub sends once the event is stored). */
  response?: TriggerResponse;
  /** The events the trigger produced (empty when unverified or a handshake). */
  events: unknown[];
}

/**
 * Delivers a provider request to a webhook trigger exactly as the hub does: the trigger's
 * signature scheme is checked with `secret`, then `respond`, then `handle`.
 */
export async function deliverTrigger(
  plugin: PluginDefinition,
  trigger: string,
  options: Omit<ContextOptions, 'plugin' | 'mode' | 'credentials'> & {
    mode?: AuthMode;
    credentials?: unknown;
    headers: Record<string, string>;
    rawBody: string;
    url?: string;
    secret?: string | null;
    settings?: unknown;
    now?: number;
  },
): Promise<TriggerDelivery> {
  const definition = triggerOf(plugin, trigger);
  const headers = headersRecord(options.headers);
  const url = options.url ?? 'http://127.0.0.1/hooks/test';
  const verification = await verifiers[definition.verification ?? 'NONE'].verify({
    rawBody: Buffer.from(options.rawBody, 'utf8'),
    headers,
    url,
    secret: options.secret ?? null,
    headerName: null,
    options: {},
    now: options.now ?? Date.now(),
  });
  if (!verification.ok) return { verification, events: [] };
  const request = { headers, rawBody: options.rawBody, body: parseTriggerBody(options.rawBody, headers['content-type']), url };
  const response = definition.respond?.(request);
  if (response?.handshake) return { verification, response, events: [] };
  const events = await executeTriggerRequest({
    ...options,
    plugin,
    mode: options.mode ?? plugin.auth[0]!.mode,
    credentials: options.credentials ?? {},
    trigger,
    request,
  });
  return { verification, response, events };
}
