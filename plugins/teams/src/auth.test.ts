// How Teams connects: Microsoft identity platform OAuth with the Teams permissions, tested with
// GET /me. (The Graph glue itself, tenant URLs, errors and paging, is tested in @patchbay/microsoft-graph.)
import { testAuth } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import { TEAMS_SCOPES } from './auth.ts';
import { useFakeTeams } from './fake-graph.ts';
import teams from './index.ts';

const fake = useFakeTeams(teams);

describe('Teams auth', () => {
  it('asks for the Teams permissions on top of the Microsoft identity defaults', () => {
    const [auth] = teams.auth;
    expect(auth!.mode).toBe('OAUTH2');
    expect(auth!.scopes).toEqual(expect.arrayContaining(['offline_access', 'User.Read', ...TEAMS_SCOPES]));
    expect(TEAMS_SCOPES).toEqual(['Team.ReadBasic.All', 'Channel.ReadBasic.All', 'ChannelMessage.Send', 'Chat.Create', 'ChatMessage.Send']);
    expect(teams.baseUrl).toBe('https://graph.microsoft.com/v1.0');
  });

  it('tests a connection against the fake Teams Graph', async () => {
    expect(await testAuth({ plugin: teams, mode: 'OAUTH2', credentials: { accessToken: fake.state.accessToken }, config: { baseUrl: fake.baseUrl } })).toMatchObject({
      ok: true,
      message: 'Signed in as MeganB@contoso.onmicrosoft.com',
    });
    expect(fake.server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
  });
});
