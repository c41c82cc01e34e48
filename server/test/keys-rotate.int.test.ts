// Key rotation, the operator's path end to end: values written under key A; the ring becomes
// "B,A" (B active) and everything still decrypts; `patchbay keys rotate` runs as a real
// subprocess; then the ring "B" alone decrypts everything and every ciphertext names B.
// Without rotation, the ring "B" alone fails with an error naming key A. Rotation is also
// proven safe against concurrent writes, and idempotent.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrationTargetOf, openDatabase, type Database, type DatabaseTarget } from '@patchbay/db';
import { applyMigrations } from '@patchbay/db/migrate';
import { rotateKeys } from '@patchbay/db/rotate';
import { readSecrets, writeSecret } from '@patchbay/db/secrets';
import { createVault, parseKeyRing, vaultContext, type Vault } from '@patchbay/db/vault';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/config.ts';

const usePostgres = !!process.env.DATABASE_URL;
const keyA = `rotA:${randomBytes(32).toString('base64')}`;
const keyB = `rotB:${randomBytes(32).toString('base64')}`;
const ringA = createVault(parseKeyRing(keyA));
const ringBA = createVault(parseKeyRing(`${keyB},${keyA}`));
const ringB = createVault(parseKeyRing(keyB));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'patchbay-rotate-'));
const target: DatabaseTarget = usePostgres ? { kind: 'postgres', url: process.env.DATABASE_URL! } : { kind: 'pglite', dataDir: path.join(tmp, 'pglite') };
let db: Database;
const orgIds: string[] = [];

async function createOrg(label: string) {
  const slug = `${label}-${randomUUID().slice(0, 8)}`;
  const org = await db.prisma.organization.create({ data: { slug, name: slug } });
  orgIds.push(org.id);
  return org.id;
}

async function createConnection(orgId: string, vault: Vault, credentials: Record<string, string>) {
  const id = `conn_${randomUUID()}`;
  return db.prisma.connection.create({
    data: {
      id, orgId, integrationKey: 'http', name: `rotating ${id}`, authMode: 'API_KEY', status: 'ACTIVE',
      credentials: vault.encryptJson(credentials, vaultContext.connection(id)),
    },
  });
}

/** Every stored ciphertext of one organization, with the context it must decrypt in. */
async function ciphertextsOf(orgId: string) {
  const { prisma } = db;
  const [connections, secrets] = await Promise.all([
    prisma.connection.findMany({ where: { orgId } }),
    prisma.secret.findMany({ where: { orgId }, include: { versions: true } }),
  ]);
  return [
    ...connections.filter((c) => c.credentials).map((c) => ({ ct: c.credentials!, context: vaultContext.connection(c.id) })),
    ...secrets.map((s) => ({ ct: s.ciphertext, context: vaultContext.secret(orgId, s.name, s.version) })),
    ...secrets.flatMap((s) => s.versions.map((v) => ({ ct: v.ciphertext, context: vaultContext.secret(orgId, s.name, v.version) }))),
  ];
}

/**
 * How to start the CLI: through the `patchbay` launcher, as an operator does. The launcher first
 * brings the workspace up to date (pnpm install, prisma generate) when its inputs changed; a
 * test must not do that, so when those steps are not fresh (e.g. vitest started directly while
 * packages are being edited) the CLI entry the launcher would hand over to is started directly.
 */
function cliCommand(): { args: string[]; via: string } {
  const fresh = (name: string, inputs: string[]) => {
    const stamp = path.join(repoRoot, '.data', 'tools', `${name}.stamp`);
    if (!existsSync(stamp)) return false;
    const hash = createHash('sha256');
    for (const file of inputs.map((f) => path.join(repoRoot, f))) hash.update(existsSync(file) ? readFileSync(file) : `missing:${file}`);
    return readFileSync(stamp, 'utf8') === hash.digest('hex');
  };
  const launcherReady =
    fresh('install', ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json', 'server/package.json', 'workflows/package.json', 'prisma/package.json', 'plugins/sdk/package.json']) &&
    fresh('prisma-generate', ['prisma/schema.prisma', 'pnpm-lock.yaml']);
  return launcherReady
    ? { args: [path.join(repoRoot, 'server/bin/patchbay.mjs'), 'keys', 'rotate'], via: 'server/bin/patchbay.mjs' }
    : { args: ['--import', 'tsx', path.join(repoRoot, 'server/src/cli.ts'), 'keys', 'rotate'], via: 'server/src/cli.ts (launcher setup not fresh)' };
}

function runCli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { args, via } = cliCommand();
  console.log(`keys rotate via ${via}`);
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.PGLITE_DATA_DIR;
  delete base.PATCHBAY_ENCRYPTION_KEYS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...base, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  db = await openDatabase(target);
  if (!usePostgres) await applyMigrations(migrationTargetOf(db)); // PostgreSQL: migrated by the global setup
});

afterAll(async () => {
  if (db && usePostgres) await db.prisma.organization.deleteMany({ where: { id: { in: orgIds } } });
  await db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('keys rotate', () => {
  it('moves every credential and secret from key A to key B (acceptance)', async () => {
    const orgId = await createOrg('rotate');
    const apiKey = `key_${randomBytes(8).toString('hex')}`;
    const connection = await createConnection(orgId, ringA, { apiKey });
    await writeSecret(db, ringA, orgId, 'API_TOKEN', 'token-v1');
    await writeSecret(db, ringA, orgId, 'API_TOKEN', 'token-v2');
    await writeSecret(db, ringA, orgId, 'WEBHOOK_SIGNING', 'whsec-1');
    const beforeRotation = await ciphertextsOf(orgId);
    expect(beforeRotation).toHaveLength(6);
    expect(beforeRotation.every(({ ct }) => ringA.keyIdOf(ct) === 'rotA')).toBe(true);

    // Control: the ring "B" alone cannot read A's values, and says which key is missing.
    expect(() => ringB.decryptJson(connection.credentials!, vaultContext.connection(connection.id))).toThrow(
      /No key "rotA" in PATCHBAY_ENCRYPTION_KEYS/,
    );
    await expect(readSecrets(db, ringB, orgId, ['API_TOKEN'])).rejects.toThrow(/No key "rotA"/);

    // Ring "B,A": B is active, A still decrypts; new writes use B.
    expect(ringBA.decryptJson(connection.credentials!, vaultContext.connection(connection.id))).toEqual({ apiKey });
    expect(await readSecrets(db, ringBA, orgId, ['API_TOKEN', 'WEBHOOK_SIGNING'])).toEqual({ API_TOKEN: 'token-v2', WEBHOOK_SIGNING: 'whsec-1' });
    await writeSecret(db, ringBA, orgId, 'WRITTEN_UNDER_B', 'already-b');

    // The operator runs `patchbay keys rotate` with the ring "B,A". PGlite is single-process:
    // the test lets go of the database while the CLI has it.
    if (!usePostgres) await db.close();
    const cli = await runCli({
      PATCHBAY_ENCRYPTION_KEYS: `${keyB},${keyA}`,
      ...(usePostgres ? { DATABASE_URL: process.env.DATABASE_URL! } : { PGLITE_DATA_DIR: (target as { dataDir: string }).dataDir }),
    });
    if (!usePostgres) db = await openDatabase(target);
    expect(cli.code, `${cli.stdout}\n${cli.stderr}`).toBe(0);
    expect(cli.stdout).toContain('Re-encrypting every stored value not made with key "rotB"');
    // On a shared PostgreSQL other test files' values (under their own keys) are skipped, not touched.
    expect(cli.stdout).toMatch(/Rotated 1 connection credential, 2 secrets, 3 secret versions; skipped \d+\./);
    for (const secret of [keyA, keyB, apiKey, 'token-v1', 'token-v2', 'whsec-1']) {
      expect(cli.stdout + cli.stderr).not.toContain(secret.split(':').pop());
    }

    // Now the ring "B" alone reads everything, and every ciphertext names B.
    const after = await ciphertextsOf(orgId);
    expect(after).toHaveLength(8);
    for (const { ct, context } of after) {
      expect(ringB.keyIdOf(ct)).toBe('rotB');
      expect(() => ringB.decrypt(ct, context)).not.toThrow();
    }
    const rotated = await db.prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(ringB.decryptJson(rotated.credentials!, vaultContext.connection(connection.id))).toEqual({ apiKey });
    expect(rotated.updatedAt.toISOString()).toBe(connection.updatedAt.toISOString()); // the value did not change
    expect(await readSecrets(db, ringB, orgId, ['API_TOKEN', 'WEBHOOK_SIGNING', 'WRITTEN_UNDER_B'])).toEqual({
      API_TOKEN: 'token-v2',
      WEBHOOK_SIGNING: 'whsec-1',
      WRITTEN_UNDER_B: 'already-b',
    });
    const history = await db.prisma.secretVersion.findMany({ where: { secret: { orgId, name: 'API_TOKEN' } }, orderBy: { version: 'asc' } });
    expect(history.map((v) => ringB.decrypt(v.ciphertext, vaultContext.secret(orgId, 'API_TOKEN', v.version)))).toEqual(['token-v1', 'token-v2']);

    // Idempotent: nothing left to do.
    const again = await rotateKeys(db, ringBA);
    expect(again).toMatchObject({ connections: 0, secrets: 0, secretVersions: 0 });
  });

  it('skips (and reports) values whose key is not in the ring, touching nothing', async () => {
    const orgId = await createOrg('rotate-skip');
    const stranger = createVault(parseKeyRing(`rotX:${randomBytes(32).toString('base64')}`));
    const connection = await createConnection(orgId, stranger, { apiKey: 'unreachable' });
    const lines: string[] = [];
    const result = await rotateKeys(db, ringBA, { log: (line) => lines.push(line) });
    expect(result.skipped).toBeGreaterThanOrEqual(1);
    expect(lines.join('\n')).toContain(`skipped Connection.credentials ${connection.id}: No key "rotX"`);
    expect(lines.join('\n')).not.toContain('unreachable');
    const row = await db.prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.credentials).toBe(connection.credentials);
    await db.prisma.connection.delete({ where: { id: connection.id } });
  });

  it('is safe while the hub writes: a write that lands mid-rotation wins and ends up under B', async () => {
    const orgId = await createOrg('rotate-race');
    await writeSecret(db, ringA, orgId, 'HOT', 'old');
    // An api process still running with the old ring writes a new value between rotation's read
    // and its write: the optimistic check refuses the stale write, and the newest value is rotated.
    let raced = false;
    const racing: Database = {
      ...db,
      prisma: new Proxy(db.prisma, {
        get(client, prop, receiver) {
          const model = Reflect.get(client, prop, receiver);
          if (prop !== 'secret') return typeof model === 'function' ? model.bind(client) : model;
          return new Proxy(model, {
            get(delegate, method) {
              if (method !== 'updateMany') return Reflect.get(delegate, method);
              return async (args: Parameters<typeof db.prisma.secret.updateMany>[0]) => {
                if (!raced && args?.where?.ciphertext) {
                  raced = true;
                  await writeSecret(db, ringA, orgId, 'HOT', 'newest');
                }
                return delegate.updateMany(args);
              };
            },
          });
        },
      }),
    };
    const result = await rotateKeys(racing, ringBA);
    expect(raced).toBe(true);
    expect(result.secrets).toBeGreaterThanOrEqual(1);
    expect(await readSecrets(db, ringB, orgId, ['HOT'])).toEqual({ HOT: 'newest' });
    for (const { ct, context } of await ciphertextsOf(orgId)) {
      expect(ringB.keyIdOf(ct)).toBe('rotB');
      ringB.decrypt(ct, context);
    }
  });

  it('runs alongside a stream of updates: the newest value wins and decrypts', async () => {
    const orgId = await createOrg('rotate-parallel');
    for (let i = 0; i < 12; i++) await writeSecret(db, ringA, orgId, `S${i}`, `s${i}-a`);
    await createConnection(orgId, ringA, { apiKey: 'parallel' });

    let last = '';
    const writer = (async () => {
      for (let i = 1; i <= 15; i++) {
        last = `hot-${i}`;
        await writeSecret(db, ringBA, orgId, 'S5', last); // the restarted hub writes with B
        await writeSecret(db, ringBA, orgId, `S${i % 12}`, `s${i % 12}-b${i}`);
      }
    })();
    const [result] = await Promise.all([rotateKeys(db, ringBA, { batchSize: 3 }), writer]);
    expect(result.connections).toBeGreaterThanOrEqual(1);

    const values = await readSecrets(db, ringB, orgId, Array.from({ length: 12 }, (_, i) => `S${i}`));
    expect(values.S5).toBe(last);
    expect(values.S5).toBe('hot-15');
    for (const { ct, context } of await ciphertextsOf(orgId)) {
      expect(ringB.keyIdOf(ct)).toBe('rotB');
      ringB.decrypt(ct, context);
    }
    expect(await rotateKeys(db, ringBA)).toMatchObject({ connections: 0, secrets: 0, secretVersions: 0 });
  });
});
