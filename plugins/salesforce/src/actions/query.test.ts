import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../fake-salesforce.ts';
import salesforcePlugin from '../index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.query.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  // Three records per page, so seven accounts take three pages.
  org = await startFakeSalesforce({ tokens: [TOKEN], pageSize: 3 });
  for (let i = 1; i <= 7; i++) org.sf.insert('Account', { Name: `Account ${i}`, Industry: i % 2 ? 'Energy' : 'Retail' });
  org.sf.insert('Contact', { LastName: "O'Brien", Email: 'ob@example.com' });
  org.sf.insert('Contact', { LastName: 'Smith', Email: 'smith@example.com' });
});
afterAll(() => org.close());
beforeEach(() => {
  org.requests.length = 0;
});

type QueryOutput = { totalSize: number; done: boolean; nextRecordsUrl?: string; records: Array<Record<string, unknown>> };
const run = (input: unknown, options: { secrets?: Record<string, string>; user?: { metadata: Record<string, unknown> } } = {}) =>
  runTestAction(salesforcePlugin, 'query', { mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: org.url }, input, ...options }) as Promise<QueryOutput>;

describe('query', () => {
  it('follows nextRecordsUrl through every page', async () => {
    const output = await run({ soql: 'SELECT Id, Name FROM Account' });
    expect(output.totalSize).toBe(7);
    expect(output.done).toBe(true);
    expect(output.nextRecordsUrl).toBeUndefined();
    expect(output.records.map((r) => r.Name)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `Account ${i}`));
    expect(output.records[0]).toMatchObject({ attributes: { type: 'Account', url: expect.stringMatching(/^\/services\/data\/v59\.0\/sobjects\/Account\/001/) } });
    const urls = org.requests.map((r) => r.url);
    expect(urls).toHaveLength(3);
    expect(urls[0]).toBe(`/services/data/v59.0/query?q=${encodeURIComponent('SELECT Id, Name FROM Account')}`);
    expect(urls[1]).toMatch(/^\/services\/data\/v59\.0\/query\/01g[A-Za-z0-9]+-3$/);
    expect(urls[2]).toMatch(/^\/services\/data\/v59\.0\/query\/01g[A-Za-z0-9]+-6$/);
    expect(org.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('stops at max, and says where the next page starts when it stopped on a page boundary', async () => {
    const onBoundary = await run({ soql: 'SELECT Id, Name FROM Account', max: 3 });
    expect(onBoundary.records).toHaveLength(3);
    expect(onBoundary).toMatchObject({ totalSize: 7, done: false, nextRecordsUrl: expect.stringMatching(/-3$/) });
    expect(org.requests).toHaveLength(1);

    org.requests.length = 0;
    const midPage = await run({ soql: 'SELECT Id, Name FROM Account', max: 4 });
    expect(midPage.records.map((r) => r.Name)).toEqual(['Account 1', 'Account 2', 'Account 3', 'Account 4']);
    expect(midPage.done).toBe(false);
    expect(midPage.nextRecordsUrl).toBeUndefined();
    expect(org.requests).toHaveLength(2);
  });

  it('binds params as escaped SOQL literals, with templates rendered in the values only', async () => {
    const output = await run({ soql: 'SELECT Id, LastName FROM Contact WHERE LastName = :name', params: { name: '{{ user.metadata.surname }}' } }, { user: { metadata: { surname: "O'Brien" } } });
    expect(output.records).toEqual([expect.objectContaining({ LastName: "O'Brien" })]);
    expect(new URL(org.requests[0]!.url, 'http://x').searchParams.get('q')).toBe("SELECT Id, LastName FROM Contact WHERE LastName = 'O\\'Brien'");

    org.requests.length = 0;
    const list = await run({ soql: 'SELECT Id, Name FROM Account WHERE Name IN :names AND Industry = :industry', params: { names: ['Account 1', 'Account 2', 'Account 3'], industry: 'Energy' } });
    expect(list.records.map((r) => r.Name)).toEqual(['Account 1', 'Account 3']);
  });

  it('does not render templates in the SOQL text itself', async () => {
    const output = await run({ soql: "SELECT Id, LastName FROM Contact WHERE LastName = '{{ user.metadata.surname }}'" }, { user: { metadata: { surname: 'Smith' } } });
    expect(new URL(org.requests[0]!.url, 'http://x').searchParams.get('q')).toBe("SELECT Id, LastName FROM Contact WHERE LastName = '{{ user.metadata.surname }}'");
    expect(output.records).toEqual([]);
  });

  it('uses queryAll when includeDeleted is set', async () => {
    const id = org.sf.insert('Lead', { LastName: 'Gone', Company: 'Old Co' });
    org.sf.get('Lead', id)!.IsDeleted = true;
    expect((await run({ soql: 'SELECT Id, LastName FROM Lead' })).records).toHaveLength(0);
    org.requests.length = 0;
    const all = await run({ soql: 'SELECT Id, LastName FROM Lead', includeDeleted: true });
    expect(all.records).toEqual([expect.objectContaining({ Id: id, LastName: 'Gone' })]);
    expect(org.requests[0]!.url).toMatch(/^\/services\/data\/v59\.0\/queryAll\?q=/);
  });

  it("fails permanently with Salesforce's message on a bad query", async () => {
    const err = await failureOf(run({ soql: 'SELECT Id, Colour FROM Account' }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain("answered 400: INVALID_FIELD: No such column 'Colour' on entity 'Account'");
  });

  it('rejects missing params and bad input before calling Salesforce', async () => {
    const missing = await failureOf(run({ soql: 'SELECT Id FROM Contact WHERE Email = :email' }));
    expect(missing).toBeInstanceOf(ActionInputError);
    expect(missing.message).toContain('no value in params for :email');
    const bad = await failureOf(run({ soql: '', max: 0 }));
    expect((bad as ActionInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['soql', 'max']));
    const badDate = await failureOf(run({ soql: 'SELECT Id FROM Account WHERE CreatedDate > :since', params: { since: { datetime: 'yesterday' } } }));
    expect(badDate).toBeInstanceOf(ActionInputError);
    expect(org.requests).toHaveLength(0);
  });
});
