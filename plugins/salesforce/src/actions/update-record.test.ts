import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../fake-salesforce.ts';
import salesforcePlugin from '../index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.update.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  org = await startFakeSalesforce({ tokens: [TOKEN] });
});
afterAll(() => org.close());
beforeEach(() => {
  org.requests.length = 0;
});

const run = (input: unknown) => runTestAction(salesforcePlugin, 'update_record', { mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: org.url }, input });

describe('update_record', () => {
  it('PATCHes only the given fields and reads the 204 as success', async () => {
    const id = org.sf.insert('Opportunity', { Name: 'Big deal', StageName: 'Prospecting', CloseDate: '2026-12-31', Amount: 1000 });
    const output = await run({ sobject: 'Opportunity', id, fields: { StageName: 'Closed Won', Amount: 2500 } });
    expect(output).toEqual({ id, success: true, sobject: 'Opportunity' });
    const req = org.requests[0]!;
    expect(req.method).toBe('PATCH');
    expect(req.url).toBe(`/services/data/v59.0/sobjects/Opportunity/${id}`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.json).toEqual({ StageName: 'Closed Won', Amount: 2500 });
    expect(org.sf.get('Opportunity', id)).toMatchObject({ Name: 'Big deal', StageName: 'Closed Won', Amount: 2500 });
  });

  it('fails permanently on an unknown record or field', async () => {
    const gone = await failureOf(run({ sobject: 'Account', id: '001D000000IqhSLIAZ', fields: { Name: 'X' } }));
    expect(gone).toBeInstanceOf(PermanentError);
    expect(gone.message).toContain('answered 404: NOT_FOUND');
    const id = org.sf.insert('Account', { Name: 'Acme' });
    const badField = await failureOf(run({ sobject: 'Account', id, fields: { Shoe_Size__c: 44 } }));
    expect(badField).toBeInstanceOf(PermanentError);
    expect(badField.message).toContain("No such column 'Shoe_Size__c'");
  });

  it('validates the id and the fields before calling Salesforce', async () => {
    const err = await failureOf(run({ sobject: 'Account', id: '42', fields: { Name: 'X' } }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues[0]).toMatchObject({ path: 'id' });
    const empty = await failureOf(run({ sobject: 'Account', id: '001D000000IqhSLIAZ', fields: {} }));
    expect((empty as ActionInputError).issues[0]).toMatchObject({ path: 'fields', message: 'needs at least one field' });
    expect(org.requests).toHaveLength(0);
  });
});
