// One HTTP port: /graphql (HTTP + graphql-ws, sharing yoga's envelop so both run the same
// plugins and context), /healthz, /readyz, /metrics.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { usePrometheus } from '@graphql-yoga/plugin-prometheus';
import { isTemporalReachable } from '@patchbay/workflows';
import { GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createYoga, useErrorHandler, type YogaInitialContext } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { createContext, type Context, type Hub } from './context.ts';
import { handleConnect } from './http/connect.ts';
import { handleHook } from './http/hooks.ts';
import { handleOAuthCallback } from './http/oauth.ts';
import type { Logger } from './logger.ts';
import { schema } from './schema/index.ts';

interface ServerContext {
  requestId: string;
}

interface WsInitialContext {
  connectionParams?: Record<string, unknown>;
  requestId: string;
}

const DRAIN_TIMEOUT_MS = 10_000;

export interface App {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export function createYogaApp(hub: Hub) {
  return createYoga<ServerContext & Partial<WsInitialContext>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Patchbay', subscriptionsProtocol: 'WS' },
    logging: {
      debug: (...args) => hub.logger.debug({ args }, 'yoga'),
      info: (...args) => hub.logger.info({ args }, 'yoga'),
      warn: (...args) => hub.logger.warn({ args }, 'yoga'),
      error: (...args) => hub.logger.error({ args }, 'yoga'),
    },
    maskedErrors: {
      maskError(error, message) {
        const kind = classifyError(error);
        if (kind === 'exposable') return error as Error;
        if (kind === 'not-found') {
          const located = error as GraphQLError;
          return new GraphQLError('Not found', { nodes: located.nodes, path: located.path, extensions: { code: 'NOT_FOUND' } });
        }
        // Logged (with the request id) by the error handler below, which saw it unmasked.
        return new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      },
    },
    context: async (initial: YogaInitialContext & Partial<ServerContext & WsInitialContext>) => {
      const authorization =
        initial.request?.headers.get('authorization') ?? headerFromParams(initial.connectionParams);
      return createContext(hub, authorization, initial.requestId ?? randomUUID());
    },
    plugins: [
      // Before the masking plugin (yoga appends it after these): sees each internal error as
      // raised, with the operation's context and so the request's logger. (Not an
      // AsyncLocalStorage: on Node 20 one in use makes every promise of the process pay for
      // async hooks, the webhook ingest path included.)
      useErrorHandler(({ errors, context }) => {
        const logger = loggerOf(hub, context);
        for (const error of errors) {
          if (classifyError(error) === 'internal') logger.error({ err: (error as GraphQLError).originalError ?? error }, 'unexpected error in a GraphQL operation');
        }
      }),
      EnvelopArmorPlugin({
        maxDepth: { n: 12 },
        costLimit: { maxCost: 20_000 },
        maxAliases: { n: 30 },
        maxDirectives: { n: 50 },
        maxTokens: { n: 5_000 },
      }),
      usePrometheus({
        registry: hub.metrics.registry,
        endpoint: false,
        metrics: {
          graphql_envelop_request: true,
          graphql_envelop_request_duration: true,
          graphql_envelop_error_result: true,
          graphql_yoga_http_duration: false,
        },
      }),
    ],
  });
}

/**
 * The request's logger in an error handler's context: the GraphQL context's, found in the
 * execution args (execution phase) or as the context itself; when building the context failed,
 * the hub's with the request id.
 */
function loggerOf(hub: Hub, context: unknown): Logger {
  const c = context as { logger?: Logger; contextValue?: { logger?: Logger }; requestId?: string } | null | undefined;
  return c?.contextValue?.logger ?? c?.logger ?? (c?.requestId ? hub.logger.child({ requestId: c.requestId }) : hub.logger);
}

/**
 * Which errors a client may see. Duck-typed on purpose: graphql can be loaded twice (ESM and
 * CJS builds), so `instanceof GraphQLError` is unreliable. A located error inherits the
 * original's extensions, so typed Patchbay errors keep their code.
 */
function classifyError(error: unknown): 'exposable' | 'not-found' | 'internal' {
  const typed = error as { name?: string; extensions?: { code?: unknown }; originalError?: { name?: string; code?: string } };
  if (typeof typed.extensions?.code === 'string' && typed.extensions.code !== 'INTERNAL_SERVER_ERROR') return 'exposable';
  // Errors raised by graphql itself (syntax, validation, variable coercion, limits) are safe to show.
  if (typed.name === 'GraphQLError' && (!typed.originalError || typed.originalError.name === 'GraphQLError')) return 'exposable';
  // Node lookups (node/nodes) use findUniqueOrThrow: a row of another organization is "not found".
  if (typed.originalError?.name === 'PrismaClientKnownRequestError' && typed.originalError.code === 'P2025') return 'not-found';
  return 'internal';
}

function headerFromParams(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

export async function startApp(hub: Hub, port = hub.config.PORT, host = hub.config.HOST): Promise<App> {
  const yoga = createYogaApp(hub);
  const { metrics, logger } = hub;

  // Requests still being handled when the app closes are awaited (bounded), so nothing they
  // use (database, Temporal client) is closed under them.
  const inflight = new Set<Promise<unknown>>();
  const server = http.createServer((req, res) => {
    const handling = handle(req, res);
    inflight.add(handling);
    void handling.finally(() => inflight.delete(handling));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const started = process.hrtime.bigint();
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0]!;
    const route = ['/graphql', '/healthz', '/readyz', '/metrics'].includes(path) ? path : 'other';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.inc({ method: req.method ?? 'GET', route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method ?? 'GET', route }, seconds);
      logger.debug({ requestId, method: req.method, route, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    });
    try {
      if (path === '/healthz') return json(res, 200, { status: 'ok' });
      if (path === '/readyz') return await readiness(hub, res);
      if (path === '/metrics') {
        res.setHeader('content-type', metrics.registry.contentType);
        return res.end(await metrics.registry.metrics());
      }
      if (path === '/oauth/callback') return await handleOAuthCallback(hub, req, res, new URL(req.url ?? '/', hub.config.publicUrl));
      if (path.startsWith('/hooks/')) return await handleHook(hub, req, res, path.slice('/hooks/'.length));
      if (path.startsWith('/connect/')) return await handleConnect(hub, req, res, path.slice('/connect/'.length));
      if (path === '/graphql') {
        return await yoga(req, res, { requestId });
      }
      return json(res, 404, { error: 'not found', path });
    } catch (err) {
      logger.error({ err, requestId }, 'request failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error', requestId });
      else res.end();
    }
  }

  const wss = new WebSocketServer({ server, path: '/graphql' });
  const wsServer = useServer<Record<string, unknown>>(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onSubscribe: async (ctx, _id, params) => {
        const { schema: envSchema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          connectionParams: ctx.connectionParams,
          requestId: randomUUID(),
        });
        const args = {
          schema: envSchema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length ? errors : args;
      },
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${address.port}`;

  return {
    server,
    url,
    async close() {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.race([Promise.allSettled([...inflight]), new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref())]);
      await wsServer.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
    },
  };
}

async function readiness(hub: Hub, res: http.ServerResponse) {
  const [database, temporal] = await Promise.all([
    hub.db.ping().then(() => true, () => false),
    isTemporalReachable(hub.temporal),
  ]);
  const ready = database && temporal;
  return json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', database, temporal });
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && /^[\w.-]{1,128}$/.test(v) ? v : undefined;
}
