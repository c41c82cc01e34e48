// GitHub end to end: connections made through GraphQL (a token, and a GitHub App whose JWT the
// fake GitHub verifies), create_issue / create_comment run through runAction → Temporal →
// the plugin → Octokit → the fake GitHub, and no credential anywhere in GraphQL or the logs.
import { generateKeyPairSync } from 'node:crypto';
import { signGithubDelivery, startFakeGithub, type FakeGithub } from '../../../plugins/github/src/fake-github.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHub, type TestOrg } from '../harness.ts';
import { connectorKit } from './connector-kit.ts';
import { waitForEvent } from '../webhooks-helpers.ts';

const TOKEN = 'ghp_e2eSecretToken_5a4b3c2d1e0f9a8b7c6d';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const app = { id: 556677, slug: 'patchbay-e2e', publicKey: keys.publicKey, installationId: 4242 };
/** A line from the middle of the PEM: enough to spot the key anywhere. */
const KEY_FRAGMENT = keys.privateKey.split('\n')[5]!;

const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status authMode lastError config } }`;
const CreateEndpoint = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url } } }`;
const WEBHOOK_SECRET = 'gh-e2e-webhook-secret-61f0c2d9';
const DeleteConnection = `mutation($id: ID!) { deleteConnection(id: $id) { id } }`;

let hub: TestHub;
let org: TestOrg;
let github: FakeGithub;
const { gql, runToEnd, responses, stopHub } = connectorKit(() => ({ hub, org }));

beforeAll(async () => {
  github = await startFakeGithub({ tokens: [TOKEN], app });
  hub = await TestHub.start();
  org = await hub.createOrg('github');
});

afterAll(async () => {
  await stopHub();
  await github?.close();
});

describe('GitHub through the hub', () => {
  let appConnection: string;
  let tokenConnection: string;

  it('creates a token connection, tested with GET /user', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; authMode: string } }>(CreateConnection, {
      input: { integrationKey: 'github', name: 'GitHub (token)', authMode: 'API_KEY', credentials: { apiKey: TOKEN }, config: { baseUrl: github.baseUrl } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', authMode: 'API_KEY' });
    tokenConnection = createConnection.id;
    expect(github.requests.some((r) => r.url === '/user' && r.headers.authorization === `token ${TOKEN}`)).toBe(true);
  });

  it('creates a GitHub App connection, tested with GET /app and a verified JWT', async () => {
    const { createConnection } = await gql<{ createConnection: { id: string; status: string; lastError: string | null } }>(CreateConnection, {
      input: {
        integrationKey: 'github',
        name: 'GitHub (app)',
        authMode: 'BOT_TOKEN',
        credentials: { appId: String(app.id), privateKey: keys.privateKey, installationId: String(app.installationId) },
        config: { baseUrl: github.baseUrl },
      },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', lastError: null });
    appConnection = createConnection.id;
  });

  it('runs create_issue as the app: installation token exchanged, issue created, run SUCCEEDED', async () => {
    const before = github.requests.length;
    const run = await runToEnd(appConnection, 'create_issue', { owner: 'acme', repo: 'widgets', title: 'Deploy failed on main', labels: ['ci'] });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ number: 1, url: 'https://github.com/acme/widgets/issues/1', title: 'Deploy failed on main', labels: ['ci'], state: 'open' });
    const upstream = github.requests.slice(before);
    expect(upstream.map((r) => `${r.method} ${r.url}`)).toEqual([`POST /app/installations/${app.installationId}/access_tokens`, 'POST /repos/acme/widgets/issues']);
    expect(upstream[1]!.headers.authorization).toBe(`token ${github.installationTokens.at(-1)}`);
    expect(github.issues).toEqual([expect.objectContaining({ owner: 'acme', repo: 'widgets', title: 'Deploy failed on main', labels: ['ci'] })]);
  });

  it('runs create_comment with the token', async () => {
    const before = github.requests.length;
    const run = await runToEnd(tokenConnection, 'create_comment', { owner: 'acme', repo: 'widgets', issue_number: 1, body: 'Looking into it.' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ author: 'octocat', issueUrl: `${github.baseUrl}/repos/acme/widgets/issues/1` });
    const upstream = github.requests.slice(before);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.headers.authorization).toBe(`token ${TOKEN}`);
    expect(upstream[0]!.json).toEqual({ body: 'Looking into it.' });
  });

  it('fails a 404 at once (no retries) with GitHub’s message', async () => {
    const before = github.requests.length;
    const run = await runToEnd(tokenConnection, 'create_comment', { owner: 'acme', repo: 'widgets', issue_number: 99, body: 'hello?' });
    expect(run).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(run.error).toContain('answered 404: Not Found');
    expect(github.requests.length - before).toBe(1);
  });

  it('receives a signed webhook delivery on a hook: ping answered, forgery refused, issues.opened emitted', async () => {
    const { createWebhookEndpoint } = await gql<{ createWebhookEndpoint: { secret: string | null; endpoint: { id: string; url: string } } }>(CreateEndpoint, {
      input: { name: 'GitHub events', verification: 'GITHUB', secret: WEBHOOK_SECRET, target: { trigger: { integrationKey: 'github', trigger: 'events', settings: { events: ['issues'] } } } },
    });
    const hookUrl = `${hub.url}${new URL(createWebhookEndpoint.endpoint.url).pathname}`;
    const deliver = async (event: string, payload: unknown, secret = WEBHOOK_SECRET) => {
      const body = JSON.stringify(payload);
      return fetch(hookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': `d-${event}-${Date.now()}`, 'x-hub-signature-256': await signGithubDelivery(secret, body) },
        body,
      });
    };
    const ping = await deliver('ping', { zen: 'Design for failure.', hook_id: 1 });
    expect(ping.status).toBe(200);
    expect((await deliver('issues', { action: 'opened' }, 'wrong-secret')).status).toBe(401);
    const payload = { action: 'opened', issue: { number: 1, title: 'Deploy failed on main' }, repository: { full_name: 'acme/widgets' }, sender: { login: 'octocat' } };
    const accepted = await deliver('issues', payload);
    expect(accepted.status).toBe(202);

    const endpointId = Buffer.from(createWebhookEndpoint.endpoint.id, 'base64').toString().split(':').pop()!;
    const rows = await hub.db.prisma.webhookEvent.findMany({ where: { endpointId } });
    expect(rows).toHaveLength(1); // the ping handshake and the forgery were not stored
    const processed = await waitForEvent(hub, rows[0]!.id);
    expect(processed.status).toBe('PROCESSED');
    expect((processed.output as { events: unknown[] }).events).toEqual([
      expect.objectContaining({ name: 'issues.opened', event: 'issues', action: 'opened', repository: 'acme/widgets', sender: 'octocat', payload }),
    ]);
  });

  it('never shows a credential in GraphQL responses or the logs', async () => {
    await gql(DeleteConnection, { id: tokenConnection });
    const secrets = [TOKEN, KEY_FRAGMENT, WEBHOOK_SECRET, ...github.installationTokens];
    const everything = JSON.stringify(responses);
    const logs = hub.logs.join('\n');
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(logs).not.toContain(secret);
    }
  });
});
