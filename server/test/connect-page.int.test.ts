// The hosted connect page, driven end to end in headless Chromium (Debian's /usr/bin/chromium
// through playwright-core): an app creates a connect link for one of its end users; the user
// opens it, types an API key (a wrong one is refused and the link stays usable), or signs in
// with OAuth on the provider's own login and consent pages. The link works once.
import { existsSync } from 'node:fs';
import { startFakeServer, type FakeServer } from '@patchbay/sdk/testing';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestHub, type TestOrg } from './harness.ts';
import { CODE_CLIENT, freePort, startAuthServer, type TestAuthServer } from './oauth-provider.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GOOD_KEY = 'end-user-api-key-6c1e9a';

let hub: TestHub;
let org: TestOrg;
let api: FakeServer;
let app: FakeServer;
let auth: TestAuthServer;
let browser: Browser;

async function gql<T = any>(query: string, variables: Record<string, unknown> = {}) {
  const result = await hub.gql<T, Record<string, unknown>>(query, variables, org.tokens.ADMIN);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!;
}

async function newLink(input: Record<string, unknown>): Promise<string> {
  const { createConnectLink } = await gql(`mutation($input: CreateConnectLinkInput!) { createConnectLink(input: $input) { url expiresAt endUserId integration { key } } }`, { input });
  return createConnectLink.url;
}

describe.skipIf(!existsSync(CHROMIUM))(`hosted connect page (Chromium at ${CHROMIUM})`, () => {
  beforeAll(async () => {
    // Providers and the app must know the hub's public address before it starts.
    const port = await freePort();
    hub = await TestHub.start({ env: { PORT: String(port), PUBLIC_URL: `http://127.0.0.1:${port}` } });
    org = await hub.createOrg('connect-page');
    api = await startFakeServer((req) => (req.headers.authorization === `Bearer ${GOOD_KEY}` ? { json: { ok: true } } : { status: 401, json: { message: 'bad key' } }));
    app = await startFakeServer(() => ({ headers: { 'content-type': 'text/html' }, body: '<!doctype html><title>App</title><h1>Back in the app</h1>' }));
    auth = await startAuthServer(`${hub.url}/oauth/callback`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (hub) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
    await hub?.stop();
    await Promise.all([api?.close(), app?.close(), auth?.close()]);
  });

  it('an end user connects with an API key; a rejected key can be corrected; the link works once', async () => {
    const url = await newLink({
      integrationKey: 'http',
      endUserId: 'eve',
      name: "Eve's API",
      redirectUrl: `${app.url}/done`,
      config: { baseUrl: api.url, testUrl: `${api.url}/me` },
    });
    const page = await browser.newPage();
    await page.goto(url);
    expect(await page.locator('h1').textContent()).toBe('Connect HTTP');
    const apiKeyForm = page.locator('form', { has: page.locator('input[name="mode"][value="API_KEY"]') });

    await apiKeyForm.locator('input[name="credentials.apiKey"]').fill('wrong-key');
    await apiKeyForm.locator('button[type="submit"]').click();
    await expect.poll(() => page.locator('.error').textContent()).toContain('did not accept these credentials');
    expect(await hub.db.prisma.connection.count({ where: { orgId: org.id, endUserId: 'eve' } })).toBe(0);

    await apiKeyForm.locator('input[name="credentials.apiKey"]').fill(GOOD_KEY);
    await apiKeyForm.locator('button[type="submit"]').click();
    await page.waitForURL(`${app.url}/done?**`);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).toBe('ACTIVE');
    expect(await page.locator('h1').textContent()).toBe('Back in the app');

    const { connection } = await gql(`query($id: ID!) { connection(id: $id) { name status endUserId authMode } }`, { id: landed.searchParams.get('connection_id') });
    expect(connection).toEqual({ name: "Eve's API", status: 'ACTIVE', endUserId: 'eve', authMode: 'API_KEY' });

    const again = await page.goto(url);
    expect(again!.status()).toBe(410);
    expect(await page.locator('body').textContent()).toContain('already used');
    expect(await page.content()).not.toContain(GOOD_KEY);
    expect(hub.logs.join('\n')).not.toContain(GOOD_KEY);
    await page.close();
  });

  it("an end user connects through OAuth on the provider's own login and consent pages", async () => {
    await gql(`mutation($input: SetOAuthAppInput!) { setOAuthApp(input: $input) { id } }`, {
      input: { integrationKey: 'oauth2', clientId: CODE_CLIENT.id, clientSecret: CODE_CLIENT.secret, scopes: ['openid', 'offline_access'], authorizationUrl: auth.urls.authorization, tokenUrl: auth.urls.token },
    });
    const url = await newLink({ integrationKey: 'oauth2', endUserId: 'frank', redirectUrl: `${app.url}/oauth-done`, config: { baseUrl: auth.issuer, authorizeParams: { prompt: 'consent' } } });
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('button', { name: /Connect with/ }).click();
    // oidc-provider's development interaction pages: sign in (any password), then consent.
    await page.locator('input[name="login"]').fill('frank');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();
    await page.locator('button[type="submit"]').click();
    await page.waitForURL(`${app.url}/oauth-done?**`);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).toBe('ACTIVE');
    const { connection } = await gql(`query($id: ID!) { connection(id: $id) { status endUserId authMode scopes } }`, { id: landed.searchParams.get('connection_id') });
    expect(connection).toMatchObject({ status: 'ACTIVE', endUserId: 'frank', authMode: 'OAUTH2' });
    expect(connection.scopes).toContain('offline_access');
    await page.close();
  });

  it('refuses unknown and expired links with a page that says so', async () => {
    const page = await browser.newPage();
    const unknown = await page.goto(`${hub.url}/connect/${'x'.repeat(43)}`);
    expect(unknown!.status()).toBe(404);
    const url = await newLink({ integrationKey: 'http', expiresInMinutes: 1 });
    await hub.db.prisma.connectLink.updateMany({ where: { orgId: org.id, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await page.goto(url);
    expect(expired!.status()).toBe(410);
    expect(await page.locator('body').textContent()).toContain('expired');
    await page.close();
  });
});
