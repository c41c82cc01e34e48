// POST a JSON payload to a catch hook (Zapier, Make, n8n, Pipedream, Slack incoming webhooks).
// A hook URL is a capability (its path is the secret), so errors name only its origin.
import { defineAction, errorForResponse, PermanentError, z } from '@patchbay/sdk';
import { absoluteUrl, assertCredentialsStayHome, buildHeaders, headersSchema, timeoutMs, USER_AGENT } from '../shared.ts';

export const sendWebhookInput = z.object({
  url: absoluteUrl.describe('The hook URL, e.g. https://hooks.zapier.com/hooks/catch/123/abc/'),
  payload: z.json().describe('Any JSON value, sent as the request body'),
  headers: headersSchema.optional(),
  timeoutMs,
});

export const sendWebhookOutput = z.object({
  status: z.number().int(),
  body: z.unknown().describe('What the hook answered (parsed JSON or text)'),
});

export const sendWebhook = defineAction({
  key: 'send_webhook',
  displayName: 'Send webhook',
  description: 'POST a JSON payload to a webhook URL (Zapier or Make catch hooks and the like).',
  input: sendWebhookInput,
  output: sendWebhookOutput,
  async run(ctx) {
    const { input } = ctx;
    assertCredentialsStayHome(ctx, input.url);
    const target = new URL(input.url);
    const what = `POST ${target.origin}`;
    let res;
    try {
      res = await ctx.http.request({
        method: 'POST',
        url: input.url,
        headers: buildHeaders(ctx, { 'user-agent': USER_AGENT }, input.headers),
        json: input.payload,
        throwOnError: false,
        timeoutMs: input.timeoutMs,
      });
    } catch (err) {
      throw hidePath(err, target);
    }
    if (res.status === 410) {
      throw new PermanentError(`${what} answered 410: the receiving hook is gone (deleted or turned off); update or remove this webhook URL`, { status: 410 });
    }
    if (res.status < 200 || res.status >= 300) throw errorForResponse(res, what);
    return { status: res.status, body: res.data };
  },
});

/** The SDK names `origin + path` in network and timeout errors; a hook's path is its secret. */
function hidePath(err: unknown, url: URL): unknown {
  if (err instanceof Error && url.pathname !== '/') {
    err.message = err.message.split(`${url.origin}${url.pathname}`).join(`${url.origin}/…`);
  }
  return err;
}
