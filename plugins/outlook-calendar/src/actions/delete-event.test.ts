import { ActionInputError, AuthError, PermanentError } from '@patchbay/sdk';
import { failureOf } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import { useFakeCalendar } from '../fake-graph.ts';
import outlook from '../index.ts';

const fake = useFakeCalendar(outlook);

const remove = (input: unknown, accessToken?: string) => fake.run('delete_event', input, accessToken);

describe('delete_event', () => {
  it('sends DELETE /me/events/{id} and reads the 204', async () => {
    expect(await remove({ eventId: 'AAMkE2' })).toEqual({ id: 'AAMkE2', deleted: true });
    const [req] = fake.server.requests;
    expect(req!.method).toBe('DELETE');
    expect(req!.url).toBe('/v1.0/me/events/AAMkE2');
    expect(req!.headers.authorization).toBe(`Bearer ${fake.state.accessToken}`);
    expect(fake.state.events.map((e) => e.id)).not.toContain('AAMkE2');
  });

  it("fails permanently with Graph's message when the event is gone (a second delete)", async () => {
    await remove({ eventId: 'AAMkE3' });
    const err = await failureOf(remove({ eventId: 'AAMkE3' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('Microsoft Graph DELETE /me/events/{id} answered 404: The specified object was not found in the store. (ErrorItemNotFound)');
  });

  it('encodes ids, validates input, and maps 401', async () => {
    await failureOf(remove({ eventId: 'AAMk/=+x' }));
    expect(fake.server.requests[0]!.url).toBe('/v1.0/me/events/AAMk%2F%3D%2Bx');
    expect(await failureOf(remove({ eventId: ' ' }))).toBeInstanceOf(ActionInputError);
    expect(await failureOf(remove({ eventId: 'AAMkE1' }, 'old'))).toBeInstanceOf(AuthError);
  });
});
