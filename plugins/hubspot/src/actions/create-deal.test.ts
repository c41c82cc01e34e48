import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../fake-hubspot.ts';
import hubspotPlugin from '../index.ts';

const TOKEN = 'pat-na1-11111111-2222-3333-4444-deals0000001';
let portal: RunningFakeHubSpot;

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [TOKEN] });
});
afterAll(() => portal.close());
beforeEach(() => {
  portal.requests.length = 0;
});

const run = (input: unknown) => runTestAction(hubspotPlugin, 'create_deal', { mode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: portal.url }, input });

describe('create_deal', () => {
  it('creates a deal associated with a contact (HUBSPOT_DEFINED type 3) in one request', async () => {
    const contact = portal.hubspot.addContact({ email: 'buyer@example.com' });
    const output = (await run({ dealname: 'Annual plan', amount: 12000, dealstage: 'appointmentscheduled', closedate: '2026-03-31', contactId: contact.id })) as { id: string; associatedContactId: string };
    expect(output).toMatchObject({ associatedContactId: contact.id, properties: expect.objectContaining({ dealname: 'Annual plan', amount: '12000', pipeline: 'default' }) });
    const req = portal.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/crm/v3/objects/deals');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({
      properties: { dealname: 'Annual plan', amount: '12000', pipeline: 'default', dealstage: 'appointmentscheduled', closedate: '2026-03-31T00:00:00.000Z' },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }],
    });
    expect(portal.hubspot.deals.get(output.id)!.associations).toEqual([{ toId: contact.id, typeId: 3 }]);
  });

  it('creates a deal on its own, with extra properties', async () => {
    const output = (await run({ dealname: 'Pilot', properties: { description: 'Three months' } })) as { associatedContactId: null };
    expect(output.associatedContactId).toBeNull();
    expect(portal.requests[0]!.json).toEqual({ properties: { dealname: 'Pilot', pipeline: 'default', description: 'Three months' }, associations: [] });
  });

  it('fails permanently when the contact to associate does not exist', async () => {
    const err = await failureOf(run({ dealname: 'Orphan', contactId: '999999' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('answered 400: One or more associations are invalid');
  });

  it('validates the input before calling HubSpot', async () => {
    const err = await failureOf(run({ dealname: '', amount: 'lots', closedate: 'next week', contactId: 'abc' }));
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['dealname', 'amount', 'closedate', 'contactId']));
    expect(portal.requests).toHaveLength(0);
  });
});
