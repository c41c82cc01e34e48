// Per-request context, the same for HTTP and graphql-ws: who is calling (from the bearer
// token) and the hub's shared services.
import type { Database } from '@patchbay/db';
import type { Vault } from '@patchbay/db/vault';
import type { PluginRegistry, Temporal } from '@patchbay/workflows';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { authenticate, type Auth } from './services/tokens.ts';

export interface Hub {
  config: Config;
  db: Database;
  logger: Logger;
  temporal: Temporal;
  plugins: PluginRegistry;
  vault: Vault;
  metrics: Metrics;
}

export interface Context {
  hub: Hub;
  auth: Auth | null;
  /** Why `auth` is null, for the UNAUTHENTICATED error. */
  authProblem: string | null;
  requestId: string;
  logger: Logger;
}

export type AuthenticatedContext = Context & { auth: Auth };

export async function createContext(hub: Hub, authorization: string | null | undefined, requestId: string): Promise<Context> {
  const { auth, problem } = await authenticate(hub.db, authorization);
  return {
    hub,
    auth,
    authProblem: problem,
    requestId,
    logger: hub.logger.child({ requestId, orgId: auth?.orgId }),
  };
}
