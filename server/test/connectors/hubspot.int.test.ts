// HubSpot end to end: a private-app connection created through GraphQL (checked with the
// plugin's contacts read), create_contact and create_deal run through runAction → Temporal →
// the plugin → @hubspot/api-client → the fake HubSpot, a 429 honoured and retried by Temporal,
// a 409 failed at once, and the token in no GraphQL response and no log line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHubSpot, type RunningFakeHubSpot } from '../../../plugins/hubspot/src/fake-hubspot.ts';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';

const PRIVATE_APP_TOKEN = 'pat-na1-5e2e0000-aaaa-bbbb-cccc-PrivateAppSecret7f3a';

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;

let hub: TestHub;
let org: TestOrg;
let portal: RunningFakeHubSpot;
let connectionId: string;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  portal = await startFakeHubSpot({ tokens: [PRIVATE_APP_TOKEN] });
  hub = await TestHub.start();
  org = await hub.createOrg('hubspot');
});

afterAll(async () => {
  await stopHub();
  await portal?.close();
});

describe('HubSpot through the hub', () => {
  it('creates a private-app connection, tested with a one-contact read', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; authMode: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'hubspot', name: 'HubSpot (private app)', authMode: 'API_KEY', credentials: { apiKey: PRIVATE_APP_TOKEN }, config: { baseUrl: portal.url } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', authMode: 'API_KEY', lastError: null });
    connectionId = createConnection.id;
    const test = portal.requests.at(-1)!;
    expect(test.url).toBe('/crm/v3/objects/contacts?limit=1');
    expect(test.headers.authorization).toBe(`Bearer ${PRIVATE_APP_TOKEN}`);
  });

  it('runs create_contact: SUCCEEDED with the contact, and the fake got the POST with the token', async () => {
    const before = portal.requests.length;
    const run = await runToEnd(connectionId, 'create_contact', { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', properties: { lifecyclestage: 'lead' } });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const output = run.output as { id: string; properties: Record<string, string> };
    expect(output).toMatchObject({ id: expect.stringMatching(/^\d+$/), archived: false, properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' } });
    expect(portal.hubspot.contacts.get(output.id)!.properties).toMatchObject({ email: 'ada@example.com', lifecyclestage: 'lead' });
    const upstream = portal.requests.slice(before);
    expect(upstream.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /crm/v3/objects/contacts']);
    expect(upstream[0]!.headers.authorization).toBe(`Bearer ${PRIVATE_APP_TOKEN}`);
    expect(upstream[0]!.json).toEqual({ properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace', lifecyclestage: 'lead' }, associations: [] });
  });

  it('runs create_deal associated with the contact, retrying once after a 429 with Retry-After', async () => {
    const contact = [...portal.hubspot.contacts.values()].find((c) => c.properties.email === 'ada@example.com')!;
    portal.hubspot.failNext({ status: 429, headers: { 'retry-after': '1' }, json: { status: 'error', message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT', correlationId: 'e2e-429', policyName: 'SECONDLY' } });
    const before = portal.requests.length;
    const run = await runToEnd(connectionId, 'create_deal', { dealname: 'Analytical Engine', amount: 5000, dealstage: 'appointmentscheduled', contactId: contact.id });
    expect(run).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const output = run.output as { id: string; associatedContactId: string };
    expect(output.associatedContactId).toBe(contact.id);
    expect(portal.hubspot.deals.get(output.id)!.associations).toEqual([{ toId: contact.id, typeId: 3 }]);
    const upstream = portal.requests.slice(before);
    expect(upstream.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /crm/v3/objects/deals', 'POST /crm/v3/objects/deals']);
    expect(upstream[1]!.json).toMatchObject({ associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] }] });
  });

  it("fails a duplicate contact at once (no retries) with HubSpot's message", async () => {
    const before = portal.requests.length;
    const run = await runToEnd(connectionId, 'create_contact', { email: 'ada@example.com' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toMatch(/Contact already exists\. Existing ID: \d+ \[CONFLICT\]/);
    expect(portal.requests.length - before).toBe(1);
  });

  it('never shows the token in GraphQL responses or the logs', () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(responses)).not.toContain(PRIVATE_APP_TOKEN);
    expect(hub.logs.join('\n')).not.toContain(PRIVATE_APP_TOKEN);
  });
});
