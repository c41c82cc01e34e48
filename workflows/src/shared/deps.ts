// What activities need from the process hosting the worker.
import type { Database } from '@patchbay/db';
import type { Vault } from '@patchbay/db/vault';
import type { PluginRegistry } from './plugin-registry.ts';

/** The slice of pino's interface the worker uses, so any pino logger fits. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ActivityDeps {
  db: Database;
  plugins: PluginRegistry;
  vault: Vault;
  logger: Log;
  /** PATCHBAY_ALLOW_PRIVATE_NETWORK: requests to private/loopback/link-local addresses are refused unless true. */
  allowPrivateNetwork?: boolean;
  /** PUBLIC_URL: how providers reach this hub (trigger handlers see the URL they called). */
  publicUrl?: string;
}
