// DooneFlow's lead flow end to end, through GraphQL: a webhook with X-Webhook-Key at a chosen
// path receives a lead → round-robin picks a team member → an SMS to that member through Twilio
// (fake server, twilio-node) → a Salesforce lead (fake org, jsforce, OAuth) → a webhook to the
// app. DooneFlow's own template variables ({contact_name}, {team_member_phone}) are used as
// its documentation writes them. Then 100 concurrent leads over 3 team members: 34/33/33.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../../plugins/salesforce/src/fake-salesforce.ts';
import { startFakeTwilio, type FakeTwilio } from '../../plugins/twilio/src/fake-twilio.ts';
import { connectorKit } from './connectors/connector-kit.ts';
import { connectOAuth, fakeOAuthRoutes } from './connectors/oauth-connect.ts';
import { TestHub, type TestOrg } from './harness.ts';
import { CreateConnection, CreateEndpoint, CreateFlow, CreateTeamMember, dbId, SetSecret, startApp, stepStatuses, TeamMembers, waitForFlowRuns, waitForRun } from './flows-helpers.ts';
import { temporalHistoryText } from './manifest-helpers.ts';
import { postHook, waitForEvent } from './webhooks-helpers.ts';

const ACCOUNT_SID = `AC${'4d3c2b1a'.repeat(4)}`;
const AUTH_TOKEN = 'flows-twilio-auth-token-5e6f7a8b9c0d';
const APP_API_KEY = 'app-api-key-that-must-never-leak-71c2';
const SF_TOKEN = '00Dflows!AQ.session-token-flows-3141';

let hub: TestHub;
let org: TestOrg;
let twilio: FakeTwilio;
let salesforce: RunningFakeSalesforce;
let app: Awaited<ReturnType<typeof startApp>>;
const { gql, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  twilio = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'DooneFlow SMS' });
  salesforce = await startFakeSalesforce({}, (req, sf) => {
    if (req.method === 'POST' && req.url === '/oauth/token') sf.acceptToken(SF_TOKEN);
    return fakeOAuthRoutes(req, { accessToken: SF_TOKEN, refreshToken: 'flows-refresh', scope: 'api refresh_token', extra: { instance_url: salesforce.url, id: `${salesforce.url}/id/00D/005`, issued_at: String(Date.now()) } });
  });
  app = await startApp();
  hub = await TestHub.start();
  org = await hub.createOrg('dooneflow');
});

afterAll(async () => {
  if (process.env.DEBUG_FLOWS) console.log(hub.logs.filter((l) => /"level":(50|40)/.test(l)).join('\n'));
  await stopHub();
  await Promise.all([twilio?.close(), salesforce?.close(), app?.close()]);
});

describe('DooneFlow: new lead → round-robin → SMS → Salesforce lead → app webhook', () => {
  let flowId: string;
  let hookUrl: string;
  let hookKey: string;
  const members: Array<{ id: string; name: string; phone: string }> = [];

  it('sets up Twilio, Salesforce, a secret, three team members, a keyed webhook at a chosen path and the flow', async () => {
    const { createConnection: sms } = await gql<{ createConnection: { id: string; status: string } }>(CreateConnection, {
      input: { integrationKey: 'twilio', name: 'SMS', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } },
    });
    expect(sms.status).toBe('ACTIVE');
    const crm = await connectOAuth(hub, org, { integrationKey: 'salesforce', providerUrl: salesforce.url, scopes: ['api', 'refresh_token'] });
    await gql(SetSecret, { name: 'APP_API_KEY', value: APP_API_KEY });
    for (const [name, phone] of [['Ana Silva', '+14155550101'], ['Ben Okafor', '+14155550102'], ['Chloé Martin', '+14155550103']] as const) {
      const { createTeamMember } = await gql<{ createTeamMember: { id: string; name: string; assignmentCount: number } }>(CreateTeamMember, { input: { name, phone, email: `${name.split(' ')[0]!.toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}@acme.test` } });
      members.push({ id: createTeamMember.id, name, phone });
    }
    const path = `new-leads-${randomBytes(4).toString('hex')}`;
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { secret: string; endpoint: { id: string; url: string; path: string } } }>(CreateEndpoint, {
      input: { name: 'New leads', path, verification: 'HEADER_KEY', transform: { contact_name: '$.name', contact_phone: '$.phone', contact_email: '$.email' } },
    });
    expect(createWebhookEndpoint.endpoint.url).toBe(`${hub.hub.config.publicUrl}/hooks/${path}`);
    hookUrl = createWebhookEndpoint.endpoint.url;
    hookKey = createWebhookEndpoint.secret;

    const { createFlow } = await gql<{ createFlow: { id: string; enabled: boolean; version: number; webhookUrl: string; steps: any[] } }>(CreateFlow, {
      input: {
        name: 'New lead',
        enabled: true,
        trigger: { type: 'webhook', endpointId: createWebhookEndpoint.endpoint.id },
        steps: [
          { key: 'assign', type: 'assign_team_member' },
          {
            key: 'notify_member',
            type: 'action',
            connectionId: sms.id,
            action: 'send_sms',
            input: { to: '{team_member_phone}', from: '+15005550006', body: 'Hi {team_member_name}, new contact assigned: {contact_name} ({contact_phone}). Contact ID: {team_member_id}' },
          },
          {
            key: 'create_lead',
            type: 'action',
            connectionId: crm,
            action: 'create_record',
            input: { sobject: 'Lead', fields: { FirstName: '{contact_name}', LastName: '(web lead)', Company: 'Unknown', Phone: '{contact_phone}', Email: '{contact_email}', LeadSource: 'Webhook' } },
          },
          {
            key: 'tell_app',
            type: 'send_webhook',
            url: `${app.url}/patchbay/leads`,
            headers: { Authorization: 'Bearer {{ secrets.APP_API_KEY }}' },
            body: { lead_id: '{{ steps.create_lead.output.id }}', assigned_to: '{{ steps.assign.output }}', contact: '{{ trigger }}' },
          },
        ],
      },
    });
    expect(createFlow).toMatchObject({ enabled: true, version: 1, webhookUrl: hookUrl });
    expect(createFlow.steps[1].connectionId).toBe(sms.id);
    flowId = createFlow.id;
  });

  it('refuses a lead with a wrong key (401), and starts nothing', async () => {
    const res = await postHook(hub, hookUrl, JSON.stringify({ name: 'Mallory', phone: '+14155550666', email: 'm@evil.test' }), { 'x-webhook-key': 'wrong-key-wrong-key' });
    expect(res.status).toBe(401);
    expect(await hub.db.prisma.run.count({ where: { flowId: dbId(flowId) } })).toBe(0);
  });

  it('runs the whole flow for a lead, every step recorded', async () => {
    const res = await postHook(hub, hookUrl, JSON.stringify({ name: 'John Doe', phone: '+14155550123', email: 'john@example.com' }), { 'x-webhook-key': hookKey });
    expect(res.status).toBe(202);
    const event = await waitForEvent(hub, res.body.id as string);
    expect(event.status).toBe('PROCESSED');
    const [runId] = (event.output as { flowRuns: string[] }).flowRuns;
    const run = await waitForRun(gql, Buffer.from(`Run:${runId}`).toString('base64'));
    expect(run).toMatchObject({ kind: 'FLOW', status: 'SUCCEEDED', error: null, flowVersion: 1, flow: { id: flowId, name: 'New lead' } });
    expect(run.input).toEqual({ contact_name: 'John Doe', contact_phone: '+14155550123', contact_email: 'john@example.com' });
    expect(stepStatuses(run)).toEqual(['assign:SUCCEEDED', 'notify_member:SUCCEEDED', 'create_lead:SUCCEEDED', 'tell_app:SUCCEEDED']);
    for (const step of run.steps) {
      expect(step.attempts).toBe(1);
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
    }

    // Round-robin: the first assignment goes to the first member.
    const [assign, notify, lead, tell] = run.steps;
    expect(assign!.output).toEqual({ team_member_id: members[0]!.id, team_member_name: 'Ana Silva', team_member_phone: '+14155550101', team_member_email: 'ana@acme.test' });
    // The SMS, with DooneFlow's variables filled in; the step's input shows exactly that.
    const text = `Hi Ana Silva, new contact assigned: John Doe (+14155550123). Contact ID: ${members[0]!.id}`;
    expect(notify!.input).toEqual({ to: '+14155550101', from: '+15005550006', body: text });
    expect(twilio.messages.at(-1)).toMatchObject({ to: '+14155550101', body: text });
    // The Salesforce lead.
    const leadId = (lead!.output as { id: string }).id;
    expect(leadId).toMatch(/^00Q/);
    expect(salesforce.sf.get('Lead', leadId)).toMatchObject({ FirstName: 'John Doe', Phone: '+14155550123', Email: 'john@example.com', LeadSource: 'Webhook' });
    // The app got the lead id, the assignment and the contact, with the secret in the header only.
    const received = app.requests.at(-1)!;
    expect(received.url).toBe('/patchbay/leads');
    expect(received.headers.authorization).toBe(`Bearer ${APP_API_KEY}`);
    expect(JSON.parse(received.body)).toEqual({ lead_id: leadId, assigned_to: assign!.output, contact: run.input });
    expect(received.headers['idempotency-key']).toBe(`msg_${runId}_tell_app`);
    // The recorded input keeps the secret reference, never its value.
    expect(tell!.input.headers).toEqual({ Authorization: 'Bearer {{ secrets.APP_API_KEY }}' });
    expect(tell!.output).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('shows the run in the feed, and no secret in any answer, row or log', async () => {
    const { activity } = await gql<{ activity: { edges: Array<{ node: { type: string; data: any } }> } }>(`query { activity(first: 200) { edges { node { type data } } } }`);
    const types = activity.edges.map((e) => e.node.type);
    expect(types).toEqual(expect.arrayContaining(['flow.created', 'run.queued', 'run.started', 'run.step.succeeded', 'run.succeeded']));
    const steps = await hub.db.prisma.runStep.findMany({ where: { run: { flowId: dbId(flowId) } } });
    const runs = await hub.db.prisma.run.findMany({ where: { flowId: dbId(flowId) }, select: { id: true } });
    const histories = (await Promise.all(runs.map((r) => temporalHistoryText(hub, `run/${r.id}`)))).join('\n');
    expect(histories).toContain('executeFlowStep');
    for (const leak of [APP_API_KEY, AUTH_TOKEN, SF_TOKEN]) {
      expect(histories).not.toContain(leak);
      expect(JSON.stringify(responses)).not.toContain(leak);
      expect(JSON.stringify(steps)).not.toContain(leak);
      expect(hub.logs.join('\n')).not.toContain(leak);
    }
  });
});

describe('Round-robin under load', () => {
  it('assigns 100 concurrent leads over 3 team members 34/33/33', async () => {
    const other = await hub.createOrg('round-robin');
    const as = <T>(doc: string, variables: Record<string, unknown> = {}) => hub.data<T, Record<string, unknown>>(doc, variables, other.tokens.ADMIN);
    for (const name of ['Dana', 'Eli', 'Fay']) await as(CreateTeamMember, { input: { name } });
    const { createWebhookEndpoint } = await as<{ createWebhookEndpoint: { secret: string; endpoint: { id: string; url: string } } }>(CreateEndpoint, { input: { name: 'Leads', verification: 'HEADER_KEY' } });
    const { createFlow } = await as<{ createFlow: { id: string } }>(CreateFlow, {
      input: { name: 'Assign only', enabled: true, trigger: { type: 'webhook', endpointId: createWebhookEndpoint.endpoint.id }, steps: [{ key: 'assign', type: 'assign_team_member' }] },
    });
    const posted = await Promise.all(
      Array.from({ length: 100 }, (_, i) => postHook(hub, createWebhookEndpoint.endpoint.url, JSON.stringify({ name: `Lead ${i}` }), { 'x-webhook-key': createWebhookEndpoint.secret })),
    );
    expect(posted.map((p) => p.status)).toEqual(Array(100).fill(202));
    const runs = await waitForFlowRuns(hub, dbId(createFlow.id), 100, 180_000);
    expect(runs.filter((r) => r.status === 'SUCCEEDED')).toHaveLength(100);
    const { teamMembers } = await as<{ teamMembers: Array<{ name: string; assignmentCount: number }> }>(TeamMembers);
    expect(teamMembers.map((m) => m.assignmentCount).sort((a, b) => b - a)).toEqual([34, 33, 33]);
    expect(await hub.db.prisma.teamAssignment.count({ where: { orgId: other.id } })).toBe(100);
    await hub.db.prisma.organization.delete({ where: { id: other.id } });
  }, 240_000);
});
