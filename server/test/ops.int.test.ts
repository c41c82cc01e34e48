// Operations: health, readiness (database and Temporal), Prometheus metrics, request ids,
// query limits, error masking, and logs that never carry a secret.
import { SEARCH_ATTRIBUTES } from '@patchbay/workflows';
import { startTemporalDevServer } from '@patchbay/workflows/dev-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { TestHub, type TestOrg } from './harness.ts';

const CreateToken = graphql(`
  mutation OpsCreateToken($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id } } }
`);

let hub: TestHub;
let org: TestOrg;

beforeAll(async () => {
  hub = await TestHub.start();
  org = await hub.createOrg('ops');
});
afterAll(() => hub?.stop());

describe('health and readiness', () => {
  it('answers /healthz and /readyz when the database and Temporal are up', async () => {
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${hub.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: true, temporal: true });
  });

  it('reports not ready (503) when Temporal goes away, while staying healthy', async () => {
    const temporal = await startTemporalDevServer({ port: 0, uiPort: null, searchAttributes: SEARCH_ATTRIBUTES });
    const apiOnly = await TestHub.start({ role: 'api', env: { TEMPORAL_ADDRESS: temporal.address } });
    try {
      expect((await fetch(`${apiOnly.url}/readyz`)).status).toBe(200);
      await temporal.stop();
      const down = await fetch(`${apiOnly.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ status: 'not ready', database: true, temporal: false });
      expect((await fetch(`${apiOnly.url}/healthz`)).status).toBe(200);
    } finally {
      await apiOnly.stop();
      await temporal.stop();
    }
  });

  it('answers 404 with JSON for unknown paths and echoes a request id', async () => {
    const res = await fetch(`${hub.url}/nope`, { headers: { 'x-request-id': 'req-abc.123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('req-abc.123');
    const generated = await fetch(`${hub.url}/healthz`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('metrics', () => {
  it('exposes HTTP, GraphQL and run metrics for Prometheus', async () => {
    await hub.data('query { viewer { role } }', {}, org.tokens.VIEWER);
    await hub.db.prisma.run.create({ data: { orgId: org.id, kind: 'ACTION', status: 'SUCCEEDED' } });
    const res = await fetch(`${hub.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/patchbay_http_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/);
    expect(text).toMatch(/patchbay_http_request_duration_seconds_bucket/);
    expect(text).toMatch(/graphql_envelop_request(_duration)?/);
    expect(text).toMatch(/patchbay_runs\{status="SUCCEEDED"\} [1-9]\d*/);
    expect(text).toMatch(/patchbay_process_resident_memory_bytes/);
  });
});

describe('query limits and error masking', () => {
  it('rejects a query deeper than the limit with a clear error', async () => {
    let deep = 'id';
    for (let i = 0; i < 8; i++) deep = `connection { runs(first: 1) { edges { node { ${deep} } } } }`;
    const result = await hub.gql(`query { runs(first: 1) { edges { node { ${deep} } } } }`, {}, org.tokens.VIEWER);
    expect(result.data ?? null).toBeNull();
    // graphql-armor rejects it before execution (its cost or depth rule, whichever trips first).
    expect(result.errors?.[0]?.message).toMatch(/depth|cost limit/i);
  });

  it('rejects alias floods', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: viewer { role }`).join(' ');
    const result = await hub.gql(`query { ${aliases} }`, {}, org.tokens.VIEWER);
    expect(result.errors?.[0]?.message).toMatch(/Aliases limit/);
  });

  it('masks unexpected errors: no internals reach the client, the log has them with the request id', async () => {
    const broken = await TestHub.start({ database: 'pglite' });
    const brokenOrg = await broken.createOrg('broken');
    await broken.db.prisma.$executeRawUnsafe('ALTER TABLE "Organization" RENAME TO "Organization_gone"');
    const result = await broken.gql('query { viewer { organization { slug } } }', {}, brokenOrg.tokens.VIEWER);
    await broken.db.prisma.$executeRawUnsafe('ALTER TABLE "Organization_gone" RENAME TO "Organization"');
    await broken.stop();
    expect(result.errors?.[0]).toMatchObject({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(JSON.stringify(result)).not.toMatch(/Organization_gone|prisma|does not exist|stack/i);
    expect(broken.logs.some((line) => line.includes('unexpected error in a GraphQL operation') && line.includes('requestId'))).toBe(true);
  });
});

describe('logs', () => {
  it('are JSON lines carrying request ids, and never contain a token', async () => {
    const { createApiToken } = await hub.data(CreateToken, { input: { name: 'log probe', role: 'VIEWER' } }, org.tokens.OWNER);
    await hub.data('query { viewer { role } }', {}, createApiToken.token);
    await hub.gql('query { viewer { role } }', {}, `${createApiToken.token}-wrong`);
    hub.hub.logger.info({ authorization: `Bearer ${createApiToken.token}`, nested: { token: createApiToken.token, password: 'hunter2' } }, 'probe');
    expect(hub.logs.length).toBeGreaterThan(0);
    for (const line of hub.logs) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(createApiToken.token);
      for (const token of Object.values(org.tokens)) expect(line).not.toContain(token);
      expect(line).not.toContain('hunter2');
    }
    const probe = JSON.parse(hub.logs.find((l) => l.includes('"probe"'))!);
    expect(probe.authorization).toBe('[redacted]');
    expect(probe.nested).toEqual({ token: '[redacted]', password: '[redacted]' });
    expect(hub.logs.some((l) => /"requestId":"[0-9a-f-]{36}"/.test(l))).toBe(true);
  });
});
