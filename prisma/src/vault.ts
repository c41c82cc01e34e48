// The credential vault: AES-256-GCM with a key ring. Every ciphertext names the key that made
// it (so keys rotate without downtime) and is bound to where it is stored (associated data,
// e.g. "connection:<id>"), so a ciphertext copied to another row does not decrypt.
// Format: pbv1.<kid>.<iv>.<tag>.<ciphertext>, base64url parts.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const PREFIX = 'pbv1';
const KEY_BYTES = 32;
const IV_BYTES = 12;

export class VaultError extends Error {
  override name = 'VaultError';
}

export interface KeyRing {
  /** The key id new ciphertexts are made with (the first in PATCHBAY_ENCRYPTION_KEYS). */
  activeKid: string;
  keys: Map<string, Buffer>;
}

/** Parses `kid:base64key,kid:base64key` (first = active). */
export function parseKeyRing(spec: string): KeyRing {
  const keys = new Map<string, Buffer>();
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const [kid, b64] = entry.split(':');
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!kid || !/^[A-Za-z0-9_-]+$/.test(kid) || key.length !== KEY_BYTES) {
      throw new VaultError(`PATCHBAY_ENCRYPTION_KEYS entry "${kid ?? ''}:…" must be kid:base64 of ${KEY_BYTES} bytes`);
    }
    if (keys.has(kid)) throw new VaultError(`PATCHBAY_ENCRYPTION_KEYS names key "${kid}" twice`);
    keys.set(kid, key);
  }
  const activeKid = keys.keys().next().value;
  if (!activeKid) throw new VaultError('PATCHBAY_ENCRYPTION_KEYS is empty');
  return { activeKid, keys };
}

export function generateKeySpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * The key ring from PATCHBAY_ENCRYPTION_KEYS. In development, when it is unset, a key is
 * generated once into `<dataDir>/encryption-keys` (with a warning); in production it is required.
 */
export function loadKeyRing(options: { spec?: string; production: boolean; dataDir: string; warn?: (msg: string) => void }): KeyRing {
  if (options.spec) return parseKeyRing(options.spec);
  if (options.production) throw new VaultError('PATCHBAY_ENCRYPTION_KEYS must be set when NODE_ENV=production');
  const file = path.join(options.dataDir, 'encryption-keys');
  if (!existsSync(file)) {
    mkdirSync(options.dataDir, { recursive: true });
    try {
      // Exclusive create: when two processes start at once, one key wins and both read it.
      writeFileSync(file, `${generateKeySpec('dev1')}\n`, { mode: 0o600, flag: 'wx' });
      options.warn?.(`PATCHBAY_ENCRYPTION_KEYS is not set: generated a development key in ${file}. Set the variable in production.`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseKeyRing(readFileSync(file, 'utf8').trim());
}

export interface Vault {
  readonly activeKid: string;
  encrypt(plaintext: string, context: string): string;
  decrypt(ciphertext: string, context: string): string;
  encryptJson(value: unknown, context: string): string;
  decryptJson<T = unknown>(ciphertext: string, context: string): T;
  /** The key id a ciphertext was made with. */
  keyIdOf(ciphertext: string): string;
}

export function createVault(ring: KeyRing): Vault {
  const keyFor = (kid: string) => {
    const key = ring.keys.get(kid);
    if (!key) throw new VaultError(`No key "${kid}" in PATCHBAY_ENCRYPTION_KEYS: it is needed to decrypt this value (run \`keys rotate\` before removing a key)`);
    return key;
  };
  const vault: Vault = {
    activeKid: ring.activeKid,
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyFor(ring.activeKid), iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [PREFIX, ring.activeKid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
    },
    decrypt(ciphertext, context) {
      const parts = ciphertext.split('.');
      if (parts.length !== 5 || parts[0] !== PREFIX) throw new VaultError('Not a Patchbay vault ciphertext');
      const [, kid, iv, tag, ct] = parts as [string, string, string, string, string];
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyFor(kid), Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
      } catch (err) {
        if (err instanceof VaultError) throw err;
        throw new VaultError('Ciphertext failed authentication: it was altered, or belongs to another record');
      }
    },
    encryptJson: (value, context) => vault.encrypt(JSON.stringify(value), context),
    decryptJson: <T>(ciphertext: string, context: string) => JSON.parse(vault.decrypt(ciphertext, context)) as T,
    keyIdOf(ciphertext) {
      const kid = ciphertext.split('.')[1];
      if (!ciphertext.startsWith(`${PREFIX}.`) || !kid) throw new VaultError('Not a Patchbay vault ciphertext');
      return kid;
    },
  };
  return vault;
}

/** Associated-data labels: a ciphertext only decrypts in the row it was made for. */
export const vaultContext = {
  connection: (id: string) => `connection:${id}`,
  secret: (orgId: string, name: string, version: number) => `secret:${orgId}:${name}:${version}`,
  /** A run's user.metadata (PASSTHROUGH tokens). */
  runUser: (runId: string) => `run-user:${runId}`,
};
