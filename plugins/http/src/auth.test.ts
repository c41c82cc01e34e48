import { testAuth, type AuthMode } from '@patchbay/sdk';
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyPlacement } from './auth.ts';
import httpPlugin from './index.ts';

let server: FakeServer;
let reply: (req: RecordedRequest) => FakeResponse;

beforeAll(async () => {
  server = await startFakeServer((req) => reply(req));
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  reply = (req) => (req.headers.authorization === 'Bearer good' || req.url.includes('api_key=good') ? { json: { me: 'ada' } } : { status: 401, json: { message: 'bad key' } });
});

const test = (mode: AuthMode, credentials: unknown, config: Record<string, unknown>) => testAuth({ plugin: httpPlugin, mode, credentials, config });

describe('connection test hook', () => {
  it('passes without a request when no testUrl is configured', async () => {
    for (const [mode, credentials] of [['NONE', {}], ['API_KEY', { apiKey: 'k' }], ['BASIC', { username: 'u', password: 'p' }]] as const) {
      const result = await test(mode, credentials, { baseUrl: server.url });
      expect(result).toMatchObject({ ok: true, message: 'No test URL configured' });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('GETs testUrl with the credentials applied and passes on 2xx', async () => {
    const result = await test('API_KEY', { apiKey: 'good' }, { baseUrl: server.url, testUrl: '/me' });
    expect(result.ok).toBe(true);
    expect(result.message).toContain('200');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/me' });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer good');
  });

  it('fails with the status when testUrl answers non-2xx', async () => {
    const result = await test('API_KEY', { apiKey: 'bad' }, { baseUrl: server.url, testUrl: `${server.url}/me` });
    expect(result.ok).toBe(false);
    expect(result.message).toContain('401');
    expect(server.requests[0]!.headers.authorization).toBe('Bearer bad');
  });

  it('tests query-placed keys and basic credentials the same way', async () => {
    const query = await test('API_KEY', { apiKey: 'good' }, { baseUrl: server.url, testUrl: '/me', apiKeyIn: 'query' });
    reply = (req) => (req.headers.authorization === `Basic ${Buffer.from('ada:pw').toString('base64')}` ? { status: 204 } : { status: 403 });
    const basicOk = await test('BASIC', { username: 'ada', password: 'pw' }, { baseUrl: server.url, testUrl: '/me' });
    const basicBad = await test('BASIC', { username: 'ada', password: 'nope' }, { baseUrl: server.url, testUrl: '/me' });
    expect(query.ok).toBe(true);
    expect(server.requests[0]!.url).toBe('/me?api_key=good');
    expect(basicOk.ok).toBe(true);
    expect(basicBad).toMatchObject({ ok: false });
    expect(basicBad.message).toContain('403');
    expect(server.requests).toHaveLength(3);
  });

  it('fails (without throwing) when testUrl cannot be reached', async () => {
    const gone = await startFakeServer(() => ({}));
    const url = gone.url;
    await gone.close();
    const result = await test('NONE', {}, { testUrl: `${url}/health` });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/failed/);
  });
});

describe('apiKeyPlacement', () => {
  it('defaults to a Bearer Authorization header', () => {
    expect(apiKeyPlacement({})).toEqual({ in: 'header', name: 'Authorization', prefix: 'Bearer ' });
    expect(apiKeyPlacement({ apiKeyName: 'X-API-Key' })).toEqual({ in: 'header', name: 'X-API-Key', prefix: '' });
    expect(apiKeyPlacement({ apiKeyPrefix: '' })).toEqual({ in: 'header', name: 'Authorization', prefix: '' });
    expect(apiKeyPlacement({ apiKeyPrefix: 'Token token=' })).toEqual({ in: 'header', name: 'Authorization', prefix: 'Token token=' });
    expect(apiKeyPlacement({ apiKeyIn: 'query' })).toEqual({ in: 'query', name: 'api_key' });
    expect(apiKeyPlacement({ apiKeyIn: 'query', apiKeyName: 'key' })).toEqual({ in: 'query', name: 'key' });
  });
});
