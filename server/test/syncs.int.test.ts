// The sync engine through GraphQL: a sync-users manifest with token pagination (import, a
// second run that rewrites only what changed, deletion detection), records paging with
// modifiedAfter, the published BambooHR manifests unchanged (import; update matched on email),
// Schedules with pause/resume, a plugin's defineSync through the same engine, and a worker
// SIGKILLed mid-sync that resumes after restart with no duplicate and no missing record.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generateKeySpec } from '@patchbay/db/vault';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { definePlugin, defineSync, none } from '@patchbay/sdk';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../src/config.ts';
import { TestHub, type GqlResult, type TestOrg } from './harness.ts';
import { fixture, runGid, temporalHistoryText, waitForRun } from './manifest-helpers.ts';

const DIRECTORY_KEY = 'dir_key_9f8e7d6c5b4a';
const BAMBOO_KEY = 'bamboo_key_1a2b3c4d5e';
const KEY_SPEC = generateKeySpec('ksync');

const REGISTER = `mutation Register($input: RegisterManifestInput!) { registerManifest(input: $input) { key syncs { key model defaultSchedule } } }`;
const CONNECT = `mutation Connect($input: ConnectManifestInput!) { connectManifest(input: $input) { id } }`;
const CREATE_CONNECTION = `mutation Create($input: CreateConnectionInput!) { createConnection(input: $input) { id status } }`;
const START = `mutation Start($id: ID!, $sync: String!) { startSync(connectionId: $id, sync: $sync) { id kind status action workflowId } }`;
const SYNCS = `query Syncs($id: ID!) { syncs(connectionId: $id) { sync model schedule paused running lastResult lastCompletedAt } }`;
const RECORDS = `query Records($id: ID!, $model: String!, $first: Int, $after: String, $modifiedAfter: DateTime) {
  records(connectionId: $id, model: $model, first: $first, after: $after, modifiedAfter: $modifiedAfter) {
    edges { cursor node { externalId model data deleted updatedAt } } pageInfo { hasNextPage endCursor }
  }
}`;
const PAUSE = `mutation Pause($id: ID!, $sync: String!) { pauseSync(connectionId: $id, sync: $sync) { paused schedule } }`;
const RESUME = `mutation Resume($id: ID!, $sync: String!) { resumeSync(connectionId: $id, sync: $sync) { paused schedule } }`;
const SET_SCHEDULE = `mutation Sched($id: ID!, $sync: String!, $schedule: String) { setSyncSchedule(connectionId: $id, sync: $sync, schedule: $schedule) { schedule } }`;
const FEED = `query Feed($filter: ActivityFilter) { activity(filter: $filter, first: 50) { edges { node { type data runId } } } }`;

interface User {
  primaryEmail: string;
  name: { givenName: string; familyName: string };
}

let hub: TestHub;
let org: TestOrg;
let other: TestOrg;
let directory: FakeServer;
let bamboo: FakeServer;
let users: User[];
let pageSize = 2;
const responses: unknown[] = [];

async function data<T = any>(query: string, variables: Record<string, unknown>, token = org.tokens.ADMIN): Promise<T> {
  const result: GqlResult<T> = await hub.gql<T, Record<string, unknown>>(query, variables, token);
  responses.push(result);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
  return result.data;
}

async function allRecords(connectionId: string, model: string, extra: Record<string, unknown> = {}, token = org.tokens.ADMIN) {
  const nodes: Array<{ externalId: string; data: any; deleted: boolean; updatedAt: string }> = [];
  let after: string | null = null;
  for (;;) {
    const { records }: { records: any } = await data(RECORDS, { id: connectionId, model, first: 2, after, ...extra }, token);
    nodes.push(...records.edges.map((e: { node: never }) => e.node));
    if (!records.pageInfo.hasNextPage) return nodes;
    after = records.pageInfo.endCursor;
  }
}

/** Google-Directory-like paging: `nextPageToken` in the body, `pageToken` in the next URL. */
function directoryPage(url: URL) {
  const start = Number(url.searchParams.get('pageToken') ?? '0');
  const limit = Number(url.searchParams.get('maxResults') ?? pageSize);
  const slice = users.slice(start, start + limit);
  return { kind: 'admin#directory#users', users: slice, ...(start + limit < users.length ? { nextPageToken: String(start + limit) } : {}) };
}

const person = (i: number): User => ({ primaryEmail: `user${i}@example.com`, name: { givenName: `Given${i}`, familyName: `Family${i}` } });

beforeAll(async () => {
  users = [1, 2, 3, 4, 5].map(person);
  directory = await startFakeServer((req) => {
    if (req.headers.authorization !== `Bearer ${DIRECTORY_KEY}`) return { status: 401, json: { error: { message: 'Invalid Credentials' } } };
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/admin/directory/v1/users') return { json: directoryPage(url) };
    if (url.pathname === '/linked/users') {
      // Link-header paging (GitHub style): rel="next" until the last page.
      const page = Number(url.searchParams.get('page') ?? '1');
      const slice = users.slice((page - 1) * 2, page * 2);
      const more = page * 2 < users.length;
      const headers: Record<string, string> = more ? { link: `</linked/users?page=${page + 1}>; rel="next", </linked/users?page=9>; rel="last"` } : {};
      return { json: slice, headers };
    }
    if (url.pathname === '/offset/users') {
      const offset = Number(url.searchParams.get('offset') ?? '0');
      return { json: { data: { members: users.slice(offset, offset + Number(url.searchParams.get('limit'))) } } };
    }
    if (url.pathname === '/bench/items') {
      const start = Number(url.searchParams.get('pageToken') ?? '0');
      const total = Number(url.searchParams.get('total'));
      const items = Array.from({ length: Math.min(pageSize, total - start) }, (_, i) => ({ id: `item-${start + i}`, email: `item${start + i}@example.com` }));
      return { json: { items, ...(start + pageSize < total ? { next: String(start + pageSize) } : {}) } };
    }
    return { status: 404, json: { error: { message: 'Not Found' } } };
  });
  bamboo = await startFakeServer((req) => {
    if (req.headers.authorization !== `Basic ${BAMBOO_KEY}:x`) return { status: 401, body: 'unauthorized' };
    if (req.url === '/api/gateway.php/acme/v1/reports/42') {
      return {
        json: {
          title: 'Employees',
          fields: [{ id: 'firstName' }, { id: 'lastName' }, { id: 'workEmail' }],
          employees: [
            { id: '101', firstName: 'Ada', lastName: 'Lovelace', workEmail: 'ada@acme.com' },
            { id: '102', firstName: 'Alan', lastName: 'Turing', workEmail: 'alan@acme.com' },
            { id: '103', firstName: 'Unknown', lastName: 'Person', workEmail: 'ghost@acme.com' },
          ],
        },
      };
    }
    return { status: 404, body: 'not found' };
  });
  hub = await TestHub.start({
    env: { PATCHBAY_ENCRYPTION_KEYS: KEY_SPEC },
    plugins: [
      definePlugin({
        key: 'paged-crm',
        displayName: 'Paged CRM',
        category: 'crm',
        auth: [none()],
        actions: [],
        syncs: [
          defineSync({
            key: 'contacts',
            model: 'contact',
            defaultSchedule: '@every 1h',
            async fetchPage(ctx) {
              const res = await ctx.http.get<{ results: Array<{ id: string; properties: Record<string, string> }>; paging?: { next?: { after: string } } }>(
                '/crm/v3/objects/contacts',
                { query: { limit: 2, after: ctx.input.cursor ?? undefined } },
              );
              return { records: res.data.results.map((r) => ({ id: r.id, data: r.properties })), nextCursor: res.data.paging?.next?.after ?? null };
            },
          }),
        ],
      }),
    ],
  });
  org = await hub.createOrg('syncs');
  other = await hub.createOrg('syncs-other');
});

afterAll(async () => {
  await hub?.stop();
  await directory?.close();
  await bamboo?.close();
});

const directoryManifest = (amountPages = 50) => ({
  execute: [{ url: 'https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=2', method: 'GET' }],
  headers: { Authorization: 'Bearer {{ KEY }}' },
  action: 'create',
  data_from: 'users',
  data_structure: { email: 'primaryEmail', first_name: 'name.givenName', last_name: 'name.familyName' },
  next_page: 'https://admin.googleapis.com/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken={{ NEXT_PAGE_TOKEN }}',
  next_page_token_from: 'nextPageToken',
  amount_pages_to_fetch: amountPages,
  initial_data_form: [{ id: 'KEY', name: 'Directory API key' }],
});

describe('a sync-users manifest with token pagination', () => {
  let connectionId: string;
  let firstRunEnd: string;

  beforeAll(async () => {
    const { registerManifest } = await data(REGISTER, { input: { key: 'directory', displayName: 'Directory', manifest: directoryManifest() } });
    expect(registerManifest.syncs).toEqual([{ key: 'users', model: 'user', defaultSchedule: null }]);
    ({ connectManifest: { id: connectionId } } = await data(CONNECT, {
      input: { integrationKey: 'directory', name: 'Directory', initialData: { KEY: DIRECTORY_KEY }, config: { hostOverrides: { 'admin.googleapis.com': directory.url } } },
    }));
  });

  it('imports every user page by page', async () => {
    expect((await data(SYNCS, { id: connectionId })).syncs).toEqual([{ sync: 'users', model: 'user', schedule: null, paused: false, running: false, lastResult: null, lastCompletedAt: null }]);
    const { startSync } = await data(START, { id: connectionId, sync: 'users' }, org.tokens.MEMBER);
    expect(startSync).toMatchObject({ kind: 'SYNC', action: 'users' });
    const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id, 45_000, responses);
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ pages: 3, added: 5, updated: 0, deleted: 0, model: 'user' });
    const records = await allRecords(connectionId, 'user');
    expect(records.map((r) => r.externalId).sort()).toEqual(['user1@example.com', 'user2@example.com', 'user3@example.com', 'user4@example.com', 'user5@example.com']);
    expect(records[0]!.data).toEqual({ email: 'user1@example.com', first_name: 'Given1', last_name: 'Family1' });
    const pageUrls = directory.requests.map((r) => r.url);
    expect(pageUrls).toEqual([
      '/admin/directory/v1/users?customer=my_customer&maxResults=2',
      '/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken=2',
      '/admin/directory/v1/users?customer=my_customer&maxResults=2&pageToken=4',
    ]);
    // Records never travel through the workflow: only counts and page numbers do.
    const history = await temporalHistoryText(hub, run.workflowId);
    expect(history).not.toContain('Given1');
    expect(history).not.toContain('user1@example.com');
    const feed = await data(FEED, { filter: { types: ['sync.completed'], runId: startSync.id } });
    expect(feed.activity.edges[0].node.data).toEqual({ sync: 'users', model: 'user', pages: 3, added: 5, updated: 0, deleted: 0 });
    firstRunEnd = new Date().toISOString();
  });

  it('a second run rewrites only the changed user and marks the removed one deleted', async () => {
    await new Promise((r) => setTimeout(r, 20));
    const before = await hub.db.prisma.syncRecord.findMany({ where: { connectionId: (await connectionRow('directory')).id }, orderBy: { externalId: 'asc' } });
    users[1] = { ...users[1]!, name: { givenName: 'Renamed', familyName: 'Family2' } };
    users.splice(3, 1); // user4 leaves
    const { startSync } = await data(START, { id: connectionId, sync: 'users' });
    const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id);
    expect(run.output).toEqual({ pages: 2, added: 0, updated: 1, deleted: 1, model: 'user' });
    const after = await hub.db.prisma.syncRecord.findMany({ where: { connectionId: before[0]!.connectionId }, orderBy: { externalId: 'asc' } });
    const unchanged = (id: string) => [before.find((r) => r.externalId === id)!.updatedAt, after.find((r) => r.externalId === id)!.updatedAt];
    for (const id of ['user1@example.com', 'user3@example.com', 'user5@example.com']) {
      const [was, now] = unchanged(id);
      expect(now).toEqual(was);
    }
    expect(after.find((r) => r.externalId === 'user4@example.com')).toMatchObject({ deleted: true });
    // modifiedAfter: only what changed since the first run, oldest change first.
    const changed = await allRecords(connectionId, 'user', { modifiedAfter: firstRunEnd });
    expect(changed.map((r) => [r.externalId, r.deleted, r.data.first_name])).toEqual(
      expect.arrayContaining([
        ['user2@example.com', false, 'Renamed'],
        ['user4@example.com', true, 'Given4'],
      ]),
    );
    expect(changed).toHaveLength(2);
    const status = (await data(SYNCS, { id: connectionId })).syncs[0];
    expect(status).toMatchObject({ running: false, lastResult: { pages: 2, added: 0, updated: 1, deleted: 1 } });
  });

  it('a run with no change writes nothing; a user who comes back is restored', async () => {
    const { startSync } = await data(START, { id: connectionId, sync: 'users' });
    expect((await waitForRun(hub, org.tokens.ADMIN, startSync.id)).output).toEqual({ pages: 2, added: 0, updated: 0, deleted: 0, model: 'user' });
    users.push(person(4));
    const again = await data(START, { id: connectionId, sync: 'users' });
    expect((await waitForRun(hub, org.tokens.ADMIN, again.startSync.id)).output).toEqual({ pages: 3, added: 0, updated: 1, deleted: 0, model: 'user' });
    const back = (await allRecords(connectionId, 'user')).find((r) => r.externalId === 'user4@example.com');
    expect(back?.deleted).toBe(false);
  });

  it('amount_pages_to_fetch caps the pages, and a capped run deletes nothing', async () => {
    await data(REGISTER, { input: { key: 'directory', displayName: 'Directory', manifest: directoryManifest(1) } });
    const { startSync } = await data(START, { id: connectionId, sync: 'users' });
    expect((await waitForRun(hub, org.tokens.ADMIN, startSync.id)).output).toEqual({ pages: 1, added: 0, updated: 0, deleted: 0, model: 'user' });
    await data(REGISTER, { input: { key: 'directory', displayName: 'Directory', manifest: directoryManifest() } });
  });

  it('records pages with first/after, and other organizations see nothing', async () => {
    const page = await data(RECORDS, { id: connectionId, model: 'user', first: 2 });
    expect(page.records.edges).toHaveLength(2);
    expect(page.records.pageInfo.hasNextPage).toBe(true);
    const rest = await allRecords(connectionId, 'user');
    expect(new Set(rest.map((r) => r.externalId)).size).toBe(5);
    const theirs = await hub.gql(RECORDS, { id: connectionId, model: 'user' }, other.tokens.ADMIN);
    expect(theirs.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const badCursor = await hub.gql(RECORDS, { id: connectionId, model: 'user', after: 'nope' }, org.tokens.ADMIN);
    expect(badCursor.errors?.[0]?.extensions?.issues).toEqual([{ path: 'after', message: 'not a valid cursor' }]);
    const startTheirs = await hub.gql(START, { id: connectionId, sync: 'users' }, other.tokens.ADMIN);
    expect(startTheirs.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

async function connectionRow(key: string) {
  return hub.db.prisma.connection.findFirstOrThrow({ where: { orgId: org.id, integrationKey: key } });
}

describe('other pagination styles as data', () => {
  it.each([
    ['link_header', { execute: [{ url: 'https://admin.googleapis.com/linked/users', method: 'GET' }], pagination: { type: 'link_header' } }, 3],
    ['offset', { execute: [{ url: 'https://admin.googleapis.com/offset/users', method: 'GET' }], data_from: 'data.members', pagination: { type: 'offset', limit: 2 } }, 3],
  ])('%s', async (style, shape, pages) => {
    const manifest = { headers: { Authorization: 'Bearer {{ KEY }}' }, action: 'create', data_from: '', data_structure: { email: 'primaryEmail', first_name: 'name.givenName' }, amount_pages_to_fetch: 20, initial_data_form: [{ id: 'KEY', name: 'key' }], ...shape };
    await data(REGISTER, { input: { key: `paged-${style.replace('_', '-')}`, displayName: style, manifest } });
    const { connectManifest } = await data(CONNECT, { input: { integrationKey: `paged-${style.replace('_', '-')}`, name: style, initialData: { KEY: DIRECTORY_KEY }, config: { hostOverrides: { 'admin.googleapis.com': directory.url } } } });
    const { startSync } = await data(START, { id: connectManifest.id, sync: 'users' });
    const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id);
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ pages, added: users.length, updated: 0, deleted: 0, model: 'user' });
    expect((await allRecords(connectManifest.id, 'user')).map((r) => r.externalId).sort()).toEqual(users.map((u) => u.primaryEmail).sort());
  });
});

describe('the published BambooHR manifests, unchanged', () => {
  it('imports users from the report (action create, data_from employees, data_structure)', async () => {
    await data(REGISTER, { input: { key: 'bamboohr-import', displayName: 'BambooHR import', manifest: fixture('import_user_manifest.json') } });
    const { connectManifest } = await data(CONNECT, {
      input: { integrationKey: 'bamboohr-import', name: 'BambooHR', initialData: { KEY: BAMBOO_KEY, REPORT_ID: '42', COMPANY_ID: 'acme' }, config: { hostOverrides: { 'api.bamboohr.com': bamboo.url } } },
    });
    const { startSync } = await data(START, { id: connectManifest.id, sync: 'users' });
    const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id);
    expect(run.error).toBeNull();
    expect(run.output).toMatchObject({ added: 3, deleted: 0 });
    const records = await allRecords(connectManifest.id, 'user');
    expect(records.find((r) => r.externalId === 'ada@acme.com')?.data).toEqual({ email: 'ada@acme.com', first_name: 'Ada', last_name: 'Lovelace' });
  });

  it('updates known users only (matched on email), on its hourly Schedule, which pauses and resumes', async () => {
    for (const email of ['ada@acme.com', 'alan@acme.com']) await hub.db.prisma.manifestSubject.create({ data: { orgId: org.id, email, data: { team: 'core' } } });
    await data(REGISTER, { input: { key: 'bamboohr-ids', displayName: 'BambooHR ids', manifest: fixture('sync_user_manifest.json') } });
    const { connectManifest } = await data(CONNECT, {
      input: { integrationKey: 'bamboohr-ids', name: 'BambooHR ids', initialData: { KEY: BAMBOO_KEY, REPORT_ID: '42', COMPANY_ID: 'acme' }, config: { hostOverrides: { 'api.bamboohr.com': bamboo.url } } },
    });
    const state = await hub.db.prisma.syncState.findFirstOrThrow({ where: { connectionId: decodeGlobalID(connectManifest.id).id } });
    const schedule = hub.hub.temporal.client.schedule.getHandle(`sync/${state.id}`);
    const described = await schedule.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow' });
    expect(described.state.paused).toBe(false);
    expect((await data(PAUSE, { id: connectManifest.id, sync: 'users' })).pauseSync).toEqual({ paused: true, schedule: '0 * * * *' });
    expect((await schedule.describe()).state.paused).toBe(true);
    expect((await data(RESUME, { id: connectManifest.id, sync: 'users' })).resumeSync).toEqual({ paused: false, schedule: '0 * * * *' });
    expect((await schedule.describe()).state.paused).toBe(false);

    // Trigger now: the Schedule's own action (creates the Run, runs it as run/<id>).
    await schedule.trigger();
    let runRow = null;
    for (let i = 0; i < 100 && !runRow; i++) {
      runRow = await hub.db.prisma.run.findFirst({ where: { connectionId: decodeGlobalID(connectManifest.id).id, kind: 'SYNC' } });
      if (!runRow) await new Promise((r) => setTimeout(r, 200));
    }
    const run = await waitForRun(hub, org.tokens.ADMIN, runGid(runRow!.id));
    expect(run.error).toBeNull();
    expect(run.output).toMatchObject({ updated: 2, added: 0 });
    const subjects = await hub.db.prisma.manifestSubject.findMany({ where: { orgId: org.id, email: { in: ['ada@acme.com', 'alan@acme.com', 'ghost@acme.com'] } }, orderBy: { email: 'asc' } });
    expect(subjects.map((s) => [s.email, s.data])).toEqual([
      ['ada@acme.com', { team: 'core', bamboohr_id: '101' }],
      ['alan@acme.com', { team: 'core', bamboohr_id: '102' }],
    ]);
    const bad = await hub.gql(SET_SCHEDULE, { id: connectManifest.id, sync: 'users', schedule: 'every now and then' }, org.tokens.ADMIN);
    expect(bad.errors?.[0]?.extensions?.issues).toEqual([{ path: 'schedule', message: 'a cron expression ("0 * * * *") or an interval ("@every 1h")' }]);
    await data(SET_SCHEDULE, { id: connectManifest.id, sync: 'users', schedule: null });
    await expect(schedule.describe()).rejects.toThrow();
  });
});

describe("a plugin's defineSync through the same engine", () => {
  it('pages with the plugin cursor and stores the records', async () => {
    const contacts = Array.from({ length: 5 }, (_, i) => ({ id: String(100 + i), properties: { email: `c${i}@crm.test`, firstname: `C${i}` } }));
    const crm = await startFakeServer((req) => {
      const url = new URL(req.url, 'http://x');
      const after = Number(url.searchParams.get('after') ?? '0');
      const slice = contacts.slice(after, after + 2);
      return { json: { results: slice, ...(after + 2 < contacts.length ? { paging: { next: { after: String(after + 2) } } } : {}) } };
    });
    try {
      const { createConnection } = await data(CREATE_CONNECTION, { input: { integrationKey: 'paged-crm', name: 'CRM', authMode: 'NONE', config: { baseUrl: crm.url } } });
      const { startSync } = await data(START, { id: createConnection.id, sync: 'contacts' });
      const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id);
      expect(run.output).toEqual({ pages: 3, added: 5, updated: 0, deleted: 0, model: 'contact' });
      const records = await allRecords(createConnection.id, 'contact');
      expect(records.map((r) => r.externalId).sort()).toEqual(['100', '101', '102', '103', '104']);
      const unknown = await hub.gql(START, { id: createConnection.id, sync: 'deals' }, org.tokens.ADMIN);
      expect(unknown.errors?.[0]?.extensions?.issues).toEqual([{ path: 'sync', message: 'no such sync' }]);
    } finally {
      await crm.close();
    }
  });

  it('retries a failing page from the checkpoint: committed pages are not fetched again', async () => {
    const contacts = Array.from({ length: 6 }, (_, i) => ({ id: String(200 + i), properties: { email: `f${i}@crm.test` } }));
    const requests: number[] = [];
    let failuresLeft = 3;
    const crm = await startFakeServer((req) => {
      const after = Number(new URL(req.url, 'http://x').searchParams.get('after') ?? '0');
      requests.push(after);
      // The second page fails (503) a few times: more often than one attempt of it absorbs.
      if (after === 2 && failuresLeft > 0) {
        failuresLeft--;
        return { status: 503, json: { message: 'try again' } };
      }
      return { json: { results: contacts.slice(after, after + 2), ...(after + 2 < contacts.length ? { paging: { next: { after: String(after + 2) } } } : {}) } };
    });
    try {
      const { createConnection } = await data(CREATE_CONNECTION, { input: { integrationKey: 'paged-crm', name: 'Flaky CRM', authMode: 'NONE', config: { baseUrl: crm.url } } });
      const { startSync } = await data(START, { id: createConnection.id, sync: 'contacts' });
      const run = await waitForRun(hub, org.tokens.ADMIN, startSync.id, 45_000, responses);
      expect(run.error).toBeNull();
      expect(run.output).toEqual({ pages: 3, added: 6, updated: 0, deleted: 0, model: 'contact' });
      expect(failuresLeft).toBe(0);
      expect(requests.filter((after) => after === 0)).toHaveLength(1); // committed before the failures: never fetched again
      expect(requests.filter((after) => after === 4)).toHaveLength(1);
      expect((await allRecords(createConnection.id, 'contact')).map((r) => r.externalId).sort()).toEqual(contacts.map((c) => c.id));
    } finally {
      await crm.close();
    }
  });
});

const databaseUrl = process.env.DATABASE_URL;

describe.skipIf(!databaseUrl)('a worker SIGKILLed mid-sync (PostgreSQL, separate worker process)', () => {
  let api: TestHub;
  let worker: ChildProcess | null = null;
  const output: string[] = [];
  const TOTAL = 400;

  function startWorker() {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'server/src/main.ts'), 'worker'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_TASK_QUEUE: api.taskQueue,
        PATCHBAY_ENCRYPTION_KEYS: KEY_SPEC,
        PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true',
        LOG_LEVEL: 'warn',
        PATCHBAY_BOOTSTRAP_TOKEN: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    return child;
  }

  beforeAll(async () => {
    api = await TestHub.start({ role: 'api', env: { PATCHBAY_ENCRYPTION_KEYS: KEY_SPEC } });
  });

  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await api?.stop();
  });

  it('finishes after a restart with every record exactly once', async () => {
    const korg = await api.createOrg('sync-kill');
    const manifest = {
      execute: [{ url: `https://items.example.com/bench/items?total=${TOTAL}`, method: 'GET' }],
      action: 'create',
      data_from: 'items',
      data_structure: { email: 'email', item: 'id' },
      next_page: `https://items.example.com/bench/items?total=${TOTAL}&pageToken={{ NEXT_PAGE_TOKEN }}`,
      next_page_token_from: 'next',
      amount_pages_to_fetch: 10_000,
      headers: { Authorization: 'Bearer {{ KEY }}' },
      initial_data_form: [{ id: 'KEY', name: 'key' }],
    };
    const admin = korg.tokens.ADMIN;
    const q = async <T = any>(query: string, variables: Record<string, unknown>) => {
      const r = await api.gql<T, Record<string, unknown>>(query, variables, admin);
      if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
      return r.data!;
    };
    await q(REGISTER, { input: { key: 'items', displayName: 'Items', manifest } });
    const { connectManifest } = await q(CONNECT, { input: { integrationKey: 'items', name: 'Items', initialData: { KEY: DIRECTORY_KEY }, config: { hostOverrides: { 'items.example.com': directory.url } } } });
    pageSize = 2; // 200 pages
    worker = startWorker();
    const { startSync } = await q(START, { id: connectManifest.id, sync: 'users' });
    const state = () => api.db.prisma.syncState.findFirstOrThrow({ where: { connectionId: decodeGlobalID(connectManifest.id).id } });
    // Let it get well into the sync, then kill the worker without warning.
    const deadline = Date.now() + 90_000;
    while ((await state()).pages < 40) {
      if (Date.now() > deadline) throw new Error(`the worker made no progress:\n${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    worker.kill('SIGKILL');
    await new Promise((r) => worker!.once('exit', r));
    const atKill = (await state()).pages;
    expect(atKill).toBeLessThan(TOTAL / pageSize);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await state()).pages).toBe(atKill); // nothing runs while no worker does
    worker = startWorker();
    const run = await waitForRun(api, admin, startSync.id, 120_000);
    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual({ pages: TOTAL / pageSize, added: TOTAL, updated: 0, deleted: 0, model: 'user' });
    const rows = await api.db.prisma.syncRecord.findMany({ where: { connectionId: (await state()).connectionId } });
    expect(rows).toHaveLength(TOTAL);
    expect(new Set(rows.map((r) => r.externalId)).size).toBe(TOTAL);
    expect(rows.every((r) => !r.deleted)).toBe(true);
    worker.kill('SIGTERM');
    await new Promise((r) => worker!.once('exit', r));
  }, 240_000);
});
