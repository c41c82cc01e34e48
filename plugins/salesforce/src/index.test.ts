import { describePlugin, validatePlugin } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import salesforcePlugin from './index.ts';

describe('the Salesforce plugin', () => {
  it('passes the hub’s shape check and lists its actions', () => {
    expect(validatePlugin(salesforcePlugin)).toBe(salesforcePlugin);
    expect(salesforcePlugin.actions.map((a) => a.key)).toEqual(['create_record', 'update_record', 'query', 'call_apex_rest']);
  });

  it('describes every action input field for the catalog', () => {
    const description = describePlugin(salesforcePlugin);
    expect(description.auth[0]).toMatchObject({ mode: 'OAUTH2', scopes: ['api', 'refresh_token'] });
    expect(Object.keys((description.auth[0]!.configSchema as { properties: object }).properties)).toEqual(expect.arrayContaining(['baseUrl', 'loginUrl', 'apiVersion']));
    for (const action of description.actions) {
      const properties = (action.inputSchema as { properties: Record<string, { description?: string }> }).properties;
      for (const [name, schema] of Object.entries(properties)) expect(schema.description, `${action.key}.${name}`).toBeTruthy();
      expect(action.outputSchema, action.key).toBeTruthy();
    }
  });
});
