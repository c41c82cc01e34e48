import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentError, TransientError, createHttpClient } from '@patchbay/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkUrl, isPrivateAddress, networkGuard, PrivateNetworkError } from './network-guard.ts';

describe('isPrivateAddress', () => {
  it.each([
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', '[::1]', 'fe80::1', 'fe80::1%eth0', 'fc00::1', 'fd12:3456::1',
    'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe', '2002:c0a8:0101::1', 'not-an-ip',
  ])('refuses %s', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])(
    'allows %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});

describe('checkUrl', () => {
  const deny = { allowPrivateNetwork: false };
  it('refuses private literals, including the forms URL normalises (decimal, hex, IPv6)', async () => {
    for (const url of ['http://127.0.0.1:8080/x', 'http://2130706433/', 'http://0x7f.1/', 'http://[::1]/', 'http://[::ffff:169.254.169.254]/latest/meta-data']) {
      await expect(checkUrl(new URL(url), deny)).rejects.toBeInstanceOf(PrivateNetworkError);
    }
  });

  it('resolves names and refuses when any address is private', async () => {
    const resolve = async (host: string) => (host === 'mixed.test' ? ['93.184.216.34', '10.0.0.5'] : ['93.184.216.34']);
    await expect(checkUrl(new URL('https://public.test/path?key=abc'), { ...deny, resolve })).resolves.toBeUndefined();
    const err = await checkUrl(new URL('https://mixed.test/path?key=abc'), { ...deny, resolve }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(PrivateNetworkError);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain('mixed.test (10.0.0.5)');
    expect((err as Error).message).not.toContain('key=abc');
  });

  it('resolves localhost for real', async () => {
    await expect(checkUrl(new URL('http://localhost:1/'), deny)).rejects.toBeInstanceOf(PrivateNetworkError);
  });

  it('treats a resolution failure as transient and non-http schemes as permanent', async () => {
    const resolve = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await expect(checkUrl(new URL('https://nowhere.test/'), { ...deny, resolve })).rejects.toBeInstanceOf(TransientError);
    await expect(checkUrl(new URL('file:///etc/passwd'), { allowPrivateNetwork: true })).rejects.toBeInstanceOf(PermanentError);
  });

  it('allows everything when PATCHBAY_ALLOW_PRIVATE_NETWORK is on', async () => {
    await expect(checkUrl(new URL('http://127.0.0.1/'), { allowPrivateNetwork: true })).resolves.toBeUndefined();
  });
});

describe('through the SDK HTTP client', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/hop') {
        res.writeHead(302, { location: 'http://127.0.0.1:1/internal' });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses before connecting when private addresses are not allowed', async () => {
    const client = createHttpClient(networkGuard({ allowPrivateNetwork: false }));
    await expect(client.get(`${base}/`)).rejects.toBeInstanceOf(PrivateNetworkError);
  });

  it('checks every redirect hop', async () => {
    // The first hop is "public" (the resolver says so); its redirect points at loopback.
    const guard = networkGuard({ allowPrivateNetwork: false, resolve: async () => ['93.184.216.34'] });
    const client = createHttpClient({ ...guard, fetch: (input, init) => guard.fetch(String(input).replace('http://public.test', base), init) });
    // The SDK client reports any failure inside fetch as transient, with the guard's reason.
    const err = await client.get('http://public.test/hop').catch((e: Error) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toMatch(/Refused to connect to 127\.0\.0\.1: loopback, private and link-local/);
  });

  it('follows redirects itself with the fetch rules when allowed hops are public', async () => {
    let calls = 0;
    const fakeFetch: typeof fetch = async (input, init) => {
      calls += 1;
      const url = String(input);
      if (url.endsWith('/start')) return new Response(null, { status: 303, headers: { location: '/done' } });
      return Response.json({ url, method: init?.method, auth: new Headers(init?.headers).get('authorization') });
    };
    const { guardedFetch } = await import('./network-guard.ts');
    const f = guardedFetch({ allowPrivateNetwork: false, resolve: async () => ['93.184.216.34'] }, { baseFetch: fakeFetch });
    const res = await f('https://api.test/start', { method: 'POST', body: 'x', headers: { authorization: 'Bearer t' } });
    expect(await res.json()).toEqual({ url: 'https://api.test/done', method: 'GET', auth: 'Bearer t' });
    expect(calls).toBe(2);
  });

  it('passes through when private addresses are allowed', async () => {
    const client = createHttpClient(networkGuard({ allowPrivateNetwork: true }));
    expect((await client.get(`${base}/ok`)).data).toEqual({ method: 'GET', url: '/ok' });
  });
});
