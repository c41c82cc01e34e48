// One per OAuth connection (`connection-tokens/<connectionId>`): keeps its token fresh. It is
// the only code path that refreshes, so concurrent actions never race on a refresh token:
// they signal `refreshNow` and wait for the row to change (see requestRefreshAndWait).
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConnectionTokenActivities } from '../activities/connection-tokens.ts';
import type { ConnectionTokensInput, ConnectionTokensState, RefreshRequest } from '../shared/names.ts';
import { failureMessage } from './common.ts';

export const refreshNowSignal = defineSignal<[RefreshRequest?]>('refreshNow');
export const stopSignal = defineSignal('stop');
export const lastRefreshQuery = defineQuery<ConnectionTokensState>('lastRefresh');

export const DEFAULT_MAX_CYCLES = 50;
const MARGIN_MS = 5 * 60_000;

// Reads of our own database: quick and idempotent.
const store = proxyActivities<ConnectionTokenActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

// The provider call: an unreachable token endpoint is retried with backoff (5 s … 5 min, 6
// attempts, ~15 min in all, unless the input says otherwise); a refusal is an answer, not an
// error (the row is EXPIRED). When the retries run out, the connection is EXPIRED too.
const DEFAULT_REFRESH_RETRY = { initialIntervalMs: 5_000, maximumAttempts: 6 };

function refresherWith(retry: NonNullable<ConnectionTokensInput['refreshRetry']>) {
  return proxyActivities<ConnectionTokenActivities>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: retry.initialIntervalMs, backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: retry.maximumAttempts, nonRetryableErrorTypes: ['OAuthSetupError'] },
  });
}

export type ConnectionTokensResult = { status: 'STOPPED' | 'EXPIRED' | 'GONE' };

export async function connectionTokensWorkflow(input: ConnectionTokensInput): Promise<ConnectionTokensResult> {
  const { orgId, connectionId } = input;
  const maxCycles = input.maxCycles ?? DEFAULT_MAX_CYCLES;
  const refresher = refresherWith(input.refreshRetry ?? DEFAULT_REFRESH_RETRY);
  const state: ConnectionTokensState = { refreshes: input.totalRefreshes ?? 0, lastRefreshAt: null, lastOutcome: null };
  let stamp = input.tokenStamp ?? null;
  let forced = input.refreshPending ?? false;
  let pendingSeen: string | null = null;
  let stopped = false;

  // Coalescing: a request naming a token older than the one the last refresh stored is about a
  // token already replaced, so it is dropped; a burst of 401s on one token = one refresh.
  setHandler(refreshNowSignal, (request) => {
    if (!request?.seen) forced = true;
    else if (pendingSeen === null || request.seen > pendingSeen) pendingSeen = request.seen;
  });
  setHandler(stopSignal, () => void (stopped = true));
  setHandler(lastRefreshQuery, () => state);
  const wanted = () => forced || (pendingSeen !== null && (stamp === null || pendingSeen >= stamp));

  for (let cycle = 0; cycle < maxCycles; cycle++) {
    const current = await store.readConnectionTokenState(orgId, connectionId);
    if (stopped) return { status: 'STOPPED' };
    if (!current || current.status === 'PENDING' || current.status === 'REVOKED') return { status: 'GONE' };
    // EXPIRED: nothing to keep fresh, unless someone asked for a retry (refreshConnection).
    if (current.status === 'EXPIRED' && !forced) return { status: 'EXPIRED' };
    stamp = current.stamp;

    const delay = refreshDelayMs(current.expiresAt, current.stamp, connectionId, Date.now());
    if (delay === null) await condition(() => stopped || wanted());
    else if (delay > 0) await condition(() => stopped || wanted(), delay);
    if (stopped) return { status: 'STOPPED' };

    forced = false;
    let outcome;
    try {
      outcome = await refresher.refreshConnectionToken(orgId, connectionId);
    } catch (err) {
      const message = failureMessage(err, 'refresh failed');
      await store.markConnectionTokensExpired(orgId, connectionId, `The token could not be renewed: ${message}`);
      return { status: 'EXPIRED' };
    }
    state.refreshes++;
    state.lastRefreshAt = new Date(Date.now()).toISOString();
    state.lastOutcome = outcome.refreshed ? 'refreshed' : 'expired';
    if (!outcome.refreshed) return { status: 'EXPIRED' };
    stamp = outcome.stamp;
    if (stopped) return { status: 'STOPPED' };
    if (workflowInfo().continueAsNewSuggested) break;
  }
  // History stays bounded: a fresh run carries the stamp and any request not yet served.
  return continueAsNew<typeof connectionTokensWorkflow>({
    orgId,
    connectionId,
    maxCycles: input.maxCycles,
    refreshRetry: input.refreshRetry,
    totalRefreshes: state.refreshes,
    tokenStamp: stamp,
    refreshPending: wanted(),
  });
}

/**
 * When to refresh: `margin` before expiry — 5 min, or 10 % of the lifetime for short-lived
 * tokens — shifted by up to ±10 % of the margin, derived from the connection id so replays are
 * deterministic and many connections made at once do not refresh in the same second.
 * null: no expiry known (only signals refresh).
 */
export function refreshDelayMs(expiresAt: string | null, issuedAt: string, connectionId: string, now: number): number | null {
  if (!expiresAt) return null;
  const expiry = Date.parse(expiresAt);
  const lifetime = Math.max(0, expiry - Date.parse(issuedAt));
  const margin = Math.min(MARGIN_MS, lifetime / 10);
  const jitter = (spread(connectionId) * 2 - 1) * margin * 0.1;
  return Math.max(0, Math.round(expiry - margin + jitter - now));
}

/** A stable number in [0, 1) from a string (FNV-1a). */
function spread(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193);
  return (hash >>> 0) / 2 ** 32;
}
