import { describePlugin, validatePlugin } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import httpPlugin from './index.ts';

describe('the http plugin', () => {
  it('has the expected shape and a catalog entry the frontend can render', () => {
    expect(validatePlugin(httpPlugin)).toBe(httpPlugin);
    const description = describePlugin(httpPlugin);
    expect(description).toMatchObject({ key: 'http', displayName: 'HTTP', category: 'developer', authModes: ['NONE', 'API_KEY', 'BASIC'] });
    expect(description.actions.map((a) => a.key)).toEqual(['http_request', 'graphql_request', 'send_webhook']);
    const apiKey = description.auth.find((a) => a.mode === 'API_KEY')!;
    expect(Object.keys((apiKey.configSchema as { properties: object }).properties)).toEqual(expect.arrayContaining(['baseUrl', 'apiKeyIn', 'apiKeyName', 'apiKeyPrefix', 'testUrl']));
    const request = description.actions[0]!.inputSchema as { properties: Record<string, unknown>; required?: string[] };
    expect(Object.keys(request.properties)).toEqual(expect.arrayContaining(['method', 'url', 'query', 'headers', 'body', 'responseType', 'timeoutMs', 'outputMapping', 'failOnHttpError']));
    expect(request.required).toEqual(['url']);
  });
});
