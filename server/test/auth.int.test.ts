// Authentication and roles: bootstrap token, tokens shown once and stored hashed, revocation,
// expiry, role limits, and typed errors for every failure.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBootstrap } from '../src/services/tokens.ts';
import { graphql } from './gql/index.ts';
import { TestHub, type TestOrg } from './harness.ts';

const BOOTSTRAP_TOKEN = 'bootstrap-token-for-the-auth-test-0123456789';

const Viewer = graphql(`
  query Viewer { viewer { role organization { id slug name } user { email } apiToken { id name role prefix lastUsedAt } } }
`);
const CreateToken = graphql(`
  mutation CreateToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) { token apiToken { id name role prefix createdAt expiresAt revokedAt } }
  }
`);
const RevokeToken = graphql(`mutation RevokeToken($id: ID!) { revokeApiToken(id: $id) { id revokedAt } }`);
const ListTokens = graphql(`
  query ListTokens($includeRevoked: Boolean) { apiTokens(includeRevoked: $includeRevoked, first: 50) { edges { node { id name role prefix revokedAt } } } }
`);

let hub: TestHub;
let org: TestOrg;

beforeAll(async () => {
  hub = await TestHub.start({ env: { PATCHBAY_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN } });
  org = await hub.createOrg('auth');
});
afterAll(() => hub?.stop());

describe('bootstrap token', () => {
  it('creates organization default with an OWNER token of exactly that value', async () => {
    const { viewer } = await hub.data(Viewer, {}, BOOTSTRAP_TOKEN);
    expect(viewer.organization.slug).toBe('default');
    expect(viewer.role).toBe('OWNER');
    expect(viewer.apiToken?.name).toBe('bootstrap');
  });

  it('is idempotent across starts', async () => {
    expect(await ensureBootstrap(hub.db, BOOTSTRAP_TOKEN)).toEqual({ created: false });
    const hash = createHash('sha256').update(BOOTSTRAP_TOKEN).digest('hex');
    expect(await hub.db.prisma.apiToken.count({ where: { tokenHash: hash } })).toBe(1);
    expect(await hub.db.prisma.organization.count({ where: { slug: 'default' } })).toBe(1);
  });
});

describe('API tokens', () => {
  it('shows a new token once and stores only its hash', async () => {
    const { createApiToken } = await hub.data(CreateToken, { input: { name: 'CI deploys', role: 'MEMBER' } }, org.tokens.ADMIN);
    const { token, apiToken } = createApiToken;
    expect(token).toMatch(/^pbt_[A-Za-z0-9_-]{32}$/);
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    expect(apiToken.prefix.length).toBeLessThan(token.length / 2);

    const row = await hub.db.prisma.apiToken.findFirstOrThrow({ where: { orgId: org.id, name: 'CI deploys' } });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));

    const { viewer } = await hub.data(Viewer, {}, token);
    expect(viewer).toMatchObject({ role: 'MEMBER', organization: { slug: org.slug } });
    const list = await hub.data(ListTokens, {}, org.tokens.ADMIN);
    expect(JSON.stringify(list)).not.toContain(token);
    expect(list.apiTokens.edges.map((e) => e.node.name)).toContain('CI deploys');
  });

  it('records when a token was last used', async () => {
    const { createApiToken } = await hub.data(CreateToken, { input: { name: 'usage', role: 'VIEWER' } }, org.tokens.OWNER);
    await hub.data(Viewer, {}, createApiToken.token);
    await expect.poll(async () => (await hub.db.prisma.apiToken.findFirstOrThrow({ where: { prefix: createApiToken.apiToken.prefix, orgId: org.id } })).lastUsedAt).not.toBeNull();
  });

  it('rejects a revoked token with UNAUTHENTICATED', async () => {
    const { createApiToken } = await hub.data(CreateToken, { input: { name: 'short-lived', role: 'VIEWER' } }, org.tokens.OWNER);
    expect((await hub.gql(Viewer, {}, createApiToken.token)).errors).toBeUndefined();
    const { revokeApiToken } = await hub.data(RevokeToken, { id: createApiToken.apiToken.id }, org.tokens.ADMIN);
    expect(revokeApiToken.revokedAt).not.toBeNull();
    const after = await hub.gql(Viewer, {}, createApiToken.token);
    expect(after.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: 'This API token has been revoked' });
    expect(after.data ?? null).toBeNull();
    const listed = await hub.data(ListTokens, { includeRevoked: false }, org.tokens.ADMIN);
    expect(listed.apiTokens.edges.map((e) => e.node.id)).not.toContain(createApiToken.apiToken.id);
  });

  it('rejects an expired token with UNAUTHENTICATED', async () => {
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    const { createApiToken } = await hub.data(CreateToken, { input: { name: 'expiring', role: 'VIEWER', expiresAt } }, org.tokens.OWNER);
    expect(createApiToken.apiToken.expiresAt).toBe(expiresAt);
    await hub.db.prisma.apiToken.updateMany({ where: { orgId: org.id, name: 'expiring' }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const result = await hub.gql(Viewer, {}, createApiToken.token);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: 'This API token has expired' });
  });

  it.each([
    [null, 'Authentication required: send Authorization: Bearer <token>'],
    ['pbt_not-a-real-token-000000000000000', 'Invalid API token'],
  ])('rejects token %s with UNAUTHENTICATED', async (token, message) => {
    const result = await hub.gql(Viewer, {}, token);
    expect(result.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message });
  });

  it('rejects a malformed Authorization header', async () => {
    const res = await fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Token abc' },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    expect(body.errors[0]!.message).toMatch(/Malformed Authorization header/);
  });

  it('enforces roles: only OWNER/ADMIN manage tokens, and nobody mints a higher role', async () => {
    for (const role of ['MEMBER', 'VIEWER'] as const) {
      const result = await hub.gql(CreateToken, { input: { name: 'nope', role: 'VIEWER' } }, org.tokens[role]);
      expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect((await hub.gql(ListTokens, {}, org.tokens[role])).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    const escalate = await hub.gql(CreateToken, { input: { name: 'escalate', role: 'OWNER' } }, org.tokens.ADMIN);
    expect(escalate.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(escalate.errors?.[0]?.message).toMatch(/ADMIN token cannot create a OWNER token/);
    const revokeOwner = await hub.gql(RevokeToken, { id: globalTokenId(org.tokenIds.OWNER) }, org.tokens.ADMIN);
    expect(revokeOwner.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await hub.db.prisma.apiToken.count({ where: { orgId: org.id, name: 'escalate' } })).toBe(0);
  });

  it('validates input with a typed error naming each bad path', async () => {
    const result = await hub.gql(
      CreateToken,
      { input: { name: '   ', role: 'VIEWER', expiresAt: '2001-01-01T00:00:00Z' } },
      org.tokens.OWNER,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const paths = (result.errors?.[0]?.extensions?.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining([expect.stringContaining('name'), expect.stringContaining('expiresAt')]));
    const bad = await hub.gql(CreateToken, { input: { name: 'x', role: 'KING' as never } }, org.tokens.OWNER);
    expect(bad.errors?.[0]?.message).toMatch(/KING/);
  });
});

function globalTokenId(id: string) {
  return Buffer.from(`ApiToken:${id}`).toString('base64');
}
