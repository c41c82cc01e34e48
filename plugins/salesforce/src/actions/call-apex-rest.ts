// Calls a custom Apex REST endpoint (@RestResource classes) under /services/apexrest/ and
// returns its JSON answer.
import { defineAction, z } from '@patchbay/sdk';
import { salesforceClient } from '../client.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

const apexPath = z
  .string()
  .trim()
  .regex(/^\/[A-Za-z0-9_\-./~%]*$/, 'must start with / and hold only a URL path (letters, digits, - _ . ~ % /); put query parameters in `query`')
  .refine((path) => !path.split('/').some((segment) => segment === '..' || segment === '.'), 'must not contain . or .. segments')
  .refine((path) => !path.startsWith('//'), 'must be a path, not a host')
  .describe('Path under /services/apexrest, as in the class\'s @RestResource(urlMapping), e.g. /orders/v1/submit');

export const callApexRest = defineAction({
  key: 'call_apex_rest',
  displayName: 'Call an Apex REST endpoint',
  description: 'Call a custom Apex REST endpoint (/services/apexrest/…) with a JSON body and return its JSON result.',
  input: z
    .object({
      method: z.enum(METHODS).default('POST').describe('HTTP method of the Apex REST handler (@HttpGet, @HttpPost, …)'),
      path: apexPath,
      query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('Query parameters (RestContext.request.params)'),
      body: z.json().optional().describe('JSON body sent to the handler'),
    })
    .superRefine((input, ctx) => {
      if (input.body !== undefined && (input.method === 'GET' || input.method === 'DELETE')) {
        ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${input.method} request cannot have a body` });
      }
    }),
  output: z.object({
    result: z.unknown().describe("The handler's answer: parsed JSON, text, or null when it returned nothing"),
  }),
  async run(ctx) {
    const { method, path, query, body } = ctx.input;
    const search = query ? new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString() : '';
    const target = search ? `${path}?${search}` : path;
    const client = await salesforceClient(ctx);
    const result = await client.call(`Apex REST ${method} ${path}`, (conn) => {
      switch (method) {
        case 'GET':
          return conn.apex.get<unknown>(target);
        case 'DELETE':
          return conn.apex.delete<unknown>(target);
        case 'POST':
          return conn.apex.post<unknown>(target, body as object | undefined);
        case 'PUT':
          return conn.apex.put<unknown>(target, body as object | undefined);
        case 'PATCH':
          return conn.apex.patch<unknown>(target, body as object | undefined);
      }
    });
    return { result: result ?? null };
  },
});
