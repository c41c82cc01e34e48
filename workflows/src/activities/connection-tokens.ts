// Activities of the token-lifecycle workflow (workflows/connection-tokens.ts), plus the helper
// an action's AuthError path uses to ask that workflow for a refresh and wait for it to land.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { recordActivity } from '@patchbay/db';
import { OAuthProviderError } from '../runtime/oauth.ts';
import { OAuthSetupError, refreshStoredTokens } from '../runtime/oauth-connections.ts';
import { signalRefreshWith } from '../client.ts';
import type { ActivityDeps } from '../shared/deps.ts';

export interface TokenState {
  status: string;
  authMode: string;
  /** ISO; null when the provider gave no lifetime (then only signals refresh). */
  expiresAt: string | null;
  /** The row's updatedAt (ISO): the "version" of the stored token, see RefreshRequest. */
  stamp: string;
}

export interface RefreshResult {
  refreshed: boolean;
  stamp: string;
  expiresAt: string | null;
}

export function createConnectionTokenActivities(deps: ActivityDeps) {
  const { prisma } = deps.db;
  return {
    /** The connection's token schedule; null once the connection is gone. */
    async readConnectionTokenState(orgId: string, connectionId: string): Promise<TokenState | null> {
      const row = await prisma.connection.findFirst({ where: { id: connectionId, orgId }, select: { status: true, authMode: true, expiresAt: true, updatedAt: true } });
      return row && { status: row.status, authMode: row.authMode, expiresAt: row.expiresAt?.toISOString() ?? null, stamp: row.updatedAt.toISOString() };
    },

    /**
     * One refresh. Unreachable provider: a plain (retryable) failure, so the workflow's retry
     * policy backs off. A refusal: refreshStoredTokens already marked it EXPIRED and recorded
     * connection.expired, so this returns `refreshed: false`. Set-up problems (connection gone,
     * not OAuth) are non-retryable: the workflow ends.
     */
    async refreshConnectionToken(orgId: string, connectionId: string): Promise<RefreshResult> {
      try {
        const outcome = await refreshStoredTokens(deps, orgId, connectionId);
        const row = outcome.connection;
        return { refreshed: outcome.refreshed, stamp: row.updatedAt.toISOString(), expiresAt: row.expiresAt?.toISOString() ?? null };
      } catch (err) {
        if (err instanceof OAuthSetupError) throw ApplicationFailure.nonRetryable(err.message, 'OAuthSetupError');
        // Only the message: an OAuthProviderError's cause could carry a response body.
        if (err instanceof OAuthProviderError) throw ApplicationFailure.retryable(err.message, 'OAuthUnavailable');
        throw err;
      }
    },

    /** Retries ran out on an unreachable provider: the connection cannot be kept fresh. */
    async markConnectionTokensExpired(orgId: string, connectionId: string, message: string): Promise<void> {
      const { count } = await prisma.connection.updateMany({ where: { id: connectionId, orgId, status: { in: ['ACTIVE', 'ERROR'] } }, data: { status: 'EXPIRED', lastError: message } });
      if (!count) return;
      const row = await prisma.connection.findUniqueOrThrow({ where: { id: connectionId } });
      await recordActivity(deps.db, {
        orgId,
        type: 'connection.expired',
        level: 'warn',
        message: `Connection "${row.name}" expired: ${message}`,
        connectionId,
        data: { integrationKey: row.integrationKey, authMode: row.authMode },
      });
    },
  };
}

export type ConnectionTokenActivities = ReturnType<typeof createConnectionTokenActivities>;

const WAIT_FOR_REFRESH_MS = 30_000;
const POLL_EVERY_MS = 250;

/**
 * An action got 401 with the token stamped `seen`. Why signal + poll the row rather than a
 * workflow update: the signal is fire-and-forget and coalesced by `seen` in the workflow, and
 * the database row is the truth every attempt reads anyway; polling it works whether the
 * refresh came from this request, a concurrent one, or the timer. Bounded: after 30 s the
 * caller just rethrows and Temporal's retry policy takes over. True when the token changed.
 */
export async function requestRefreshAndWait(deps: ActivityDeps, client: Client, target: { orgId: string; connectionId: string; seen: string }): Promise<boolean> {
  const ctx = Context.current();
  await signalRefreshWith(client, ctx.info.taskQueue, target, target.seen);
  const deadline = Date.now() + WAIT_FOR_REFRESH_MS;
  while (Date.now() < deadline && !ctx.cancellationSignal.aborted) {
    const row = await deps.db.prisma.connection.findUnique({ where: { id: target.connectionId }, select: { updatedAt: true, status: true } });
    if (!row) return false;
    if (row.updatedAt.toISOString() > target.seen) return row.status === 'ACTIVE';
    ctx.heartbeat();
    await ctx.sleep(POLL_EVERY_MS).catch(() => undefined);
  }
  return false;
}
