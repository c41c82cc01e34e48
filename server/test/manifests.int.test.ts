// ChiefOnboarding manifests and Engrami custom tools through GraphQL alone: the published Asana
// manifest (form fetched from the API, exists, store_data) against a local fake Asana,
// continue_if + polling on workflow timers, save_as_file → files as multipart, the one-hour
// retry (shortened), org scoping, exact error paths, and no initial-data or secret value in any
// GraphQL response, log line, activity event or Temporal payload.
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHub, type TestOrg } from './harness.ts';
import { fixture, gqlKit, temporalHistoryText, waitForRun } from './manifest-helpers.ts';

const ASANA_TOKEN = 'asana_pat_0b1c2d3e4f5a6b7c8d9e';
const CRM_KEY = 'crm_live_key_77aa88bb99cc';
const ORG_ID = 'ws-1200';

const REGISTER = `mutation Register($input: RegisterManifestInput!) {
  registerManifest(input: $input) { key displayName category version authModes auth { mode credentialsSchema } actions { key inputSchema } syncs { key model defaultSchedule } }
}`;
const CONNECT = `mutation Connect($input: ConnectManifestInput!) { connectManifest(input: $input) { id name status authMode integration { key displayName category } } }`;
const RUN_MANIFEST = `mutation RunManifest($input: RunManifestInput!) { runManifest(input: $input) { id kind status action workflowId } }`;
const FORM = `query Form($id: ID!) { manifestForm(connectionId: $id) { id name type options { value name } } }`;
const SUBJECT = `query Subject($email: String!) { manifestSubject(email: $email) { email data } }`;
const CATALOG = `query Catalog { integrations(category: "custom") { key displayName actions { key } } asana: integration(key: "asana") { key } manifests { key kind version definition } }`;
const FEED = `query Feed($filter: ActivityFilter) { activity(filter: $filter, first: 100) { edges { node { type message data runId } } } }`;

let hub: TestHub;
let org: TestOrg;
let other: TestOrg;
let asana: FakeServer;
let jobs: FakeServer;
let asanaConnection: string;
const { responses, call, data } = gqlKit(() => ({ hub, org }));
let jobPolls = 0;
let flakyCalls = 0;


beforeAll(async () => {
  // A fake Asana speaking its wire format: { data: … } envelopes, gid identifiers, bearer tokens.
  asana = await startFakeServer((req) => {
    if (req.headers.authorization !== `Bearer ${ASANA_TOKEN}`) return { status: 401, json: { errors: [{ message: 'Not Authorized' }] } };
    if (req.url === `/api/1.0/organizations/${ORG_ID}/teams`) {
      return { json: { data: [{ gid: 'team-eng', name: 'Engineering', resource_type: 'team' }, { gid: 'team-hr', name: 'People', resource_type: 'team' }] } };
    }
    if (req.url.startsWith('/api/1.0/users/')) {
      const email = decodeURIComponent(req.url.slice('/api/1.0/users/'.length));
      return email === 'ada@example.com' ? { json: { data: { gid: 'u-ada', email, name: 'Ada Lovelace' } } } : { status: 404, json: { errors: [{ message: 'user: Unknown object' }] } };
    }
    const addUser = /^\/api\/1\.0\/(workspaces|teams)\/([^/]+)\/addUser$/.exec(req.url);
    if (addUser && req.method === 'POST') {
      const user = (req.json as { data?: { user?: string } })?.data?.user;
      if (!user) return { status: 400, json: { errors: [{ message: 'user: Missing input' }] } };
      return { json: { data: { gid: addUser[1] === 'workspaces' ? 'u-new-1' : 'membership-9', email: user, resource_type: addUser[1] === 'workspaces' ? 'user' : 'team_membership' } } };
    }
    return { status: 404, json: { errors: [{ message: 'Not found' }] } };
  });
  // A provider with a background job, a report download and an upload endpoint.
  jobs = await startFakeServer((req) => {
    if (req.url === '/jobs' && req.method === 'POST') return { status: 201, json: { id: 'job-42', detail: { status: 'queued' } } };
    if (req.url === '/jobs/job-42') {
      jobPolls++;
      return { json: { id: 'job-42', detail: { status: jobPolls >= 3 ? 'done' : 'running' } } };
    }
    if (req.url.startsWith('/access/') && req.method === 'DELETE') return { status: 204 };
    if (req.url === '/jobs/stuck') return { json: { id: 'stuck', detail: { status: 'running' } } };
    if (req.url === '/jobs/job-42/report') return { headers: { 'content-type': 'application/pdf' }, body: '%PDF-1.4 fake report bytes' };
    if (req.url === '/upload' && req.method === 'POST') return { json: { received: req.body.length, contentType: req.headers['content-type'] } };
    if (req.url === '/flaky') {
      flakyCalls++;
      return flakyCalls === 1 ? { status: 400, json: { message: 'not yet' } } : { json: { ok: true } };
    }
    if (req.url === '/tools/lookup' && req.method === 'POST') {
      if (req.headers.authorization !== `Bearer ${CRM_KEY}`) return { status: 401, json: { message: 'bad key' } };
      // A careless API that echoes the credentials back: the output must not carry them.
      return { json: { customer: { name: 'John Smith', status: 'active', plan: 'enterprise' }, query: req.json, echoed: req.headers.authorization } };
    }
    return { status: 404, json: { message: 'no route' } };
  });
  hub = await TestHub.start();
  org = await hub.createOrg('manifests');
  other = await hub.createOrg('manifests-other');
});

afterAll(async () => {
  await hub?.stop();
  await asana?.close();
  await jobs?.close();
});

describe('registering', () => {
  it('registers the published Asana manifest unchanged as an Integration of this organization only', async () => {
    const { registerManifest } = await data(REGISTER, { input: { key: 'asana', displayName: 'Asana', manifest: fixture('manifest.json') } });
    expect(registerManifest).toMatchObject({ key: 'asana', displayName: 'Asana', category: 'custom', version: '1', authModes: ['NONE'] });
    expect(registerManifest.actions.map((a: { key: string }) => a.key)).toEqual(['execute', 'exists']);
    expect(registerManifest.auth[0].credentialsSchema.required).toEqual(['TOKEN', 'ORG']);
    expect(registerManifest.actions[0].inputSchema.properties.form.required).toEqual(['TEAM_ID']);

    const mine = await data(CATALOG, {});
    expect(mine.integrations.map((i: { key: string }) => i.key)).toContain('asana');
    expect(mine.asana).toEqual({ key: 'asana' });
    expect(mine.manifests[0]).toMatchObject({ key: 'asana', kind: 'MANIFEST', version: 1 });
    const theirs = await data(CATALOG, {}, other.tokens.ADMIN);
    expect(theirs.integrations.map((i: { key: string }) => i.key)).not.toContain('asana');
    expect(theirs.asana).toBeNull();
    expect(theirs.manifests).toEqual([]);
  });

  it('refuses an invalid manifest with the exact path of each problem', async () => {
    const manifest = fixture('manifest.json') as { execute: Array<Record<string, unknown>> };
    manifest.execute[0] = { ...manifest.execute[0], polling: { interval: -1, amount: 3 } };
    const result = await call(REGISTER, { input: { key: 'broken', displayName: 'Broken', manifest: { ...manifest, form: [{ id: 'TEAM', name: 'Team', type: 'choice' }] } } });
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const paths = (result.errors?.[0]?.extensions?.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['input.manifest.execute.0.polling.interval', 'input.manifest.form.0.items']));
    expect(result.errors?.[0]?.message).toMatch(/input\.manifest\.execute\.0\.polling\.interval: interval must be positive/);
    const builtIn = await call(REGISTER, { input: { key: 'http', displayName: 'Mine', manifest: fixture('manifest.json') } });
    expect((builtIn.errors?.[0]?.extensions?.issues as Array<{ path: string }>)[0]?.path).toBe('input.key');
    const viewer = await call(REGISTER, { input: { key: 'asana2', displayName: 'A', manifest: fixture('manifest.json') } }, org.tokens.MEMBER);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('connects with the initial_data_form values (missing ones named), stored encrypted', async () => {
    const missing = await call(CONNECT, { input: { integrationKey: 'asana', name: 'Asana', initialData: { TOKEN: ASANA_TOKEN, EXTRA: 'x' } } });
    expect((missing.errors?.[0]?.extensions?.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(['input.initialData.EXTRA', 'input.initialData.ORG']);
    const { connectManifest } = await data(CONNECT, {
      input: { integrationKey: 'asana', name: 'Asana', initialData: { TOKEN: ASANA_TOKEN, ORG: ORG_ID }, config: { hostOverrides: { 'app.asana.com': asana.url } } },
    });
    expect(connectManifest).toMatchObject({ status: 'ACTIVE', authMode: 'NONE', integration: { key: 'asana', displayName: 'Asana', category: 'custom' } });
    asanaConnection = connectManifest.id;
    const row = await hub.db.prisma.connection.findFirstOrThrow({ where: { orgId: org.id, integrationKey: 'asana' } });
    expect(row.credentials).toMatch(/^pbv1\./);
    expect(row.credentials).not.toContain(ASANA_TOKEN);
    const foreign = await call(CONNECT, { input: { integrationKey: 'asana', name: 'x', initialData: {} } }, other.tokens.ADMIN);
    expect((foreign.errors?.[0]?.extensions?.issues as Array<{ path: string }>)[0]?.path).toBe('input.integrationKey');
  });
});

describe('the Asana example', () => {
  it('fetches the form from the API (data_from, choice_value, choice_name)', async () => {
    const { manifestForm } = await data(FORM, { id: asanaConnection });
    expect(manifestForm).toEqual([
      { id: 'TEAM_ID', name: 'Select team to add user to', type: 'choice', options: [{ value: 'team-eng', name: 'Engineering' }, { value: 'team-hr', name: 'People' }] },
    ]);
    // The documented default method for fetching choices is POST.
    expect(asana.requests.at(-1)).toMatchObject({ method: 'POST', url: `/api/1.0/organizations/${ORG_ID}/teams` });
  });

  it('checks the form and subject up front, naming the path', async () => {
    const result = await call(RUN_MANIFEST, { input: { connectionId: asanaConnection, action: 'EXECUTE', subject: { email: 'not-an-email' }, form: { TEAM: 'x' } } });
    const paths = (result.errors?.[0]?.extensions?.issues as Array<{ path: string }>).map((i) => i.path).sort();
    expect(paths).toEqual(['input.form.TEAM', 'input.form.TEAM_ID', 'input.subject.email']);
  });

  it('adds the new hire to the workspace and the team, and exists finds them', async () => {
    const before = asana.requests.length;
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: asanaConnection, action: 'EXECUTE', subject: { email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' }, form: { TEAM_ID: 'team-eng' } },
    }, org.tokens.MEMBER);
    expect(runManifest).toMatchObject({ kind: 'MANIFEST', action: 'execute', status: 'QUEUED' });
    const run = await waitForRun(hub, org.tokens.MEMBER, runManifest.id, 45_000, responses);
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    const sent = asana.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual([`POST /api/1.0/workspaces/${ORG_ID}/addUser`, 'POST /api/1.0/teams/team-eng/addUser']);
    expect(sent.every((r) => r.headers.authorization === `Bearer ${ASANA_TOKEN}` && r.headers['content-type'] === 'application/json')).toBe(true);
    expect(sent[1]!.json).toEqual({ data: { user: 'grace@example.com' } });
    expect(run.output).toEqual({ responses: [{ data: expect.objectContaining({ gid: 'u-new-1' }) }, { data: expect.objectContaining({ gid: 'membership-9' }) }] });

    const exists = await data(RUN_MANIFEST, { input: { connectionId: asanaConnection, action: 'EXISTS', subject: { email: 'ada@example.com' } } });
    expect((await waitForRun(hub, org.tokens.ADMIN, exists.runManifest.id)).output).toMatchObject({ exists: true });
    // fail_when_4xx_response_code defaults to true: Asana's 404 for an unknown user fails the check.
    const unknown = await data(RUN_MANIFEST, { input: { connectionId: asanaConnection, action: 'EXISTS', subject: { email: 'nobody@example.com' }, retryAfterSeconds: 0 } });
    const failed = await waitForRun(hub, org.tokens.ADMIN, unknown.runManifest.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/404/);
  });

  it('stores the returned id on the subject with store_data and uses it in later runs', async () => {
    const manifest = fixture('manifest.json') as { execute: Array<Record<string, unknown>> };
    manifest.execute[0] = { ...manifest.execute[0], store_data: { ASANA_USER_ID: 'data.gid' } };
    manifest.execute[1] = { ...manifest.execute[1], data: { data: { user: '{{ ASANA_USER_ID }}', requested_by: '{{ responses.0.data.email }}' } } };
    const { registerManifest } = await data(REGISTER, { input: { key: 'asana', displayName: 'Asana', manifest } });
    expect(registerManifest.version).toBe('2');
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: asanaConnection, action: 'EXECUTE', subject: { email: 'Linus@Example.com', first_name: 'Linus' }, form: { TEAM_ID: 'team-hr' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(asana.requests.at(-1)!.json).toEqual({ data: { user: 'u-new-1', requested_by: 'Linus@Example.com' } });
    const { manifestSubject } = await data(SUBJECT, { email: 'linus@example.com' });
    expect(manifestSubject).toEqual({ email: 'linus@example.com', data: { ASANA_USER_ID: 'u-new-1' } });
    expect((await data(SUBJECT, { email: 'linus@example.com' }, other.tokens.ADMIN)).manifestSubject).toBeNull();
  });
});

describe('continue_if, polling, files and the retry', () => {
  let jobsConnection: string;

  beforeAll(async () => {
    await data(REGISTER, {
      input: {
        key: 'reports',
        displayName: 'Reports',
        manifest: {
          execute: [
            { url: 'https://reports.example.com/jobs', method: 'POST', data: { for: '{{ email }}' } },
            {
              url: 'https://reports.example.com/jobs/{{ responses.0.id }}',
              method: 'GET',
              continue_if: { response_notation: 'detail.status', value: 'done' },
              polling: { interval: 0.3, amount: 10 },
            },
            { url: 'https://reports.example.com/jobs/{{ responses.0.id }}/report', method: 'GET', save_as_file: 'report.pdf' },
            { url: 'https://reports.example.com/upload', method: 'POST', data: { title: 'Report for {{ first_name }}' }, files: { document: 'report.pdf' } },
          ],
          revoke: [{ url: 'https://reports.example.com/access/{{ email }}', method: 'DELETE' }],
          headers: { Authorization: 'Token {{ API_TOKEN }}', 'X-Webhook-Secret': '{{ HOOK_SECRET }}' },
          initial_data_form: [
            { id: 'API_TOKEN', name: 'API token' },
            { id: 'HOOK_SECRET', name: 'generate', description: 'created by Patchbay' },
          ],
          post_execute_notification: { type: 'email', to: '{{ manager_email }}', subject: 'Report ready for {{ first_name }}', message: 'Done.' },
        },
      },
    });
    const { connectManifest } = await data(CONNECT, {
      input: { integrationKey: 'reports', name: 'Reports', initialData: { API_TOKEN: 'reports-token-5566' }, config: { hostOverrides: { 'reports.example.com': jobs.url } } },
    });
    jobsConnection = connectManifest.id;
  });

  it('polls on workflow timers until continue_if matches, then sends the saved file as multipart', async () => {
    const { runManifest } = await data(RUN_MANIFEST, {
      input: { connectionId: jobsConnection, action: 'EXECUTE', subject: { email: 'mia@example.com', first_name: 'Mia', manager_email: 'boss@example.com' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run.error).toBeNull();
    expect(jobPolls).toBe(3);
    const upload = jobs.requests.find((r) => r.url === '/upload')!;
    expect(upload.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('name="document"; filename="report.pdf"');
    expect(upload.body).toContain('%PDF-1.4 fake report bytes');
    expect(upload.body).toContain('Report for Mia');
    expect(upload.headers.authorization).toBe('Token reports-token-5566');
    // The generated secret was sent, and is a real random value.
    expect(String(upload.headers['x-webhook-secret'])).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(run.output).toMatchObject({ responses: [{ id: 'job-42' }, { detail: { status: 'done' } }, { file: 'report.pdf', size: 26 }, { received: expect.any(Number) }] });
    // Three polls = three activities and two durable timers in the run's history.
    const history = await temporalHistoryText(hub, run.workflowId);
    expect(history.match(/"timerStartedEventAttributes"/g)?.length).toBe(2);
    const feed = await data(FEED, { filter: { runId: runManifest.id } });
    // No notification connection is set on this connection: recorded as skipped (see manifests-notifications.int.test.ts).
    const note = feed.activity.edges.map((e: { node: { type: string; data: unknown } }) => e.node).find((n: { type: string }) => n.type === 'manifest.notification_skipped');
    expect(note.data).toEqual({ type: 'email', to: 'boss@example.com', subject: 'Report ready for Mia', message: 'Done.' });
    expect((run.output as { notification?: unknown }).notification).toMatchObject({ status: 'SKIPPED', type: 'email', to: 'boss@example.com' });
  });

  it('revokes access with the revoke requests', async () => {
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: jobsConnection, action: 'REVOKE', subject: { email: 'mia@example.com' } } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', action: 'revoke' });
    expect(jobs.requests.at(-1)).toMatchObject({ method: 'DELETE', url: '/access/mia@example.com' });
    const none = await call(RUN_MANIFEST, { input: { connectionId: asanaConnection, action: 'REVOKE', subject: { email: 'mia@example.com' } } });
    expect(none.errors?.[0]?.extensions?.issues).toEqual([{ path: 'input.action', message: 'this manifest has no revoke requests' }]);
  });

  it('fails a run whose continue_if never matches within the polling budget', async () => {
    await data(REGISTER, {
      input: {
        key: 'never-done',
        displayName: 'Never done',
        manifest: { execute: [{ url: 'https://reports.example.com/jobs/stuck', method: 'GET', continue_if: { response_notation: 'detail.status', value: 'done' }, polling: { interval: 0.1, amount: 3 } }] },
      },
    });
    const { connectManifest } = await data(CONNECT, { input: { integrationKey: 'never-done', name: 'Never', config: { hostOverrides: { 'reports.example.com': jobs.url } } } });
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: connectManifest.id, action: 'EXECUTE', subject: { email: 'x@example.com' }, retryAfterSeconds: 0 } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('request 0: continue_if not met after 3 polls (0 s)');
    expect(jobs.requests.filter((r) => r.url === '/jobs/stuck')).toHaveLength(3);
  });

  it('retries a failed run once after the configured delay (ChiefOnboarding: one hour)', async () => {
    await data(REGISTER, { input: { key: 'flaky', displayName: 'Flaky', manifest: { execute: [{ url: 'https://reports.example.com/flaky', method: 'POST' }] } } });
    const { connectManifest } = await data(CONNECT, { input: { integrationKey: 'flaky', name: 'Flaky', config: { hostOverrides: { 'reports.example.com': jobs.url } } } });
    const { runManifest } = await data(RUN_MANIFEST, { input: { connectionId: connectManifest.id, action: 'EXECUTE', subject: { email: 'y@example.com' }, retryAfterSeconds: 1 } });
    const run = await waitForRun(hub, org.tokens.ADMIN, runManifest.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(flakyCalls).toBe(2);
    const feed = await data(FEED, { filter: { runId: runManifest.id } });
    const types = feed.activity.edges.map((e: { node: { type: string } }) => e.node.type);
    expect(types).toContain('manifest.retry_scheduled');
    const history = await temporalHistoryText(hub, run.workflowId);
    expect(history).toContain('"startToFireTimeout":{"seconds":"1"');
  });
});

describe('custom HTTP tools (Engrami)', () => {
  let toolConnection: string;
  const tool = {
    name: 'lookup_customer',
    description: 'Look up customer information by email or ID',
    parameters: {
      type: 'object',
      properties: { identifier: { type: 'string', description: 'Customer email or ID' }, fields: { type: 'array', items: { type: 'string' } } },
      required: ['identifier'],
    },
    endpoint: { url: 'https://crm.example.com/tools/lookup', method: 'POST', headers: { Authorization: 'Bearer {{secrets.CRM_API_KEY}}' }, body_template: { query: '{{identifier}}', select: '{{fields}}' } },
    output_mapping: { name: '$.customer.name', status: '$.customer.status', echoed: '$.echoed' },
  };

  beforeAll(async () => {
    await data(`mutation SetKey($value: String!) { setSecret(name: "CRM_API_KEY", value: $value) { name } }`, { value: CRM_KEY });
    const { registerManifest } = await data(REGISTER, { input: { key: 'crm-tools', displayName: 'CRM tools', manifest: tool } });
    expect(registerManifest.actions).toEqual([{ key: 'lookup_customer', inputSchema: tool.parameters }]);
    const { connectManifest } = await data(CONNECT, { input: { integrationKey: 'crm-tools', name: 'CRM', config: { hostOverrides: { 'crm.example.com': jobs.url } } } });
    toolConnection = connectManifest.id;
  });

  it('runs through runAction and testAction: templates, parameters checked, output mapped, secret scrubbed', async () => {
    const bad = await call(`mutation($input: RunActionInput!) { runAction(input: $input) { id } }`, { input: { connectionId: toolConnection, action: 'lookup_customer', input: { fields: ['name'] } } });
    expect((bad.errors?.[0]?.extensions?.issues as Array<{ path: string }>)[0]?.path).toBe('input.identifier');
    const tested = await data(`mutation($input: RunActionInput!) { testAction(input: $input) { success output error } }`, {
      input: { connectionId: toolConnection, action: 'lookup_customer', input: { identifier: 'john@acme.com', fields: ['name', 'status'] } },
    });
    expect(tested.testAction).toEqual({ success: true, error: null, output: { name: 'John Smith', status: 'active', echoed: 'Bearer [redacted]' } });
    expect(jobs.requests.at(-1)!.json).toEqual({ query: 'john@acme.com', select: ['name', 'status'] });
    const { runAction } = await data(`mutation($input: RunActionInput!) { runAction(input: $input) { id } }`, {
      input: { connectionId: toolConnection, action: 'lookup_customer', input: { identifier: 'jane@acme.com' } },
    });
    const run = await waitForRun(hub, org.tokens.ADMIN, runAction.id, 45_000, responses);
    expect(run.error).toBeNull();
    expect(jobs.requests.at(-1)!.json).toEqual({ query: 'jane@acme.com' });
    expect(run).toMatchObject({ status: 'SUCCEEDED', kind: 'ACTION', output: { name: 'John Smith', status: 'active', echoed: 'Bearer [redacted]' } });
  });
});

describe('secrets never leak', () => {
  it('no initial-data value, generated secret or org secret in GraphQL responses, logs, activity events or Temporal payloads', async () => {
    const connections = await hub.db.prisma.connection.findMany({ where: { orgId: org.id } });
    const generated = connections
      .filter((c) => c.integrationKey === 'reports')
      .map((c) => (hub.hub.vault.decryptJson(c.credentials!, `connection:${c.id}`) as { initialData: Record<string, string> }).initialData.HOOK_SECRET!);
    expect(generated[0]).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const values = [ASANA_TOKEN, CRM_KEY, 'reports-token-5566', ...generated];
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: org.id } });
    const runs = await hub.db.prisma.run.findMany({ where: { orgId: org.id } });
    const histories = await Promise.all(runs.map((r) => temporalHistoryText(hub, `run/${r.id}`)));
    const haystacks = { responses: JSON.stringify(responses), logs: hub.logs.join('\n'), events: JSON.stringify(events), runs: JSON.stringify(runs), temporal: histories.join('\n') };
    expect(histories.length).toBeGreaterThan(5);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const value of values) expect(text.includes(value), `${where} contains a secret value`).toBe(false);
    }
  });
});
