import httpPlugin from '@patchbay/plugin-http';
import { describePlugin, validatePlugin } from '@patchbay/sdk';
import { runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import oauth2Plugin from './index.ts';

describe('the generic oauth2 plugin', () => {
  it('offers both OAuth2 modes with empty URLs (the org OAuth app supplies them) and the http plugin\'s http_request', () => {
    expect(validatePlugin(oauth2Plugin)).toBe(oauth2Plugin);
    const description = describePlugin(oauth2Plugin);
    expect(description).toMatchObject({ key: 'oauth2', category: 'developer', authModes: ['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS'] });
    expect(oauth2Plugin.auth.map((a) => a.oauth?.tokenUrl)).toEqual(['', '']);
    const code = description.auth.find((a) => a.mode === 'OAUTH2')!;
    expect(Object.keys((code.configSchema as { properties: object }).properties)).toEqual(expect.arrayContaining(['baseUrl', 'tokenEndpointAuthMethod', 'authorizeParams']));
    const httpRequest = httpPlugin.actions.find((a) => a.key === 'http_request')!;
    expect(oauth2Plugin.actions.map((a) => a.key)).toEqual(['http_request']);
    expect(oauth2Plugin.actions[0]!.run).toBe(httpRequest.run);
    expect(oauth2Plugin.actions[0]!.input).toBe(httpRequest.input);
  });

  it('sends the access token as a bearer token, and only to the baseUrl origin', async () => {
    const server = await startFakeServer(() => ({ json: { ok: true } }));
    try {
      const credentials = { accessToken: 'at-123456', tokenType: 'Bearer' };
      const output = await runTestAction(oauth2Plugin, 'http_request', { mode: 'OAUTH2', credentials, config: { baseUrl: server.url }, input: { url: '/me' } });
      expect(output).toMatchObject({ status: 200, body: { ok: true } });
      expect(server.requests[0]!.headers.authorization).toBe('Bearer at-123456');
      await expect(
        runTestAction(oauth2Plugin, 'http_request', { mode: 'OAUTH2_CLIENT_CREDENTIALS', credentials, config: { baseUrl: server.url }, input: { url: 'https://elsewhere.example/me' } }),
      ).rejects.toThrow(/Refused to send this connection's credentials/);
    } finally {
      await server.close();
    }
  });
});
