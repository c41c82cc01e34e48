// A GraphQL operation over HTTP (POST, JSON). `errors` beside `data` is returned; `errors`
// without data fails the run with the first message; HTTP failures become the SDK's typed
// errors, carrying the GraphQL error message when the server sent one.
import { defineAction, errorForResponse, PermanentError, z } from '@patchbay/sdk';
import { assertCredentialsStayHome, buildHeaders, headersSchema, targetUrl, timeoutMs, USER_AGENT } from '../shared.ts';

const graphqlError = z.looseObject({
  message: z.string(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export const graphqlRequestInput = z.object({
  url: targetUrl.optional().describe('The GraphQL endpoint: absolute, or relative to baseUrl; default the connection baseUrl itself'),
  query: z.string().trim().min(1, 'is required').describe('The GraphQL document'),
  variables: z.record(z.string(), z.json()).optional(),
  operationName: z.string().min(1).optional().describe('Which operation of the document to run'),
  headers: headersSchema.optional(),
  timeoutMs,
});

export const graphqlRequestOutput = z.object({
  data: z.unknown().describe('The `data` of the response (null when absent)'),
  errors: z.array(graphqlError).optional().describe('GraphQL errors that came with partial data'),
});

export const graphqlRequest = defineAction({
  key: 'graphql_request',
  displayName: 'GraphQL request',
  description: 'Run a GraphQL query or mutation against any GraphQL endpoint and return its data (and errors, when partial).',
  input: graphqlRequestInput,
  output: graphqlRequestOutput,
  async run(ctx) {
    const { input } = ctx;
    const url = input.url ?? (typeof ctx.config.baseUrl === 'string' ? ctx.config.baseUrl : undefined);
    if (!url) throw new PermanentError('graphql_request needs a url, or a baseUrl on the connection');
    assertCredentialsStayHome(ctx, url);
    const res = await ctx.http.request({
      method: 'POST',
      url,
      headers: buildHeaders(ctx, { accept: 'application/graphql-response+json, application/json;q=0.9', 'user-agent': USER_AGENT }, input.headers),
      json: { query: input.query, variables: input.variables, operationName: input.operationName },
      responseType: 'text',
      throwOnError: false,
      timeoutMs: input.timeoutMs,
    });
    const target = new URL(res.url);
    const what = `POST ${target.origin}${target.pathname}`;
    const body = parseJson(res.text);
    const errors = Array.isArray(body?.errors) ? (body.errors as unknown[]).filter(isGraphqlError) : undefined;
    const first = errors?.[0]?.message;

    if (res.status < 200 || res.status >= 300) {
      // Keep the status-based typing (401, 429 + Retry-After, 5xx) but say what GraphQL said.
      throw errorForResponse(first ? { ...res, text: JSON.stringify({ message: describeErrors(errors!) }) } : res, what);
    }
    if (!body || (!('data' in body) && !errors?.length)) {
      throw new PermanentError(`${what} did not answer with a GraphQL response: ${res.text.slice(0, 200) || '(empty body)'}`, { status: res.status });
    }
    const data = body.data ?? null;
    if (errors?.length && data === null) {
      throw new PermanentError(`GraphQL error from ${what}: ${describeErrors(errors)}`, { status: res.status, errors: errors.slice(0, 5) });
    }
    return { data, ...(errors?.length ? { errors } : {}) };
  },
});

type GraphqlError = z.output<typeof graphqlError>;

function isGraphqlError(value: unknown): value is GraphqlError {
  return graphqlError.safeParse(value).success;
}

function describeErrors(errors: GraphqlError[]): string {
  return `${errors[0]!.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
