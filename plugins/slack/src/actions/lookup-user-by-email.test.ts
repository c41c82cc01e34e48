import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../fake-slack.ts';
import slack from '../index.ts';

const TOKEN = 'xoxb-5555-lookup-secret';
let fake: FakeSlack;

beforeAll(async () => {
  fake = await startFakeSlack({ token: TOKEN, users: [{ id: 'U0ADA', name: 'ada', real_name: 'Ada Lovelace', email: 'ada@example.com' }] });
});
afterAll(() => fake.close());

const lookup = (email: unknown) =>
  runTestAction(slack, 'lookup_user_by_email', { mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: fake.apiUrl }, input: { email } });

describe('lookup_user_by_email', () => {
  it('finds the user with users.lookupByEmail', async () => {
    const out = await lookup('Ada@Example.com');
    expect(out).toEqual({
      id: 'U0ADA',
      team_id: 'T0PATCHBAY',
      name: 'ada',
      real_name: 'Ada Lovelace',
      display_name: 'ada',
      email: 'ada@example.com',
      is_bot: false,
      deleted: false,
      tz: 'Europe/Paris',
    });
    const call = fake.calls.at(-1)!;
    expect(call.method).toBe('users.lookupByEmail');
    expect(call.params.email).toBe('Ada@Example.com');
    expect(call.request.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("fails permanently with Slack's users_not_found for an unknown address", async () => {
    const err = await failureOf(lookup('nobody@example.com'));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('Slack users.lookupByEmail failed: users_not_found');
    expect((err as PermanentError).details).toEqual({ slackError: 'users_not_found' });
  });

  it('refuses something that is not an email address', async () => {
    const before = fake.calls.length;
    const err = await failureOf(lookup('not-an-email'));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(['email']);
    expect(fake.calls.length).toBe(before);
  });
});
