// GET/POST /connect/:token — the hosted connect page. GET shows the integration and a form per
// way to connect it; POST spends the link and either starts OAuth (303 to the provider's
// consent page; /oauth/callback finishes) or creates the connection from the typed secrets
// (tested first: a rejected key re-shows the form with the reason and keeps the link usable).
// The connection belongs to the link's end user (PER_USER).
import type http from 'node:http';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { AuthMode, ConnectLink } from '@patchbay/db';
import { OAuthSetupError, resolveOAuthApp } from '@patchbay/workflows/oauth-connections';
import type { Hub } from '../context.ts';
import { PatchbayError } from '../errors.ts';
import { createConnection, deleteConnection } from '../services/connections.ts';
import { claimLink, findUsableLink, releaseLink } from '../services/connect-links.ts';
import { startOAuthFlow } from '../services/oauth.ts';
import { sendConnectPage, type ConnectPageOptions } from './connect-pages.ts';
import { withResult } from './oauth.ts';
import { sendPage, sendRedirect } from './oauth-pages.ts';

const MAX_FORM_BYTES = 16 * 1024;

export async function handleConnect(hub: Hub, req: http.IncomingMessage, res: http.ServerResponse, token: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    res.statusCode = 405;
    res.setHeader('allow', 'GET, POST');
    return void res.end();
  }
  const found = await findUsableLink(hub, token);
  if (!found.ok) return sendPage(res, found.status, { title: 'Cannot connect', message: found.message });
  const { link } = found;
  const plugin = hub.plugins.get(link.integrationKey);
  if (!plugin) return sendPage(res, 410, { title: 'Cannot connect', message: `${link.integrationKey} is not available on this hub any more.` });
  const pageOptions: ConnectPageOptions = { oauth: await oauthSignIn(hub, link), ...(link.redirectUrl ? { returnOrigin: new URL(link.redirectUrl).origin } : {}) };
  if (req.method === 'GET') return sendConnectPage(res, plugin, pageOptions);

  const form = await readForm(req);
  if (!form) return sendPage(res, 413, { title: 'Cannot connect', message: 'The form was too large.' });
  const mode = form.get('mode') as AuthMode | null;
  const method = plugin.auth.find((a) => a.mode === mode && a.mode !== 'OAUTH2_CLIENT_CREDENTIALS');
  if (!method) return sendConnectPage(res, plugin, { ...pageOptions, error: 'Choose one of the ways to connect below.' });
  if (!(await claimLink(hub, link))) return sendPage(res, 410, { title: 'Cannot connect', message: 'This connect link was just used. Ask the app for a new one.' });

  const config = (link.config ?? undefined) as Record<string, unknown> | undefined;
  try {
    if (method.mode === 'OAUTH2') {
      const started = await startOAuthFlow(hub, link.orgId, { integrationKey: plugin.key, name: link.name, redirectUrl: link.redirectUrl, config, endUserId: link.endUserId });
      res.statusCode = 303;
      return sendRedirect(res, started.authorizationUrl, 303);
    }
    const credentials: Record<string, string> = {};
    for (const [key, value] of form) if (key.startsWith('credentials.')) credentials[key.slice('credentials.'.length)] = value;
    const connection = await createConnection(hub, link.orgId, { integrationKey: plugin.key, name: link.name, authMode: method.mode, credentials, config, endUserId: link.endUserId });
    if (connection.status !== 'ACTIVE') {
      // Nothing half-made stays behind: the rejected credentials go, the link comes back.
      await deleteConnection(hub, link.orgId, connection.id).catch((err) => hub.logger.warn({ err, connectionId: connection.id }, 'could not remove a failed connect attempt'));
      await releaseLink(hub, link);
      return sendConnectPage(res, plugin, { ...pageOptions, error: `${plugin.displayName} did not accept these credentials: ${connection.lastError ?? 'the test call failed'}` });
    }
    hub.logger.info({ connectionId: connection.id, integrationKey: plugin.key }, 'connected through a connect link');
    const connectionId = encodeGlobalID('Connection', connection.id);
    if (link.redirectUrl) return sendRedirect(res, withResult(link.redirectUrl, connectionId, 'ACTIVE'), 303);
    return sendPage(res, 200, { title: 'Connected', message: `Your ${plugin.displayName} account is connected. You can close this window.` });
  } catch (err) {
    await releaseLink(hub, link);
    if (err instanceof PatchbayError) return sendConnectPage(res, plugin, { ...pageOptions, error: err.message });
    throw err;
  }
}

/** Where the OAuth2 sign-in happens for this link (the org's app and the link's settings), or why it can't. */
async function oauthSignIn(hub: Hub, link: ConnectLink): Promise<ConnectPageOptions['oauth']> {
  const plugin = hub.plugins.get(link.integrationKey);
  if (!plugin?.auth.some((a) => a.mode === 'OAUTH2')) return undefined;
  try {
    const resolved = await resolveOAuthApp(hub, link.orgId, link.integrationKey, 'OAUTH2', { config: (link.config ?? {}) as Record<string, unknown> });
    if (!resolved.settings.authorizationUrl) return { problem: `Signing in with ${plugin.displayName} is not set up yet. Ask the app's team.` };
    return { origin: new URL(resolved.settings.authorizationUrl).origin };
  } catch (err) {
    if (err instanceof OAuthSetupError) return { problem: `Signing in with ${plugin.displayName} is not set up yet. Ask the app's team.` };
    throw err;
  }
}

/** The urlencoded form, or null when it is larger than MAX_FORM_BYTES. */
async function readForm(req: http.IncomingMessage): Promise<URLSearchParams | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
