// Key rotation covers the OAuth ciphertexts (OAuthApp.clientSecret, OAuthState.codeVerifier)
// with the same associated-data labels the OAuth code writes them with. Runs on a private
// in-memory PGlite database: rotating a shared PostgreSQL would re-key other test files' rows.
import { randomBytes } from 'node:crypto';
import { migrationTargetOf, openDatabase, type Database } from '@patchbay/db';
import { applyMigrations } from '@patchbay/db/migrate';
import { rotateKeys } from '@patchbay/db/rotate';
import { createVault, parseKeyRing } from '@patchbay/db/vault';
import { oauthVaultContext } from '@patchbay/workflows/oauth';
import { afterAll, beforeAll, expect, it } from 'vitest';

const keyA = `oaA:${randomBytes(32).toString('base64')}`;
const keyB = `oaB:${randomBytes(32).toString('base64')}`;
const ringA = createVault(parseKeyRing(keyA));
const ringBA = createVault(parseKeyRing(`${keyB},${keyA}`));
const ringB = createVault(parseKeyRing(keyB));
let db: Database;

beforeAll(async () => {
  db = await openDatabase({ kind: 'pglite' });
  await applyMigrations(migrationTargetOf(db));
});
afterAll(() => db?.close());

it('keys rotate re-encrypts OAuth app secrets and PKCE verifiers, and they still decrypt where they are used', async () => {
  const { prisma } = db;
  const org = await prisma.organization.create({ data: { slug: 'rotate-oauth', name: 'Rotate OAuth' } });
  const app = await prisma.oAuthApp.create({ data: { orgId: org.id, integrationKey: 'oauth2', clientId: 'client', clientSecret: '' } });
  const sealed = await prisma.oAuthApp.update({ where: { id: app.id }, data: { clientSecret: ringA.encrypt('the-client-secret', oauthVaultContext.app(app.id)) } });
  const connection = await prisma.connection.create({ data: { orgId: org.id, integrationKey: 'oauth2', name: 'c', authMode: 'OAUTH2' } });
  const state = await prisma.oAuthState.create({
    data: { stateHash: 'h', orgId: org.id, connectionId: connection.id, codeVerifier: '', expiresAt: new Date(Date.now() + 60_000) },
  });
  await prisma.oAuthState.update({ where: { id: state.id }, data: { codeVerifier: ringA.encrypt('the-verifier', oauthVaultContext.state(state.id)) } });

  const result = await rotateKeys(db, ringBA);
  expect(result).toMatchObject({ oauthApps: 1, oauthStates: 1, skipped: 0 });

  const appAfter = await prisma.oAuthApp.findUniqueOrThrow({ where: { id: app.id } });
  const stateAfter = await prisma.oAuthState.findUniqueOrThrow({ where: { id: state.id } });
  expect(ringB.decrypt(appAfter.clientSecret, oauthVaultContext.app(app.id))).toBe('the-client-secret');
  expect(ringB.decrypt(stateAfter.codeVerifier, oauthVaultContext.state(state.id))).toBe('the-verifier');
  expect(appAfter.updatedAt).toEqual(sealed.updatedAt); // rotation is not a change of value
  expect(await rotateKeys(db, ringBA)).toMatchObject({ oauthApps: 0, oauthStates: 0 });
});
