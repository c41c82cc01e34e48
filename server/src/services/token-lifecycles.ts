// Every OAuth connection with tokens has its token workflow running. Connections made before
// the workflow existed (or whose workflow was terminated by an operator) get one when an api
// process starts: startConnectionTokens keeps a running workflow (USE_EXISTING), so this is
// harmless to repeat, and it runs in the background so start-up never waits on it.
import { startConnectionTokens } from '@patchbay/workflows';
import type { Hub } from '../context.ts';

const PAGE = 200;

/** Starts the token workflow of every ACTIVE OAuth connection that holds its own tokens; returns how many were checked. */
export async function ensureTokenWorkflows(hub: Hub): Promise<number> {
  let after: string | undefined;
  let checked = 0;
  for (;;) {
    const page = await hub.db.prisma.connection.findMany({
      where: {
        authMode: { in: ['OAUTH2', 'OAUTH2_CLIENT_CREDENTIALS'] },
        status: 'ACTIVE',
        tokenStrategy: 'SERVICE_ACCOUNT',
        credentials: { not: null },
        ...(after ? { id: { gt: after } } : {}),
      },
      select: { id: true, orgId: true },
      orderBy: { id: 'asc' },
      take: PAGE,
    });
    for (const connection of page) await startConnectionTokens(hub.temporal, connection);
    checked += page.length;
    if (page.length < PAGE) return checked;
    after = page.at(-1)!.id;
  }
}
