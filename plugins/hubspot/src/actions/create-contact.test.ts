import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../fake-hubspot.ts';
import hubspotPlugin from '../index.ts';

const PRIVATE_APP_TOKEN = 'pat-na1-11111111-2222-3333-4444-create000001';
const OAUTH_TOKEN = 'CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [PRIVATE_APP_TOKEN, OAUTH_TOKEN], contactProperties: ['favorite_color'] });
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

const run = (input: unknown, options: { mode?: 'API_KEY' | 'OAUTH2'; baseUrl?: string } = {}) =>
  runTestAction(hubspotPlugin, 'create_contact', {
    mode: options.mode ?? 'API_KEY',
    credentials: options.mode === 'OAUTH2' ? { accessToken: OAUTH_TOKEN } : { apiKey: PRIVATE_APP_TOKEN },
    config: { baseUrl: options.baseUrl ?? portal.url },
    input,
  });

describe('create_contact', () => {
  it('POSTs the properties to /crm/v3/objects/contacts with the private-app token as a Bearer', async () => {
    const output = await run({ email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', properties: { favorite_color: 'green', lifecyclestage: 'lead' } });
    expect(output).toEqual({
      id: '101',
      properties: expect.objectContaining({ email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', favorite_color: 'green', hs_object_id: '101' }),
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      archived: false,
    });
    const req = portal.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/crm/v3/objects/contacts');
    expect(req.headers.authorization).toBe(`Bearer ${PRIVATE_APP_TOKEN}`);
    expect(req.json).toEqual({ properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', favorite_color: 'green', lifecyclestage: 'lead' }, associations: [] });
    expect(portal.hubspot.contacts.get('101')!.properties.favorite_color).toBe('green');
  });

  it('sends an OAuth access token the same way, to a baseUrl with a trailing slash', async () => {
    await run({ email: 'grace@example.com', properties: { phone: 5551234, favorite_color: null } }, { mode: 'OAUTH2', baseUrl: `${portal.url}/` });
    const req = portal.requests[0]!;
    expect(req.url).toBe('/crm/v3/objects/contacts');
    expect(req.headers.authorization).toBe(`Bearer ${OAUTH_TOKEN}`);
    // Numbers go as text, null as the empty string that clears a property.
    expect(req.json).toMatchObject({ properties: { email: 'grace@example.com', phone: '5551234', favorite_color: '' } });
  });

  it("fails a duplicate email permanently with HubSpot's message, category and correlationId", async () => {
    await run({ email: 'dup@example.com' });
    const err = await failureOf(run({ email: 'dup@example.com' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/^Create contact answered 409: Contact already exists\. Existing ID: \d+ \[CONFLICT\] \(correlationId [0-9a-f-]{36}\)$/);
  });

  it('fails an unknown property permanently with the validation details', async () => {
    const err = await failureOf(run({ email: 'x@example.com', properties: { shoe_size: 44 } }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('answered 400: Property values were not valid');
    expect(err.message).toContain('Property \\"shoe_size\\" does not exist');
    expect(err.message).toContain('[VALIDATION_ERROR]');
  });

  it('validates the input before calling HubSpot', async () => {
    const empty = await failureOf(run({}));
    expect(empty).toBeInstanceOf(ActionInputError);
    expect(empty.message).toContain('needs at least one property');
    const badEmail = await failureOf(run({ email: 'not-an-email', properties: { 'bad name': 'x' } }));
    expect((badEmail as ActionInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['email', 'properties.bad name']));
    expect(portal.requests).toHaveLength(0);
  });
});
