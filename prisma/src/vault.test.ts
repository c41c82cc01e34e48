// The credential vault: AES-256-GCM round trips, binding to a row, tamper detection, key ids
// and the key ring's configuration rules.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createVault, generateKeySpec, loadKeyRing, parseKeyRing, vaultContext, VaultError } from './vault.ts';

const entry = (kid: string) => `${kid}:${randomBytes(32).toString('base64')}`;
const ctx = vaultContext.connection('conn_1');

describe('vault', () => {
  const vault = createVault(parseKeyRing(`${entry('k1')},${entry('k0')}`));

  it('round-trips text and JSON, with a fresh IV every time', () => {
    const ct = vault.encrypt('xoxb-very-secret', ctx);
    expect(ct).toMatch(/^pbv1\.k1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(ct).not.toContain('very-secret');
    expect(vault.decrypt(ct, ctx)).toBe('xoxb-very-secret');
    expect(vault.encrypt('xoxb-very-secret', ctx)).not.toBe(ct);

    const json = { apiKey: 'sk_live_123', nested: { list: [1, 'two', null] }, unicode: 'ключ 🔑' };
    expect(vault.decryptJson(vault.encryptJson(json, ctx), ctx)).toEqual(json);
    expect(vault.decrypt(vault.encrypt('', ctx), ctx)).toBe('');
  });

  it('names the key a ciphertext was made with', () => {
    expect(vault.activeKid).toBe('k1');
    expect(vault.keyIdOf(vault.encrypt('x', ctx))).toBe('k1');
    expect(() => vault.keyIdOf('plain text')).toThrow(VaultError);
  });

  it('does not decrypt a ciphertext in another context (copied to another row)', () => {
    const ct = vault.encrypt('secret', vaultContext.connection('conn_1'));
    expect(() => vault.decrypt(ct, vaultContext.connection('conn_2'))).toThrow(/failed authentication/);
    const secretCt = vault.encrypt('secret', vaultContext.secret('org_1', 'API_KEY', 1));
    for (const other of [vaultContext.secret('org_2', 'API_KEY', 1), vaultContext.secret('org_1', 'OTHER', 1), vaultContext.secret('org_1', 'API_KEY', 2)]) {
      expect(() => vault.decrypt(secretCt, other)).toThrow(VaultError);
    }
  });

  it('rejects any altered byte with "failed authentication", never garbage', () => {
    const ct = vault.encrypt('the original value', ctx);
    const parts = ct.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      for (const position of [0, bytes.length - 1]) {
        const flipped = Buffer.from(bytes);
        flipped[position]! ^= 0x01;
        const altered = [...parts];
        altered[index] = flipped.toString('base64url');
        let caught: unknown;
        try {
          vault.decrypt(altered.join('.'), ctx);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(VaultError);
        expect((caught as Error).message).toMatch(/failed authentication/);
      }
    }
    expect(() => vault.decrypt('not.a.vault.value', ctx)).toThrow(/Not a Patchbay vault ciphertext/);
  });

  it('names a missing key when a ciphertext needs it', () => {
    const old = createVault(parseKeyRing(entry('retired')));
    const ct = old.encrypt('value', ctx);
    expect(() => vault.decrypt(ct, ctx)).toThrow(VaultError);
    expect(() => vault.decrypt(ct, ctx)).toThrow(/No key "retired" in PATCHBAY_ENCRYPTION_KEYS/);
  });

  it('decrypts with every key of the ring and encrypts with the first', () => {
    const k0 = entry('k0');
    const before = createVault(parseKeyRing(k0));
    const ct = before.encrypt('v', ctx);
    const after = createVault(parseKeyRing(`${entry('k1')},${k0}`));
    expect(after.decrypt(ct, ctx)).toBe('v');
    expect(after.keyIdOf(after.encrypt('v', ctx))).toBe('k1');
  });

  it('refuses a key of the same id but different bytes', () => {
    const ct = createVault(parseKeyRing(entry('k1'))).encrypt('v', ctx);
    expect(() => vault.decrypt(ct, ctx)).toThrow(/failed authentication/);
  });
});

describe('parseKeyRing', () => {
  it('parses entries, the first being active, tolerating spaces', () => {
    const ring = parseKeyRing(` ${entry('b')} , ${entry('a')} ,`);
    expect(ring.activeKid).toBe('b');
    expect([...ring.keys.keys()]).toEqual(['b', 'a']);
    expect(ring.keys.get('a')!.length).toBe(32);
  });

  it.each([
    ['', /is empty/],
    [' , ', /is empty/],
    ['k1', /must be kid:base64 of 32 bytes/],
    [`k1:${randomBytes(16).toString('base64')}`, /"k1:…" must be kid:base64 of 32 bytes/],
    [`:${randomBytes(32).toString('base64')}`, /must be kid:base64/],
    [`bad kid:${randomBytes(32).toString('base64')}`, /must be kid:base64/],
    [`k1:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`, /names key "k1" twice/],
  ])('rejects %j', (spec, message) => {
    expect(() => parseKeyRing(spec)).toThrow(VaultError);
    expect(() => parseKeyRing(spec)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const key = randomBytes(16).toString('base64');
    expect(() => parseKeyRing(`k1:${key}`)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(key) }));
  });

  it('accepts what generateKeySpec prints', () => {
    const spec = generateKeySpec('k9');
    expect(spec).toMatch(/^k9:[A-Za-z0-9+/]{43}=$/);
    expect(parseKeyRing(spec).activeKid).toBe('k9');
    expect(generateKeySpec()).toMatch(/^k[0-9a-z]+:/);
  });
});

describe('loadKeyRing', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'patchbay-vault-'));
    dirs.push(dir);
    return path.join(dir, 'data');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('uses the spec when given', () => {
    const dataDir = tempDir();
    const ring = loadKeyRing({ spec: entry('live'), production: true, dataDir });
    expect(ring.activeKid).toBe('live');
  });

  it('generates a development key once, warns, and returns the same key afterwards', () => {
    const dataDir = tempDir();
    const warnings: string[] = [];
    const first = loadKeyRing({ production: false, dataDir, warn: (m) => warnings.push(m) });
    const second = loadKeyRing({ production: false, dataDir, warn: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/generated a development key/);
    expect(first.activeKid).toBe('dev1');
    expect(second.keys.get('dev1')!.equals(first.keys.get('dev1')!)).toBe(true);
    const file = path.join(dataDir, 'encryption-keys');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(readFileSync(file, 'utf8').trim()).toMatch(/^dev1:/);
    // What one process encrypts, the next one decrypts.
    const ct = createVault(first).encrypt('persisted', ctx);
    expect(createVault(loadKeyRing({ production: false, dataDir })).decrypt(ct, ctx)).toBe('persisted');
  });

  it('requires PATCHBAY_ENCRYPTION_KEYS in production and writes no key file', () => {
    const dataDir = tempDir();
    expect(() => loadKeyRing({ production: true, dataDir })).toThrow(VaultError);
    expect(() => loadKeyRing({ production: true, dataDir })).toThrow(/PATCHBAY_ENCRYPTION_KEYS must be set when NODE_ENV=production/);
    expect(() => statSync(path.join(dataDir, 'encryption-keys'))).toThrow();
  });
});
