// The operator commands behind `patchbay <command>` (server/bin/patchbay.mjs hands every
// command it does not know itself to this file):
//
//   keys rotate [--batch-size N]   re-encrypt every stored value with the active (first) key
//   keys generate [kid]            print a fresh kid:base64 entry for PATCHBAY_ENCRYPTION_KEYS
//   help                           this text
//
// Exit codes: 0 done, 1 configuration or runtime error (one line), 2 usage error.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase, targetFromEnv } from '@patchbay/db';
import { rotateKeys } from '@patchbay/db/rotate';
import { createVault, generateKeySpec, loadKeyRing, parseKeyRing, VaultError } from '@patchbay/db/vault';
import { ConfigError, loadConfig, repoRoot } from './config.ts';

export const usage = `Usage: patchbay <command>

Commands:
  keys rotate [--batch-size N]  Re-encrypt every stored credential and secret that was not made
                                with the active key (the first entry of PATCHBAY_ENCRYPTION_KEYS).
                                Safe while the hub runs on PostgreSQL; with the embedded PGlite
                                database, stop the hub first (PGlite is single-process).
  keys generate [kid]           Print a fresh kid:base64 key entry and how to use it.
  help                          Show this text.

Rotating keys:
  1. patchbay keys generate k2                  → k2:<base64>
  2. PATCHBAY_ENCRYPTION_KEYS="k2:<base64>,<your current entries>" and restart the hub
     (new values are now written with k2; old ones still decrypt with the old keys)
  3. patchbay keys rotate                       (with the same PATCHBAY_ENCRYPTION_KEYS)
  4. remove the old entries from PATCHBAY_ENCRYPTION_KEYS and restart`;

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
};

/** Runs one command; resolves to the process exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(usage);
    return 0;
  }
  if (command === 'keys' && sub === 'rotate') return keysRotate(rest, io);
  if (command === 'keys' && sub === 'generate') return keysGenerate(rest, io);
  io.err(command ? `Unknown command "${[command, sub].filter(Boolean).join(' ')}"\n` : 'No command given\n');
  io.err(usage);
  return 2;
}

async function keysRotate(args: string[], io: Io): Promise<number> {
  let batchSize: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = arg.startsWith('--batch-size=') ? arg.slice('--batch-size='.length) : arg === '--batch-size' ? args[++i] : null;
    if (value === null || !/^[1-9]\d*$/.test(value ?? '')) {
      io.err(value === null ? `Unknown option "${arg}" for keys rotate\n` : '--batch-size needs a positive whole number\n');
      io.err(usage);
      return 2;
    }
    batchSize = Number(value);
  }

  let config;
  let vault;
  try {
    config = loadConfig(io.env);
    vault = createVault(
      loadKeyRing({
        spec: config.PATCHBAY_ENCRYPTION_KEYS,
        production: config.NODE_ENV === 'production',
        dataDir: path.join(repoRoot, '.data'),
        warn: (msg) => io.err(msg),
      }),
    );
  } catch (err) {
    if (err instanceof ConfigError || err instanceof VaultError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }

  const target = targetFromEnv({ DATABASE_URL: config.DATABASE_URL, PGLITE_DATA_DIR: config.PGLITE_DATA_DIR });
  const where = target.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${target.dataDir}`;
  let db;
  try {
    db = await openDatabase(target);
  } catch (err) {
    io.err(`Could not open the database (${where}): ${oneLine(err)}`);
    return 1;
  }
  try {
    io.out(`Re-encrypting every stored value not made with key "${vault.activeKid}" in ${where}…`);
    const counts = await rotateKeys(db, vault, { batchSize, log: (line) => io.out(`  ${line}`) });
    io.out(
      `Rotated ${plural(counts.connections, 'connection credential')}, ${plural(counts.secrets, 'secret')}, ` +
        `${plural(counts.secretVersions, 'secret version')}; skipped ${counts.skipped}.`,
    );
    if (counts.skipped > 0) {
      io.err(
        `Warning: ${plural(counts.skipped, 'value')} could not be re-encrypted (see above). ` +
          'Keep the keys they need in PATCHBAY_ENCRYPTION_KEYS, or those values become unreadable.',
      );
    } else {
      io.out(`Every stored value is now under key "${vault.activeKid}"; older keys can be removed from PATCHBAY_ENCRYPTION_KEYS.`);
    }
    return 0;
  } catch (err) {
    const missingTables = /does not exist/i.test(String((err as Error)?.message));
    io.err(
      missingTables
        ? `The database (${where}) has no Patchbay tables yet: start the hub once, or run \`patchbay migrate\`.`
        : `Key rotation failed: ${oneLine(err)}`,
    );
    return 1;
  } finally {
    await db.close().catch(() => {});
  }
}

function keysGenerate(args: string[], io: Io): number {
  const [kid, ...extra] = args;
  if (extra.length || (kid !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(kid))) {
    io.err('keys generate takes at most one key id made of letters, digits, "_" and "-" (up to 32 characters)\n');
    io.err(usage);
    return 2;
  }
  const entry = generateKeySpec(kid);
  const newKid = entry.slice(0, entry.indexOf(':'));
  // Only the key ids of the current ring are shown, never their keys.
  let current = '<your current entries>';
  try {
    if (io.env.PATCHBAY_ENCRYPTION_KEYS) {
      const kids = [...parseKeyRing(io.env.PATCHBAY_ENCRYPTION_KEYS).keys.keys()];
      if (kids.includes(newKid)) {
        io.err(`PATCHBAY_ENCRYPTION_KEYS already has a key "${newKid}": choose another key id`);
        return 2;
      }
      current = `<current entries: ${kids.join(', ')}>`;
    }
  } catch {
    // An invalid ring is reported by the commands that use it.
  }
  io.out(entry);
  io.err('');
  io.err(`Prepend it to PATCHBAY_ENCRYPTION_KEYS so it becomes the active key, keeping the old ones after it:`);
  io.err(`  PATCHBAY_ENCRYPTION_KEYS="${newKid}:<the key above>,${current}"`);
  io.err('Restart the hub, run `patchbay keys rotate`, then remove the old entries. Keep the key secret.');
  return 0;
}

function plural(n: number, word: string) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  process.exit(code);
}
