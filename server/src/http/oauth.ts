// GET /oauth/callback: where providers send the user back after consent. The outcome goes to
// the app's redirectUrl (302 with connection_id and status) or, for popup flows, to
// window.opener; failures get a 400 page with the reason. Nothing secret is logged or shown:
// messages come from services/oauth.ts, which never includes codes, tokens or states.
import type http from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { Hub } from '../context.ts';
import { completeOAuthCallback } from '../services/oauth.ts';
import { sendPage, sendRedirect } from './oauth-pages.ts';

export async function handleOAuthCallback(hub: Hub, req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<boolean> {
  // GET only: a HEAD (link prefetchers) must not spend the single-use state.
  if (req.method !== 'GET') {
    res.statusCode = 405;
    res.setHeader('allow', 'GET');
    res.end();
    return true;
  }
  const outcome = await completeOAuthCallback(hub, url.searchParams);
  const connectionId = outcome.connectionId ? encodeGlobalID('Connection', outcome.connectionId) : null;
  const status = outcome.ok ? 'ACTIVE' : 'ERROR';
  // The page's message goes only to the hub's own origin: without a redirectUrl there is no other origin we know the app at.
  const targetOrigin = new URL(hub.config.publicUrl).origin;

  if (outcome.ok) {
    hub.logger.info({ connectionId: outcome.connectionId }, 'OAuth connection completed');
    if (outcome.redirectUrl) {
      sendRedirect(res, withResult(outcome.redirectUrl, connectionId!, status));
    } else {
      sendPage(res, 200, {
        title: 'Connected',
        message: 'The account is connected. You can close this window.',
        post: { connectionId: connectionId!, status, targetOrigin },
        close: true,
      });
    }
    return true;
  }

  hub.logger.warn({ connectionId: outcome.connectionId, reason: outcome.message }, 'OAuth callback failed');
  sendPage(res, 400, {
    title: 'Could not connect the account',
    message: outcome.message,
    post: connectionId && !outcome.redirectUrl ? { connectionId, status, targetOrigin } : undefined,
    backUrl: connectionId && outcome.redirectUrl ? withResult(outcome.redirectUrl, connectionId, status) : undefined,
  });
  return true;
}

/** The app's redirect URL with `connection_id` and `status` added to its own query. */
export function withResult(redirectUrl: string, connectionId: string, status: string): string {
  const target = new URL(redirectUrl);
  target.searchParams.set('connection_id', connectionId);
  target.searchParams.set('status', status);
  return target.toString();
}
