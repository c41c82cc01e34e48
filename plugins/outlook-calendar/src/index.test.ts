// The plugin as the hub sees it: Microsoft identity OAuth with the calendar permission, the
// connection test (GET /me) on the configured baseUrl, and the catalog's JSON Schemas.
import { describePlugin, testAuth } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import { useFakeCalendar } from './fake-graph.ts';
import outlook from './index.ts';

const fake = useFakeCalendar(outlook);

describe('outlook-calendar plugin', () => {
  it('connects with Microsoft identity OAuth2 (PKCE, offline_access, Calendars.ReadWrite) per tenant', () => {
    const [auth] = outlook.auth;
    expect(auth!.mode).toBe('OAUTH2');
    expect(auth!.scopes).toEqual(['openid', 'profile', 'offline_access', 'User.Read', 'Calendars.ReadWrite']);
    expect(auth!.oauth).toMatchObject({ pkce: true, tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token' });
    expect(auth!.oauth!.urlsFromConfig!({ tenant: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35' }).authorizationUrl).toBe(
      'https://login.microsoftonline.com/dcd219dd-bc68-4b9b-bf0b-4a33a796be35/oauth2/v2.0/authorize',
    );
    expect(outlook.baseUrl).toBe('https://graph.microsoft.com/v1.0');
  });

  it('tests a connection with GET /me against the configured baseUrl', async () => {
    const ok = await testAuth({ plugin: outlook, mode: 'OAUTH2', credentials: { accessToken: fake.state.accessToken }, config: { baseUrl: fake.baseUrl } });
    expect(ok).toMatchObject({ ok: true, message: 'Signed in as MeganB@contoso.onmicrosoft.com' });
    expect(fake.server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    const expired = await testAuth({ plugin: outlook, mode: 'OAUTH2', credentials: { accessToken: 'expired' }, config: { baseUrl: fake.baseUrl } });
    expect(expired).toMatchObject({ ok: false });
    expect(expired.message).toContain('answered 401');
  });

  it('describes the four calendar actions with documented JSON Schemas', () => {
    const described = describePlugin(outlook);
    expect(described.actions.map((a) => a.key)).toEqual(['list_events', 'free_busy', 'create_event', 'delete_event']);
    const create = described.actions.find((a) => a.key === 'create_event')!;
    const props = (create.inputSchema as { properties: Record<string, { description?: string }> }).properties;
    for (const field of ['summary', 'start', 'end', 'timeZone', 'attendees', 'onlineMeeting']) expect(props[field]?.description, field).toBeTruthy();
    const output = create.outputSchema as { properties: Record<string, unknown> };
    expect(Object.keys(output.properties)).toEqual(expect.arrayContaining(['id', 'title', 'start', 'end', 'timeZone', 'attendees', 'location', 'url']));
  });
});
