import { describePlugin, validatePlugin } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import hubspotPlugin from './index.ts';

describe('the HubSpot plugin', () => {
  it('passes the hub’s shape check and lists its actions and sync', () => {
    expect(validatePlugin(hubspotPlugin)).toBe(hubspotPlugin);
    expect(hubspotPlugin.actions.map((a) => a.key)).toEqual(['create_contact', 'update_contact', 'search_contacts', 'create_deal']);
    expect(describePlugin(hubspotPlugin).syncs).toEqual([{ key: 'contacts', model: 'contact', defaultSchedule: '@every 1h' }]);
  });

  it('describes every action input field for the catalog', () => {
    const description = describePlugin(hubspotPlugin);
    expect(description.authModes).toEqual(['API_KEY', 'OAUTH2']);
    for (const action of description.actions) {
      const properties = (action.inputSchema as { properties: Record<string, { description?: string }> }).properties;
      for (const [name, schema] of Object.entries(properties)) expect(schema.description, `${action.key}.${name}`).toBeTruthy();
      expect(action.outputSchema, action.key).toBeTruthy();
    }
  });
});
