// GraphQL-over-HTTP compliance: graphql-http's audit suite against our /graphql endpoint.
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TestHub } from './harness.ts';

let hub: TestHub;
let token: string;

beforeAll(async () => {
  hub = await TestHub.start();
  token = (await hub.createOrg('audit')).tokens.VIEWER;
});
afterAll(() => hub?.stop());

it('passes every graphql-http audit with no errors', async () => {
  const results = await auditServer({
    url: `${hub.url}/graphql`,
    fetchFn: (input: RequestInfo | URL, init?: RequestInit) =>
      fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${token}` } }),
  });
  const errors = results.flatMap((r) => (r.status === "error" ? [`${r.id} ${r.name}: ${r.reason}`] : []));
  expect(errors).toEqual([]);
  expect(results.filter((r) => r.status === 'ok').length).toBeGreaterThan(40);
});
