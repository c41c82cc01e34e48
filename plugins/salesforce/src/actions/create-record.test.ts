import { ActionInputError, PermanentError } from '@patchbay/sdk';
import { failureOf, runTestAction } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSalesforce, type RunningFakeSalesforce } from '../fake-salesforce.ts';
import salesforcePlugin from '../index.ts';

const TOKEN = '00D5g000004Xyz!AQ4AQFake.create.session';
let org: RunningFakeSalesforce;

beforeAll(async () => {
  org = await startFakeSalesforce({ tokens: [TOKEN], customObjects: { Invoice__c: ['Amount__c', 'Status__c'] } });
});
afterAll(() => org.close());
beforeEach(() => {
  org.requests.length = 0;
});

const run = (input: unknown, options: { user?: { metadata: Record<string, unknown> } } = {}) =>
  runTestAction(salesforcePlugin, 'create_record', { mode: 'OAUTH2', credentials: { accessToken: TOKEN }, config: { baseUrl: org.url }, input, user: options.user });

describe('create_record', () => {
  it('POSTs the fields to /services/data/v59.0/sobjects/<Type> with the session as a Bearer token', async () => {
    const output = (await run({ sobject: 'Contact', fields: { FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' } })) as { id: string };
    expect(output).toEqual({ id: expect.stringMatching(/^003[A-Za-z0-9]{15}$/), success: true, sobject: 'Contact' });
    expect(org.requests).toHaveLength(1);
    const req = org.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/services/data/v59.0/sobjects/Contact');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.json).toEqual({ FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com' });
    expect(org.sf.get('Contact', output.id)).toMatchObject({ LastName: 'Lovelace', Email: 'ada@example.com' });
  });

  it('creates custom (__c) object records', async () => {
    const output = (await run({ sobject: 'Invoice__c', fields: { Name: 'INV-7', Amount__c: 120.5 } })) as { id: string };
    expect(org.requests[0]!.url).toBe('/services/data/v59.0/sobjects/Invoice__c');
    expect(org.sf.get('Invoice__c', output.id)).toMatchObject({ Name: 'INV-7', Amount__c: 120.5 });
  });

  it('renders {{ }} templates in the payload before validation', async () => {
    const output = (await run(
      { sobject: 'Account', fields: { Name: '{{ user.metadata.company }}', Description: 'Plan: {{ user.metadata.plan }}' } },
      { user: { metadata: { company: 'Analytical Engines Ltd', plan: 'pro' } } },
    )) as { id: string };
    expect(org.requests[0]!.json).toEqual({ Name: 'Analytical Engines Ltd', Description: 'Plan: pro' });
    expect(org.sf.get('Account', output.id)!.Name).toBe('Analytical Engines Ltd');
  });

  it("fails permanently with Salesforce's own message, code and fields", async () => {
    const missing = await failureOf(run({ sobject: 'Account', fields: { Industry: 'Energy' } }));
    expect(missing).toBeInstanceOf(PermanentError);
    expect(missing.message).toContain('answered 400: REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (fields: Name)');
    expect((missing as PermanentError).details).toMatchObject({ status: 400 });

    const badField = await failureOf(run({ sobject: 'Account', fields: { Name: 'X', Colour__c: 'red' } }));
    expect(badField).toBeInstanceOf(PermanentError);
    expect(badField.message).toContain("INVALID_FIELD: No such column 'Colour__c' on sobject of type Account");

    const unknownObject = await failureOf(run({ sobject: 'Spaceship__c', fields: { Name: 'X' } }));
    expect(unknownObject).toBeInstanceOf(PermanentError);
    expect(unknownObject.message).toContain('answered 404: NOT_FOUND: The requested resource does not exist');
  });

  it('rejects invalid input before calling Salesforce', async () => {
    const err = await failureOf(run({ sobject: 'Account/../../limits', fields: {} }));
    expect(err).toBeInstanceOf(ActionInputError);
    expect((err as ActionInputError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(['sobject', 'fields']));
    const withId = await failureOf(run({ sobject: 'Account', fields: { Id: '001D000000IqhSLIAZ', Name: 'X' } }));
    expect(withId).toBeInstanceOf(ActionInputError);
    expect(withId.message).toMatch(/cannot set Id/);
    expect(org.requests).toHaveLength(0);
  });
});
