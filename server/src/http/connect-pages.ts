// The hosted connect page's HTML: one form per way the integration can be connected (a
// Connect button for OAuth2, the secret fields for API keys, basic auth and bot tokens).
// Plain server-rendered HTML under a strict CSP; every value is escaped.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { jsonSchemaOf, type AnyAuthMethod, type PluginDefinition } from '@patchbay/sdk';
import { escapeHtml, secureHeaders } from './oauth-pages.ts';

const MODE_TITLES: Record<string, string> = {
  OAUTH2: 'Sign in',
  API_KEY: 'API key',
  BASIC: 'Username and password',
  BOT_TOKEN: 'Bot token',
  NONE: 'No credentials needed',
};

interface FieldSchema {
  properties?: Record<string, { description?: string; type?: string }>;
  required?: string[];
}

export interface ConnectPageOptions {
  error?: string;
  /** OAuth2: the provider's sign-in origin (the form's submission ends there), or why it can't be used. */
  oauth?: { origin: string } | { problem: string };
  /** Where the app wants the browser afterwards (a form's redirect there is held to form-action). */
  returnOrigin?: string;
}

function methodForm(plugin: PluginDefinition, method: AnyAuthMethod, options: ConnectPageOptions): string {
  const mode = `<input type="hidden" name="mode" value="${escapeHtml(method.mode)}">`;
  if (method.mode === 'OAUTH2') {
    if (options.oauth && 'problem' in options.oauth) return `<p class="error">${escapeHtml(options.oauth.problem)}</p>`;
    return `<form method="post">${mode}<button type="submit">Connect with ${escapeHtml(plugin.displayName)}</button></form>`;
  }
  const schema = jsonSchemaOf(method.credentials) as FieldSchema;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {})
    .map(([name, field]) => {
      const id = `${method.mode}-${name}`;
      const label = field.description ?? name;
      return `<label for="${escapeHtml(id)}">${escapeHtml(label)}</label>
<input id="${escapeHtml(id)}" name="credentials.${escapeHtml(name)}" type="password" autocomplete="off"${required.has(name) ? ' required' : ''}>`;
    })
    .join('\n');
  return `<form method="post">${mode}
${fields}
<button type="submit">${method.mode === 'NONE' ? 'Connect' : 'Save and connect'}</button></form>`;
}

export function sendConnectPage(res: http.ServerResponse, plugin: PluginDefinition, options: ConnectPageOptions = {}): void {
  const nonce = randomBytes(16).toString('base64');
  const methods = plugin.auth.filter((a) => a.mode !== 'OAUTH2_CLIENT_CREDENTIALS');
  const sections = methods
    .map((method) => `<section>${methods.length > 1 ? `<h2>${escapeHtml(MODE_TITLES[method.mode] ?? method.mode)}</h2>` : ''}${methodForm(plugin, method, options)}</section>`)
    .join('\n');
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connect ${escapeHtml(plugin.displayName)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem}label{display:block;margin-top:.75rem}input{width:100%;padding:.4rem;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00;border:1px solid #a00;padding:.5rem}</style>
</head>
<body>
<h1>Connect ${escapeHtml(plugin.displayName)}</h1>
${plugin.description ? `<p>${escapeHtml(plugin.description)}</p>` : ''}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
${sections}
</body>
</html>
`;
  res.statusCode = options.error ? 400 : 200;
  secureHeaders(res);
  res.setHeader('content-type', 'text/html; charset=utf-8');
  // Forms post back here only; the OAuth2 one then redirects to the provider's sign-in page,
  // and browsers hold a form's redirects to form-action too.
  const formTargets = ["'self'", ...(options.oauth && 'origin' in options.oauth ? [options.oauth.origin] : []), ...(options.returnOrigin ? [options.returnOrigin] : [])].join(' ');
  res.setHeader('content-security-policy', `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action ${formTargets}; frame-ancestors 'none'`);
  res.end(body);
}
