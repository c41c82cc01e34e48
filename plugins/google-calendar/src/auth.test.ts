import { testAuth } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALENDAR_SCOPE } from './auth.ts';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from './fake-google-calendar.ts';
import plugin from './index.ts';

const TOKEN = 'ya29.auth-test-token';
let google: FakeGoogleCalendar;

beforeAll(async () => {
  google = await startFakeGoogleCalendar({ tokens: [TOKEN], owner: 'ada@example.com' });
});
afterAll(() => google.close());

describe('Google OAuth', () => {
  it("declares Google's endpoints, offline access with consent, PKCE and the calendar scope", () => {
    const [method] = plugin.auth;
    expect(plugin.baseUrl).toBe('https://www.googleapis.com/');
    expect(method).toMatchObject({
      mode: 'OAUTH2',
      scopes: [CALENDAR_SCOPE],
      oauth: {
        authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
        tokenUrl: 'https://oauth2.googleapis.com/token',
        revocationUrl: 'https://oauth2.googleapis.com/revoke',
        pkce: true,
        refresh: true,
        extraAuthorizeParams: { access_type: 'offline', prompt: 'consent' },
      },
    });
  });

  it('tests the connection by listing one calendar with the access token', async () => {
    google.reset();
    const result = await testAuth({ plugin, mode: 'OAUTH2', credentials: { accessToken: TOKEN, refreshToken: '1//refresh' }, config: { baseUrl: google.url } });
    expect(result).toMatchObject({ ok: true, message: 'Calendar access works (primary: ada@example.com)' });
    expect(google.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization}`)).toEqual([`GET /calendar/v3/users/me/calendarList?maxResults=1 Bearer ${TOKEN}`]);
  });

  it('fails the test for a rejected token', async () => {
    const result = await testAuth({ plugin, mode: 'OAUTH2', credentials: { accessToken: 'ya29.revoked' }, config: { baseUrl: google.url } });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/calendarList answered 401: Request had invalid authentication credentials/);
  });
});
