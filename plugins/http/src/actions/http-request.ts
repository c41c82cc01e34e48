// Any HTTP call: method, URL (absolute or relative to the connection's baseUrl), query,
// headers and a JSON / form / XML / text body; the response comes back parsed, optionally
// mapped with JSONPath (Engrami's output_mapping), and non-2xx answers become typed errors.
import { applyMapping, defineAction, z, type HttpRequest } from '@patchbay/sdk';
import { assertCredentialsStayHome, buildHeaders, buildQuery, headersSchema, mappingSchema, publicHeaders, targetUrl, timeoutMs, USER_AGENT } from '../shared.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

const queryValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const body = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('json'), value: z.json().describe('Any JSON value, sent as application/json') }),
    z.object({
      type: z.literal('form'),
      value: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe('Fields sent as application/x-www-form-urlencoded'),
    }),
    z.object({ type: z.literal('xml'), value: z.string().describe('An XML document, sent as application/xml') }),
    z.object({ type: z.literal('text'), value: z.string().describe('Plain text, sent as text/plain') }),
  ])
  .describe('The request body and how to encode it');

export const httpRequestInput = z
  .object({
    method: z.enum(METHODS).default('GET'),
    url: targetUrl,
    query: z.record(z.string(), z.union([queryValue, z.array(queryValue)])).optional().describe('Query parameters, added to any already in the URL'),
    headers: headersSchema.optional(),
    body: body.optional(),
    responseType: z.enum(['auto', 'json', 'text']).default('auto').describe('auto parses JSON when the response says it is JSON'),
    timeoutMs,
    outputMapping: mappingSchema.optional().describe('JSONPath mapping over the response body, e.g. { "ticket_id": "$.id" }; the result is returned as `mapped`'),
    failOnHttpError: z.boolean().default(true).describe('true: a non-2xx answer fails the run with a typed error; false: it is returned like any other'),
  })
  .superRefine((input, ctx) => {
    if (input.body && (input.method === 'GET' || input.method === 'HEAD')) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${input.method} request cannot have a body` });
    }
  });

export const httpRequestOutput = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown().describe('Parsed JSON, or the text of the response'),
  mapped: z.unknown().optional(),
});

const DEFAULT_CONTENT_TYPE = { xml: 'application/xml', text: 'text/plain; charset=utf-8' } as const;

export const httpRequest = defineAction({
  key: 'http_request',
  displayName: 'HTTP request',
  description: 'Send an HTTP request to any API and return its status, headers and body (optionally mapped with JSONPath).',
  input: httpRequestInput,
  output: httpRequestOutput,
  async run(ctx) {
    const { input } = ctx;
    assertCredentialsStayHome(ctx, input.url);
    const headers = buildHeaders(ctx, { 'user-agent': USER_AGENT }, input.headers);
    const request: HttpRequest = {
      method: input.method,
      url: input.url,
      query: buildQuery(ctx, input.query),
      headers,
      timeoutMs: input.timeoutMs,
      responseType: input.responseType,
      throwOnError: input.failOnHttpError,
    };
    const b = input.body;
    if (b?.type === 'json') request.json = b.value;
    else if (b?.type === 'form') request.form = Object.fromEntries(Object.entries(b.value).map(([k, v]) => [k, String(v)]));
    else if (b) {
      request.body = b.value;
      if (!('content-type' in headers)) headers['content-type'] = DEFAULT_CONTENT_TYPE[b.type];
    }

    const res = await ctx.http.request(request);
    return {
      status: res.status,
      headers: publicHeaders(res.headers),
      body: res.data,
      ...(input.outputMapping !== undefined ? { mapped: applyMapping(input.outputMapping, res.data) } : {}),
    };
  },
});
