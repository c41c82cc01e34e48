// How a user connects GitHub: a personal access / fine-grained token (API_KEY), or a GitHub
// App installation (BOT_TOKEN: an installation acts as the app's bot user, `<app>[bot]`). Each
// test makes one cheap real call against the connection's base URL.
import { apiKey, z, type AuthMethod, type AuthTestContext } from '@patchbay/sdk';
import { createGithubClient, githubCall } from './client.ts';

export const appCredentials = z.object({
  appId: z.union([z.string().regex(/^\d+$/, 'must be the numeric App ID'), z.number().int().positive()]).describe('The GitHub App ID (Settings → Developer settings → GitHub Apps → your app → "App ID")'),
  privateKey: z
    .string()
    .refine((v) => /-----BEGIN (RSA )?PRIVATE KEY-----/.test(v), 'must be the PEM private key generated for the app (-----BEGIN … PRIVATE KEY-----)')
    .describe('The app private key, PEM (the whole .pem file downloaded from the app settings)'),
  installationId: z.union([z.string().regex(/^\d+$/, 'must be the numeric installation id'), z.number().int().positive()]).describe('The installation id (the number at the end of https://github.com/settings/installations/<id>)'),
});

export type AppCredentials = z.output<typeof appCredentials>;

/** A token sent as `Authorization: token …`: Octokit puts it on every request itself. */
export const tokenAuth = apiKey({
  label: 'Personal access token or fine-grained token',
  placement: { in: 'header', name: 'Authorization', prefix: 'token ' },
  async test(ctx: AuthTestContext<{ apiKey: string }>) {
    const octokit = createGithubClient({ mode: 'API_KEY', credentials: ctx.credentials, config: ctx.config, signal: ctx.signal });
    const { data } = await githubCall(() => octokit.rest.users.getAuthenticated(), 'GET /user');
    return { ok: true, message: `Connected as ${data.login}` };
  },
});

/**
 * A GitHub App installation. Octokit's app strategy signs a JWT with the private key and
 * exchanges it for an installation token (POST /app/installations/{id}/access_tokens) on the
 * connection's base URL, so nothing is set on the SDK's own http client.
 */
const appMethod = apiKey({
  fields: appCredentials,
  placement: { in: 'none' },
  async test(ctx: AuthTestContext<AppCredentials>) {
    const octokit = createGithubClient({ mode: 'BOT_TOKEN', credentials: ctx.credentials, config: ctx.config, signal: ctx.signal });
    const { data } = await githubCall(() => octokit.rest.apps.getAuthenticated(), 'GET /app');
    return { ok: true, message: `Authenticated as the GitHub App ${data?.slug ?? data?.name ?? ''}`.trim() };
  },
});

export const appAuth: AuthMethod<'BOT_TOKEN', AppCredentials> = { ...appMethod, mode: 'BOT_TOKEN' };
