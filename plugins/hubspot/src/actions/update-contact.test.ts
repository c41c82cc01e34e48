import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../fake-hubspot.ts';
import hubspotPlugin from '../index.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-update000001';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [TOKEN] });
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

const run = (input: unknown) => runTestAction(hubspotPlugin, 'update_contact', { mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: portal.url }, input });

describe('update_contact', () => {
  it('PATCHes a contact by id', async () => {
    const contact = portal.hubspot.addContact({ email: 'ada@example.com', firstname: 'Ada' });
    const output = (await run({ id: contact.id, set: { lastname: 'Lovelace', properties: { lifecyclestage: 'customer' } } })) as { id: string; properties: Record<string, string> };
    expect(output.id).toBe(contact.id);
    expect(output.properties).toMatchObject({ firstname: 'Ada', lastname: 'Lovelace', lifecyclestage: 'customer' });
    const req = portal.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.url).toBe(`/crm/v3/objects/contacts/${contact.id}`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({ properties: { lastname: 'Lovelace', lifecyclestage: 'customer' } });
  });

  it('PATCHes a contact by email with idProperty=email', async () => {
    const contact = portal.hubspot.addContact({ email: 'grace+ops@example.com', firstname: 'Grace' });
    await run({ byEmail: 'grace+ops@example.com', set: { company: 'Navy' } });
    expect(portal.requests[0]!.url).toBe('/crm/v3/objects/contacts/grace%2Bops%40example.com?idProperty=email');
    expect(portal.hubspot.contacts.get(contact.id)!.properties.company).toBe('Navy');
  });

  it('fails an unknown contact permanently', async () => {
    const err = await failureOf(run({ byEmail: 'nobody@example.com', set: { firstname: 'X' } }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/answered 404: resource not found \[OBJECT_NOT_FOUND\]/);
  });

  it('needs exactly one of id or byEmail, and something to change', async () => {
    const both = await failureOf(run({ id: '101', byEmail: 'a@example.com', set: { firstname: 'X' } }));
    expect((both as ActionInputError).issues).toEqual([{ path: 'id', message: 'give exactly one of id or byEmail' }]);
    const neither = await failureOf(run({ set: {} }));
    expect((neither as ActionInputError).issues.map((i) => i.path)).toEqual(['id', 'set']);
    const badId = await failureOf(run({ id: '../deals', set: { firstname: 'X' } }));
    expect(badId).toBeInstanceOf(ActionInputError);
    expect(portal.requests).toHaveLength(0);
  });
});
