import { AuthError, TransientError } from '@patchbay/sdk';
import { failureOf, runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeTeams } from '../fake-graph.ts';
import teams from '../index.ts';

const fake = useFakeTeams(teams);

const list = (input: unknown = {}, accessToken?: string) => fake.run('list_teams', input, accessToken);

describe('list_teams', () => {
  it('lists /me/joinedTeams in the neutral shape', async () => {
    const out = await list();
    expect(out).toEqual({
      teams: [
        { id: '02bd9fd6-8f93-4758-87c3-1fb73740a315', name: 'Mark 8 Project Team', description: 'Welcome to the team that we have assembled to create the Mark 8.', archived: false, tenant_id: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35' },
        { id: '13be6971-79db-4f33-9d41-b25589ca25af', name: 'Retail', description: null, archived: false, tenant_id: 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35' },
      ],
      truncated: false,
    });
    expect(fake.server.requests.map((r) => r.url)).toEqual(['/v1.0/me/joinedTeams']);
    expect(fake.server.requests[0]!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
  });

  it('stops at max_results and says so', async () => {
    fake.state.pageSize = 1;
    const out = (await list({ max_results: 1 })) as { teams: unknown[]; truncated: boolean };
    expect(out.teams).toHaveLength(1);
    expect(out.truncated).toBe(true);
    expect(fake.server.requests).toHaveLength(1);
  });

  it('stops after 500 pages of a provider that keeps linking to the same page', async () => {
    const loop = await startFakeServer((req) => ({ json: { value: [], '@odata.nextLink': `http://${req.headers.host}/me/joinedTeams?$skiptoken=same` } }));
    try {
      const out = await runTestAction(teams, 'list_teams', { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: loop.url }, input: {} });
      expect(out).toEqual({ teams: [], truncated: true });
      expect(loop.requests).toHaveLength(500);
    } finally {
      await loop.close();
    }
  });

  it('maps 401 to AuthError and a 503 to TransientError', async () => {
    expect(await failureOf(list({}, 'revoked'))).toBeInstanceOf(AuthError);
    const down = await startFakeServer(() => ({ status: 503, json: { error: { code: 'ServiceNotAvailable', message: 'Service unavailable' } } }));
    try {
      const err = await failureOf(runTestAction(teams, 'list_teams', { mode: 'OAUTH2', credentials: { accessToken: 't' }, config: { baseUrl: down.url }, input: {} }));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.message).toContain('answered 503: Service unavailable (ServiceNotAvailable)');
      expect(down.requests).toHaveLength(1);
    } finally {
      await down.close();
    }
  });
});
