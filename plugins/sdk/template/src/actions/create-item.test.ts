import { runTestAction, startFakeServer } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import plugin from '../index.ts';

let api: Awaited<ReturnType<typeof startFakeServer>>;
beforeAll(async () => {
  api = await startFakeServer((req) =>
    req.url === '/items' ? { status: 201, json: { id: 'it_1', html_url: 'https://example.com/it_1' } } : { status: 404, json: { message: 'no route' } },
  );
});
afterAll(() => api.close());

it('creates an item with the key on the wire', async () => {
  const output = await runTestAction(plugin, 'create_item', {
    credentials: { apiKey: 'test-key' },
    config: { baseUrl: api.url },
    input: { title: 'Hello' },
  });
  expect(output).toEqual({ id: 'it_1', url: 'https://example.com/it_1' });
  expect(api.requests[0]).toMatchObject({ method: 'POST', url: '/items', json: { title: 'Hello', tags: [] } });
  expect(api.requests[0]!.headers.authorization).toBe('Bearer test-key');
});
