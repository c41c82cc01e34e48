// Organization secrets through GraphQL: set, list, update, delete; the value never leaves the
// vault (not in responses, logs, activity events or database rows in clear); roles; tenancy.
import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { readSecrets, UnknownSecretError } from '@patchbay/db/secrets';
import { vaultContext } from '@patchbay/db/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.ts';
import { TestHub, type GqlResult, type TestOrg } from './harness.ts';

const SetSecret = graphql(`
  mutation SetSecret($name: String!, $value: String!) { setSecret(name: $name, value: $value) { name version createdAt updatedAt } }
`);
const DeleteSecret = graphql(`mutation DeleteSecret($name: String!) { deleteSecret(name: $name) }`);
const ListSecrets = graphql(`query ListSecrets { secrets { name version createdAt updatedAt versions { version createdAt } } }`);

// Distinctive values, so a leak anywhere is found by a plain substring search.
const VALUE_1 = `sk_live_first_${randomBytes(12).toString('hex')}`;
const VALUE_2 = `sk_live_second_${randomBytes(12).toString('hex')}`;
const OTHER_VALUE = `other_${randomBytes(12).toString('hex')}`;
const B_VALUE = `org_b_${randomBytes(12).toString('hex')}`;
const ALL_VALUES: string[] = [VALUE_1, VALUE_2, OTHER_VALUE, B_VALUE];

let hub: TestHub;
let orgA: TestOrg;
let orgB: TestOrg;
/** Every GraphQL response of this file, to prove no value ever came back. */
const responses: unknown[] = [];

async function gql<T, V>(doc: TypedDocumentNode<T, V>, variables: V, token: string): Promise<GqlResult<T>> {
  const result = await hub.gql(doc, variables, token);
  responses.push(result);
  return result;
}

async function ok<T>(result: Promise<GqlResult<T>>): Promise<T> {
  const { data, errors } = await result;
  if (errors?.length || !data) throw new Error(`GraphQL errors: ${JSON.stringify(errors)}`);
  return data;
}

beforeAll(async () => {
  hub = await TestHub.start({ env: { PATCHBAY_ENCRYPTION_KEYS: `sec1:${randomBytes(32).toString('base64')}` } });
  orgA = await hub.createOrg('secrets-a');
  orgB = await hub.createOrg('secrets-b');
});
afterAll(() => hub?.stop());

describe('secrets through GraphQL', () => {
  it('creates a secret at version 1 and lists it without its value', async () => {
    const { setSecret } = await ok(gql(SetSecret, { name: 'STRIPE_KEY', value: VALUE_1 }, orgA.tokens.ADMIN));
    expect(setSecret).toMatchObject({ name: 'STRIPE_KEY', version: 1 });
    expect(setSecret.createdAt).toBe(setSecret.updatedAt);

    const { secrets } = await ok(gql(ListSecrets, {}, orgA.tokens.VIEWER));
    expect(secrets).toEqual([{ ...setSecret, versions: [{ version: 1, createdAt: expect.any(String) }] }]);
  });

  it('stores a new value as version 2 and keeps the history', async () => {
    const { setSecret } = await ok(gql(SetSecret, { name: 'STRIPE_KEY', value: VALUE_2 }, orgA.tokens.OWNER));
    expect(setSecret).toMatchObject({ name: 'STRIPE_KEY', version: 2 });
    expect(new Date(setSecret.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(setSecret.createdAt).getTime());
    await ok(gql(SetSecret, { name: '_other_1', value: OTHER_VALUE }, orgA.tokens.ADMIN));

    const { secrets } = await ok(gql(ListSecrets, {}, orgA.tokens.MEMBER));
    expect(secrets.map((s) => [s.name, s.version])).toEqual([
      ['STRIPE_KEY', 2],
      ['_other_1', 1],
    ]);
    expect(secrets[0]!.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(secrets[0]!.createdAt).toBe(secrets[0]!.versions[1]!.createdAt);
  });

  it('gives the worker the current value, and names every unknown secret', async () => {
    const { db, vault } = hub.hub;
    expect(await readSecrets(db, vault, orgA.id, ['STRIPE_KEY', '_other_1', 'STRIPE_KEY'])).toEqual({ STRIPE_KEY: VALUE_2, _other_1: OTHER_VALUE });
    expect(await readSecrets(db, vault, orgA.id, [])).toEqual({});

    await expect(readSecrets(db, vault, orgA.id, ['STRIPE_KEY', 'MISSING_ONE'])).rejects.toThrow(new UnknownSecretError(['MISSING_ONE']));
    await expect(readSecrets(db, vault, orgA.id, ['MISSING_ONE'])).rejects.toThrow('Unknown secret "MISSING_ONE"');
    const err = await readSecrets(db, vault, orgA.id, ['A_MISSING', 'STRIPE_KEY', 'B_MISSING']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownSecretError);
    expect(err).toBeInstanceOf(Error);
    expect((err as UnknownSecretError).names).toEqual(['A_MISSING', 'B_MISSING']);
    expect((err as Error).message).toBe('Unknown secrets "A_MISSING", "B_MISSING"');
  });

  it('gives concurrent writers of one name distinct versions, the last stored one being current', async () => {
    const values = Array.from({ length: 6 }, (_, i) => `parallel-${i}-${randomBytes(4).toString('hex')}`);
    ALL_VALUES.push(...values);
    const results = await Promise.all(values.map((value) => ok(gql(SetSecret, { name: 'PARALLEL', value }, orgA.tokens.ADMIN))));
    expect(results.map((r) => r.setSecret.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    const secret = await hub.db.prisma.secret.findUniqueOrThrow({ where: { orgId_name: { orgId: orgA.id, name: 'PARALLEL' } }, include: { versions: true } });
    expect(secret.version).toBe(6);
    const byVersion = new Map(secret.versions.map((v) => [v.version, v]));
    const current = await readSecrets(hub.db, hub.hub.vault, orgA.id, ['PARALLEL']);
    // The current value is the one stored as the highest version.
    expect(current.PARALLEL).toBe(hub.hub.vault.decrypt(byVersion.get(6)!.ciphertext, vaultContext.secret(orgA.id, 'PARALLEL', 6)));
    expect(values).toContain(current.PARALLEL);
    await ok(gql(DeleteSecret, { name: 'PARALLEL' }, orgA.tokens.ADMIN));
  });

  it('validates names and values, reporting every bad argument with its path', async () => {
    const cases: Array<[string, string, string[]]> = [
      ['1STARTS_WITH_DIGIT', 'v', ['name']],
      ['has-dash', 'v', ['name']],
      ['has space', 'v', ['name']],
      ['', 'v', ['name']],
      ['N'.repeat(101), 'v', ['name']],
      ['OK_NAME', '', ['value']],
      ['OK_NAME', 'x'.repeat(64 * 1024 + 1), ['value']],
      ['OK_NAME', 'é'.repeat(32 * 1024 + 1), ['value']], // 64 KiB + 2 bytes in UTF-8
      ['bad-name', '', ['name', 'value']],
    ];
    for (const [name, value, paths] of cases) {
      const result = await gql(SetSecret, { name, value }, orgA.tokens.ADMIN);
      expect(result.errors?.[0]?.extensions?.code, name).toBe('BAD_USER_INPUT');
      const issues = result.errors![0]!.extensions!.issues as Array<{ path: string; message: string }>;
      expect([...new Set(issues.map((i) => i.path))].sort()).toEqual(paths);
      expect(result.data ?? null).toBeNull();
    }
    // The largest allowed value and name are accepted.
    const big = await ok(gql(SetSecret, { name: `N${'_'.repeat(99)}`, value: 'x'.repeat(64 * 1024) }, orgA.tokens.ADMIN));
    expect(big.setSecret.version).toBe(1);
    await ok(gql(DeleteSecret, { name: `N${'_'.repeat(99)}` }, orgA.tokens.ADMIN));

    const del = await gql(DeleteSecret, { name: 'no-such-name!' }, orgA.tokens.ADMIN);
    expect(del.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await hub.db.prisma.secret.count({ where: { orgId: orgA.id, name: 'OK_NAME' } })).toBe(0);
  });

  it('lets only ADMIN and OWNER set and delete; every role lists', async () => {
    for (const role of ['MEMBER', 'VIEWER'] as const) {
      const set = await gql(SetSecret, { name: 'STRIPE_KEY', value: 'hijacked' }, orgA.tokens[role]);
      expect(set.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const del = await gql(DeleteSecret, { name: 'STRIPE_KEY' }, orgA.tokens[role]);
      expect(del.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const { secrets } = await ok(gql(ListSecrets, {}, orgA.tokens[role]));
      expect(secrets.map((s) => s.name)).toContain('STRIPE_KEY');
    }
    const unauthenticated = await hub.gql(ListSecrets, {}, null);
    expect(unauthenticated.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // Authentication and role come before input validation.
    expect((await hub.gql(SetSecret, { name: 'bad-name', value: '' }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await hub.gql(DeleteSecret, { name: 'bad-name' }, null)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(SetSecret, { name: 'bad-name', value: '' }, orgA.tokens.MEMBER)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(DeleteSecret, { name: 'bad-name' }, orgA.tokens.VIEWER)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await readSecrets(hub.hub.db, hub.hub.vault, orgA.id, ['STRIPE_KEY'])).toEqual({ STRIPE_KEY: VALUE_2 });
  });

  it('isolates organizations: B sees none of A, cannot delete A, and has its own namespace', async () => {
    const { secrets: none } = await ok(gql(ListSecrets, {}, orgB.tokens.OWNER));
    expect(none).toEqual([]);
    const del = await gql(DeleteSecret, { name: 'STRIPE_KEY' }, orgB.tokens.OWNER);
    expect(del.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // The same name in B is another secret, starting at version 1.
    const { setSecret } = await ok(gql(SetSecret, { name: 'STRIPE_KEY', value: B_VALUE }, orgB.tokens.OWNER));
    expect(setSecret.version).toBe(1);
    expect(await readSecrets(hub.hub.db, hub.hub.vault, orgB.id, ['STRIPE_KEY'])).toEqual({ STRIPE_KEY: B_VALUE });
    expect(await readSecrets(hub.hub.db, hub.hub.vault, orgA.id, ['STRIPE_KEY'])).toEqual({ STRIPE_KEY: VALUE_2 });
    await expect(readSecrets(hub.hub.db, hub.hub.vault, orgB.id, ['_other_1'])).rejects.toThrow(UnknownSecretError);

    const { secrets: listA } = await ok(gql(ListSecrets, {}, orgA.tokens.VIEWER));
    expect(listA.find((s) => s.name === 'STRIPE_KEY')?.version).toBe(2);
  });

  it('a ciphertext copied to another organization or version does not decrypt', async () => {
    const { prisma } = hub.db;
    const a = await prisma.secret.findUniqueOrThrow({ where: { orgId_name: { orgId: orgA.id, name: 'STRIPE_KEY' } } });
    const b = await prisma.secret.findUniqueOrThrow({ where: { orgId_name: { orgId: orgB.id, name: 'STRIPE_KEY' } } });
    await prisma.secret.update({ where: { id: b.id }, data: { ciphertext: a.ciphertext, version: a.version } });
    await expect(readSecrets(hub.db, hub.hub.vault, orgB.id, ['STRIPE_KEY'])).rejects.toThrow(/failed authentication/);
    await prisma.secret.update({ where: { id: b.id }, data: { ciphertext: b.ciphertext, version: b.version } });
    expect(await readSecrets(hub.db, hub.hub.vault, orgB.id, ['STRIPE_KEY'])).toEqual({ STRIPE_KEY: B_VALUE });
  });

  it('deletes a secret with its versions, then NOT_FOUND for it', async () => {
    const secretId = (await hub.db.prisma.secret.findUniqueOrThrow({ where: { orgId_name: { orgId: orgA.id, name: 'STRIPE_KEY' } } })).id;
    expect(await hub.db.prisma.secretVersion.count({ where: { secretId } })).toBe(2);

    const { deleteSecret } = await ok(gql(DeleteSecret, { name: 'STRIPE_KEY' }, orgA.tokens.ADMIN));
    expect(deleteSecret).toBe(true);
    expect(await hub.db.prisma.secretVersion.count({ where: { secretId } })).toBe(0);
    const { secrets } = await ok(gql(ListSecrets, {}, orgA.tokens.ADMIN));
    expect(secrets.map((s) => s.name)).toEqual(['_other_1']);
    await expect(readSecrets(hub.db, hub.hub.vault, orgA.id, ['STRIPE_KEY'])).rejects.toThrow('Unknown secret "STRIPE_KEY"');

    const again = await gql(DeleteSecret, { name: 'STRIPE_KEY' }, orgA.tokens.ADMIN);
    expect(again.errors?.[0]).toMatchObject({ message: 'Secret "STRIPE_KEY" not found', extensions: { code: 'NOT_FOUND' } });
    // B's secret of the same name is untouched.
    expect(await readSecrets(hub.db, hub.hub.vault, orgB.id, ['STRIPE_KEY'])).toEqual({ STRIPE_KEY: B_VALUE });

    // Set again after delete: a new secret, version 1 again.
    const { setSecret } = await ok(gql(SetSecret, { name: 'STRIPE_KEY', value: VALUE_1 }, orgA.tokens.ADMIN));
    expect(setSecret.version).toBe(1);
  });

  it('records secret.set / secret.deleted activity with the name and version only', async () => {
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: orgA.id, type: { startsWith: 'secret.' } }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
    const stripe = events.filter((e) => (e.data as { name?: string } | null)?.name === 'STRIPE_KEY');
    expect(stripe.map((e) => [e.type, e.data])).toEqual([
      ['secret.set', { name: 'STRIPE_KEY', version: 1 }],
      ['secret.set', { name: 'STRIPE_KEY', version: 2 }],
      ['secret.deleted', { name: 'STRIPE_KEY', version: 2 }],
      ['secret.set', { name: 'STRIPE_KEY', version: 1 }],
    ]);
    for (const event of events) expect(Object.keys(event.data as object).sort()).toEqual(['name', 'version']);
  });
});

describe('the value never leaves the vault in clear', () => {
  it('is in no GraphQL response', () => {
    expect(responses.length).toBeGreaterThan(10);
    const text = JSON.stringify(responses);
    for (const value of ALL_VALUES) expect(text).not.toContain(value);
  });

  it('is in no log line', () => {
    expect(hub.logs.length).toBeGreaterThan(0);
    const text = hub.logs.join('\n');
    for (const value of [...ALL_VALUES, 'hijacked']) expect(text).not.toContain(value);
  });

  it('is in no activity event', async () => {
    const events = await hub.db.prisma.activityEvent.findMany({ where: { orgId: { in: [orgA.id, orgB.id] } } });
    expect(events.length).toBeGreaterThan(0);
    const text = JSON.stringify(events);
    for (const value of ALL_VALUES) expect(text).not.toContain(value);
  });

  it('is stored only as vault ciphertext', async () => {
    const { prisma } = hub.db;
    const secrets = await prisma.secret.findMany({ where: { orgId: { in: [orgA.id, orgB.id] } }, include: { versions: true } });
    expect(secrets.length).toBeGreaterThan(0);
    const text = JSON.stringify(secrets);
    for (const value of ALL_VALUES) {
      expect(text).not.toContain(value);
      expect(text).not.toContain(Buffer.from(value).toString('base64'));
      expect(text).not.toContain(Buffer.from(value).toString('base64url'));
    }
    for (const row of [...secrets, ...secrets.flatMap((s) => s.versions)]) {
      expect(row.ciphertext).toMatch(/^pbv1\.sec1\./);
      expect(hub.hub.vault.keyIdOf(row.ciphertext)).toBe('sec1');
    }
    // And through the raw tables too (nothing else holds it).
    const raw = await prisma.$queryRaw<Array<{ t: string }>>`SELECT row_to_json(s)::text AS t FROM "Secret" s WHERE s."orgId" IN (${orgA.id}, ${orgB.id})`;
    for (const value of ALL_VALUES) expect(raw.map((r) => r.t).join('\n')).not.toContain(value);
  });
});
