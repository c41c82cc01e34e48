// Organization secrets: set (new version), delete, list. Values go into the vault and never
// come back out through the API; activity events carry the name and version only.
import { recordActivity, type Database } from '@patchbay/db';
import { listSecrets, removeSecret, writeSecret, type SecretInfo } from '@patchbay/db/secrets';
import type { Vault } from '@patchbay/db/vault';
import { notFound } from '../errors.ts';
import type { Auth } from './tokens.ts';

export interface SecretsDeps {
  db: Database;
  vault: Vault;
}

export async function setSecret({ db, vault }: SecretsDeps, auth: Auth, name: string, value: string): Promise<SecretInfo> {
  const secret = await writeSecret(db, vault, auth.orgId, name, value);
  await recordActivity(db, {
    orgId: auth.orgId,
    type: 'secret.set',
    message: secret.version === 1 ? `Secret ${name} created` : `Secret ${name} updated to version ${secret.version}`,
    data: { name, version: secret.version },
  });
  return secret;
}

/** Deletes a secret with all its versions. An unknown name is NOT_FOUND. */
export async function deleteSecret({ db }: SecretsDeps, auth: Auth, name: string): Promise<true> {
  const existing = await db.prisma.secret.findUnique({ where: { orgId_name: { orgId: auth.orgId, name } }, select: { version: true } });
  if (!existing || !(await removeSecret(db, auth.orgId, name))) throw notFound(`Secret "${name}"`);
  await recordActivity(db, {
    orgId: auth.orgId,
    type: 'secret.deleted',
    message: `Secret ${name} deleted`,
    data: { name, version: existing.version },
  });
  return true;
}

export { listSecrets };
