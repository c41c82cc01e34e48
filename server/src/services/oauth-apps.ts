// An organization's own OAuth client per integration (client id, encrypted secret, scopes and,
// for providers the plugin does not know, their URLs). The secret is write-only.
import { recordActivity, type OAuthApp } from '@patchbay/db';
import { isInsecureAllowed, oauthVaultContext } from '@patchbay/workflows/oauth';
import type { Hub } from '../context.ts';
import { badInput, type InputIssue } from '../errors.ts';

export interface OAuthAppInput {
  integrationKey: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[] | null;
  authorizationUrl?: string | null;
  tokenUrl?: string | null;
  revocationUrl?: string | null;
}

/** Creates or replaces the org's app for the integration (every field is set anew). */
export async function setOAuthApp(hub: Hub, orgId: string, input: OAuthAppInput): Promise<OAuthApp> {
  const plugin = hub.plugins.get(input.integrationKey);
  if (!plugin) throw badInput(`Unknown integration "${input.integrationKey}"`, [{ path: 'integrationKey', message: 'no such integration' }]);
  const methods = plugin.auth.filter((a) => a.mode === 'OAUTH2' || a.mode === 'OAUTH2_CLIENT_CREDENTIALS');
  if (!methods.length) {
    throw badInput(`Integration "${plugin.key}" does not connect with OAuth2`, [{ path: 'integrationKey', message: 'not an OAuth2 integration' }]);
  }
  const issues: InputIssue[] = [];
  for (const field of ['authorizationUrl', 'tokenUrl', 'revocationUrl'] as const) {
    const url = input[field];
    // The browser follows the authorization URL; the hub itself calls the other two with the secret.
    if (url && field !== 'authorizationUrl' && !url.startsWith('https://') && !isInsecureAllowed(url)) {
      issues.push({ path: field, message: 'must use https (http only for localhost)' });
    }
  }
  if (!input.tokenUrl && !methods.some((m) => m.oauth?.tokenUrl)) {
    issues.push({ path: 'tokenUrl', message: `is required: "${plugin.key}" does not know its provider's token endpoint` });
  }
  if (issues.length) throw badInput(`Invalid OAuth app: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);

  const fields = {
    clientId: input.clientId,
    scopes: input.scopes ?? [],
    authorizationUrl: input.authorizationUrl ?? null,
    tokenUrl: input.tokenUrl ?? null,
    revocationUrl: input.revocationUrl ?? null,
  };
  const app = await hub.db.prisma.$transaction(async (tx) => {
    // The secret is bound to the row id, so the row exists before the secret is sealed.
    const row = await tx.oAuthApp.upsert({
      where: { orgId_integrationKey: { orgId, integrationKey: plugin.key } },
      create: { orgId, integrationKey: plugin.key, clientSecret: '', ...fields },
      update: fields,
    });
    return tx.oAuthApp.update({ where: { id: row.id }, data: { clientSecret: hub.vault.encrypt(input.clientSecret, oauthVaultContext.app(row.id)) } });
  });
  await recordActivity(hub.db, {
    orgId,
    type: 'oauth_app.set',
    message: `OAuth app for ${plugin.displayName} set (client id ${app.clientId})`,
    data: { integrationKey: plugin.key, scopes: app.scopes },
  });
  return app;
}

export function listOAuthApps(hub: Hub, orgId: string, query: object = {}): Promise<OAuthApp[]> {
  return hub.db.prisma.oAuthApp.findMany({ ...query, where: { orgId }, orderBy: [{ integrationKey: 'asc' }] });
}
