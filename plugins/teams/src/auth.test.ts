// The Graph glue on its own: the connection test (GET /me), Microsoft identity URLs per tenant,
// and failures before any answer.
import { PermanentError, TransientError, testAuth } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeTeams } from './fake-graph.ts';
import teams from './index.ts';

const fake = useFakeTeams(teams);

describe('Microsoft identity platform auth', () => {
  it('is OAuth2 with PKCE, offline_access and the Teams permissions, on the tenant from config', () => {
    const [auth] = teams.auth;
    expect(auth!.mode).toBe('OAUTH2');
    expect(auth!.oauth).toMatchObject({
      pkce: true,
      refresh: true,
      authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    });
    expect(auth!.scopes).toEqual(expect.arrayContaining(['offline_access', 'User.Read', 'ChannelMessage.Send', 'Chat.Create', 'ChatMessage.Send', 'Team.ReadBasic.All', 'Channel.ReadBasic.All']));
    expect(auth!.oauth!.urlsFromConfig!({ tenant: 'contoso.onmicrosoft.com' })).toEqual({
      authorizationUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    });
    expect(auth!.oauth!.urlsFromConfig!({ tenant: 'organizations', loginBaseUrl: 'https://login.microsoftonline.us/' }).tokenUrl).toBe('https://login.microsoftonline.us/organizations/oauth2/v2.0/token');
    expect(auth!.config.parse({}).tenant).toBe('common');
    expect(auth!.config.safeParse({ tenant: 'evil/../x' }).success).toBe(false);
    expect(teams.baseUrl).toBe('https://graph.microsoft.com/v1.0');
  });

  it('tests a connection with GET /me on the configured baseUrl', async () => {
    const ok = await testAuth({ plugin: teams, mode: 'OAUTH2', credentials: { accessToken: fake.state.accessToken }, config: { baseUrl: fake.baseUrl } });
    expect(ok).toMatchObject({ ok: true, message: 'Signed in as MeganB@contoso.onmicrosoft.com' });
    const req = fake.server.requests.at(-1)!;
    expect(req.url).toBe('/v1.0/me?$select=id,displayName,userPrincipalName');
    expect(req.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    const bad = await testAuth({ plugin: teams, mode: 'OAUTH2', credentials: { accessToken: 'wrong' }, config: { baseUrl: fake.baseUrl } });
    expect(bad.ok).toBe(false);
    expect(bad.message).toContain('GET /me answered 401: Access token has expired or is not yet valid. (InvalidAuthenticationToken)');
  });
});

describe('error bodies other than Graph\'s', () => {
  it('reads a plain-text 4xx and a JSON body of another shape', async () => {
    const odd = await startFakeServer((req) =>
      req.url.includes('joinedTeams') ? { status: 403, headers: { 'content-type': 'text/plain' }, body: 'Forbidden by proxy policy' } : { status: 400, json: { message: 'gateway says no' } },
    );
    try {
      const run = (action: string, input: unknown) => runTestAction(teams, action, { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: odd.url }, input });
      const text = await failureOf(run('list_teams', {}));
      expect(text).toBeInstanceOf(PermanentError);
      expect(text.message).toBe('Microsoft Graph GET /me/joinedTeams answered 403: Forbidden by proxy policy');
      const json = await failureOf(run('list_channels', { team_id: 'x' }));
      expect(json.message).toBe('Microsoft Graph GET /teams/x/channels answered 400: gateway says no');
    } finally {
      await odd.close();
    }
  });
});

describe('failures before any answer', () => {
  it('turns a refused connection into a TransientError', async () => {
    const err = await failureOf(runTestAction(teams, 'list_teams', { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: 'http://127.0.0.1:9/v1.0' }, input: {} }));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/^Microsoft Graph GET \/me\/joinedTeams failed: /);
  });

  it('keeps a PermanentError from the hub HTTP client (e.g. its network guard) permanent', async () => {
    const refuse = () => {
      throw new PermanentError('Refused to call 10.0.0.1: private address');
    };
    const err = await failureOf(
      runTestAction(teams, 'list_teams', { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: fake.baseUrl }, http: { beforeRequest: refuse }, input: {} }),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('Refused to call 10.0.0.1');
  });

  it('passes the cancellation reason through', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    const err = await failureOf(runTestAction(teams, 'list_teams', { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: fake.baseUrl }, signal: controller.signal, input: {} }));
    expect(err.message).toBe('run cancelled');
  });
});
