// A fake Twilio REST API (2010-04-01) for tests, speaking Twilio's wire format: HTTP basic auth
// (Account SID : Auth Token), form-encoded POSTs, `.json` resource paths, resources in
// snake_case with RFC 2822 dates and string counters, and errors as
// `{ code, message, more_info, status }`: 20003 Authenticate (401), 20404 not found, 21211
// invalid 'To', 21603 missing 'From', 21617 body too long, 20429 Too Many Requests (429),
// 20500 internal error (500). Twilio's magic test numbers behave as on the test credentials:
// To +15005550001 → 21211, +15005550002 → 21612 (cannot route), +15005550009 → 21614 (not SMS capable).
import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeResponse, type FakeServer } from '@patchbay/sdk/testing';
import twilio from 'twilio';

/** X-Twilio-Signature for a form POST to `url`, computed by twilio-node itself (as Twilio signs). */
export const signTwilioRequest = (authToken: string, url: string, params: Record<string, string>): string => twilio.getExpectedTwilioSignature(authToken, url, params);

export interface FakeTwilio extends FakeServer {
  messages: Array<Record<string, unknown>>;
  failNext(kind: 'rate-limit' | 'server-error', times?: number): void;
  reset(): void;
}

const MORE_INFO = 'https://www.twilio.com/docs/errors/';
const E164 = /^\+[1-9]\d{1,14}$/;
const hex = (n: number) => randomBytes(n).toString('hex');
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

export async function startFakeTwilio(account: { sid: string; authToken: string; friendlyName?: string; status?: 'active' | 'suspended' | 'closed' }): Promise<FakeTwilio> {
  const messages: Array<Record<string, unknown>> = [];
  const failures: Array<'rate-limit' | 'server-error'> = [];
  const error = (status: number, code: number, message: string, headers: Record<string, string> = {}): FakeResponse => ({
    status,
    headers: { 'twilio-request-id': `RQ${hex(16)}`, ...headers },
    json: { code, message, more_info: `${MORE_INFO}${code}`, status },
  });

  const server = await startFakeServer((req) => {
    const url = new URL(req.url, 'http://fake');
    const failure = failures.shift();
    if (failure === 'rate-limit') return error(429, 20429, 'Too Many Requests', { 'retry-after': '2' });
    if (failure === 'server-error') return error(500, 20500, 'An internal server error has occurred');

    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    const [user, password] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(/:(.*)/s) : [];
    if (user !== account.sid || password !== account.authToken) {
      return error(401, 20003, 'Authenticate', { 'www-authenticate': 'Basic realm="Twilio API"' });
    }
    const accountPath = /^\/2010-04-01\/Accounts\/(AC[0-9a-fA-F]{32})(\/Messages)?\.json$/.exec(url.pathname);
    if (!accountPath) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
    if (accountPath[1] !== account.sid) return error(404, 20404, `The requested resource ${url.pathname} was not found`);
    const now = rfc2822(new Date('2026-11-22T10:00:00Z'));

    if (req.method === 'GET' && !accountPath[2]) {
      return {
        json: {
          sid: account.sid,
          owner_account_sid: account.sid,
          friendly_name: account.friendlyName ?? 'My first Twilio account',
          status: account.status ?? 'active',
          type: 'Full',
          auth_token: account.authToken,
          date_created: now,
          date_updated: now,
          uri: `/2010-04-01/Accounts/${account.sid}.json`,
          subresource_uris: { messages: `/2010-04-01/Accounts/${account.sid}/Messages.json` },
        },
      };
    }
    if (req.method === 'POST' && accountPath[2]) {
      if (!/^application\/x-www-form-urlencoded/.test(String(req.headers['content-type'] ?? ''))) return error(400, 20001, 'Unsupported content type');
      const form = new URLSearchParams(req.body);
      const to = form.get('To');
      const from = form.get('From');
      const service = form.get('MessagingServiceSid');
      const body = form.get('Body') ?? '';
      const media = form.getAll('MediaUrl');
      if (!to) return error(400, 21604, "A 'To' phone number is required.");
      if (!E164.test(to) || to === '+15005550001') return error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      if (to === '+15005550002') return error(400, 21612, `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number: ${from} via SMS.`);
      if (to === '+15005550009') return error(400, 21614, `'To' number ${to} is not a valid mobile number`);
      if (!from && !service) return error(400, 21603, "A 'From' phone number is required.");
      if (!body && media.length === 0) return error(400, 21602, 'Message body is required.');
      if (body.length > 1600) return error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
      const sid = `SM${hex(16)}`;
      const resource = {
        account_sid: account.sid,
        api_version: '2010-04-01',
        body,
        date_created: now,
        date_sent: null,
        date_updated: now,
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: from ?? null,
        messaging_service_sid: service ?? null,
        num_media: String(media.length),
        num_segments: String(Math.max(1, Math.ceil(body.length / 153))),
        price: null,
        price_unit: 'USD',
        sid,
        status: service && !from ? 'accepted' : 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${account.sid}/Messages/${sid}/Media.json` },
        to,
        uri: `/2010-04-01/Accounts/${account.sid}/Messages/${sid}.json`,
      };
      messages.push({ ...resource, status_callback: form.get('StatusCallback'), media_url: media });
      return { status: 201, json: resource };
    }
    return error(405, 20004, 'Method not allowed');
  });
  return {
    ...server,
    messages,
    failNext(kind, times = 1) {
      for (let i = 0; i < times; i++) failures.push(kind);
    },
    reset() {
      server.requests.length = 0;
      failures.length = 0;
    },
  };
}
