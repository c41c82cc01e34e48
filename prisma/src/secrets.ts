// An organization's named secrets ({{ secrets.NAME }} in templates). The value is write-only:
// it is stored only as vault ciphertext, bound to (org, name, version), and every value a
// secret has had is kept (still encrypted) as a SecretVersion. Nothing here logs or returns a
// value except readSecrets, which the worker calls to render templates.
import { Prisma } from '../generated/client/client.ts';
import type { Database } from './index.ts';
import { vaultContext, type Vault } from './vault.ts';

/** A secret's name: an identifier, so `{{ secrets.NAME }}` parses without quoting. */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_SECRET_NAME_LENGTH = 100;
/** The largest value, in UTF-8 bytes (64 KiB). */
export const MAX_SECRET_VALUE_BYTES = 64 * 1024;

/** What may be shown about a secret: never its value. */
export interface SecretInfo {
  name: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface SecretVersionInfo {
  version: number;
  createdAt: Date;
}

/** Raised by readSecrets when a template names secrets the organization does not have. */
export class UnknownSecretError extends Error {
  override name = 'UnknownSecretError';
  constructor(readonly names: string[]) {
    super(
      names.length === 1
        ? `Unknown secret "${names[0]}"`
        : `Unknown secrets ${names.map((n) => `"${n}"`).join(', ')}`,
    );
  }
}

/** Raised when a name or value breaks the rules above (the API validates first; this is the backstop). */
export class InvalidSecretError extends Error {
  override name = 'InvalidSecretError';
}

/** The problems with a name/value pair, empty when both are fine. Never quotes the value. */
export function secretProblems(name: string, value?: string): Array<{ path: 'name' | 'value'; message: string }> {
  const problems: Array<{ path: 'name' | 'value'; message: string }> = [];
  if (name.length > MAX_SECRET_NAME_LENGTH) problems.push({ path: 'name', message: `at most ${MAX_SECRET_NAME_LENGTH} characters` });
  if (!SECRET_NAME_PATTERN.test(name)) {
    problems.push({ path: 'name', message: 'must start with a letter or underscore and contain only letters, digits and underscores' });
  }
  if (value !== undefined) {
    if (value.length === 0) problems.push({ path: 'value', message: 'must not be empty' });
    else if (Buffer.byteLength(value, 'utf8') > MAX_SECRET_VALUE_BYTES) {
      problems.push({ path: 'value', message: `at most ${MAX_SECRET_VALUE_BYTES} bytes (64 KiB)` });
    }
  }
  return problems;
}

const infoSelect = { name: true, version: true, createdAt: true, updatedAt: true } as const;
const MAX_ATTEMPTS = 8;

const isPrismaError = (err: unknown, code: string) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === code;

/**
 * Creates the secret (version 1) or stores a new value as the next version. The Secret row and
 * its SecretVersion row are written in one transaction; concurrent writers of the same name each
 * get their own version (the Secret row is locked while the next version is written).
 */
export async function writeSecret(db: Database, vault: Vault, orgId: string, name: string, value: string): Promise<SecretInfo> {
  const problems = secretProblems(name, value);
  if (problems.length) throw new InvalidSecretError(`Invalid secret: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const seal = (version: number) => vault.encrypt(value, vaultContext.secret(orgId, name, version));

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      return await db.prisma.$transaction(async (tx) => {
        // The row lock makes concurrent writers of one name take their turns: each sees the
        // version the previous one stored (a read-then-update would let two take the same).
        const [current] = await tx.$queryRaw<Array<{ id: string; version: number }>>`
          SELECT "id", "version" FROM "Secret" WHERE "orgId" = ${orgId} AND "name" = ${name} FOR UPDATE`;
        if (!current) {
          return tx.secret.create({
            data: { orgId, name, version: 1, ciphertext: seal(1), versions: { create: { version: 1, ciphertext: seal(1) } } },
            select: infoSelect,
          });
        }
        const version = current.version + 1;
        return tx.secret.update({
          where: { id: current.id },
          data: { version, ciphertext: seal(version), versions: { create: { version, ciphertext: seal(version) } } },
          select: infoSelect,
        });
      });
    } catch (err) {
      // P2002: a concurrent writer created the name first; P2025: the secret was deleted meanwhile.
      // Look again and retry.
      // P2034: PostgreSQL aborted the nested write as a conflict or deadlock; same remedy.
      if (isPrismaError(err, 'P2002') || isPrismaError(err, 'P2025') || isPrismaError(err, 'P2034')) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * (attempt + 1)));
        continue;
      }
      throw err;
    }
  }
  throw new Error(`Secret "${name}" is being changed concurrently; try again`);
}

/** Deletes the secret and every stored version of it. False when there was no such secret. */
export async function removeSecret(db: Database, orgId: string, name: string): Promise<boolean> {
  const [, deleted] = await db.prisma.$transaction([
    // Versions go with the secret (ON DELETE CASCADE); deleted explicitly as well so this holds
    // even if the relation's cascade is ever changed.
    db.prisma.secretVersion.deleteMany({ where: { secret: { orgId, name } } }),
    db.prisma.secret.deleteMany({ where: { orgId, name } }),
  ]);
  return deleted.count > 0;
}

/**
 * The current values of `names`, for rendering `{{ secrets.NAME }}`. Throws UnknownSecretError
 * naming every name the organization does not have (nothing is returned in that case).
 */
export async function readSecrets(db: Database, vault: Vault, orgId: string, names: string[]): Promise<Record<string, string>> {
  const wanted = [...new Set(names)];
  if (wanted.length === 0) return {};
  const rows = await db.prisma.secret.findMany({
    where: { orgId, name: { in: wanted } },
    select: { name: true, version: true, ciphertext: true },
  });
  const byName = new Map(rows.map((row) => [row.name, row]));
  const unknown = wanted.filter((name) => !byName.has(name));
  if (unknown.length) throw new UnknownSecretError(unknown);
  const values: Record<string, string> = {};
  for (const name of wanted) {
    const row = byName.get(name)!;
    values[name] = vault.decrypt(row.ciphertext, vaultContext.secret(orgId, name, row.version));
  }
  return values;
}

/** The organization's secrets by name (never values). */
export async function listSecrets(db: Database, orgId: string): Promise<SecretInfo[]> {
  return db.prisma.secret.findMany({ where: { orgId }, select: infoSelect, orderBy: { name: 'asc' } });
}

/** A secret's stored versions, newest first (never values); empty when there is no such secret. */
export async function listSecretVersions(db: Database, orgId: string, name: string): Promise<SecretVersionInfo[]> {
  return db.prisma.secretVersion.findMany({
    where: { secret: { orgId, name } },
    select: { version: true, createdAt: true },
    orderBy: { version: 'desc' },
  });
}
