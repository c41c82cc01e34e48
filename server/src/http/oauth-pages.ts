// The small pages /oauth/callback serves: a popup page that tells window.opener how the flow
// ended and closes, and an error page. Locked down: a CSP with a per-response nonce, no
// referrer (the callback URL held a code), no caching, no framing.
import { randomBytes } from 'node:crypto';
import type http from 'node:http';

export interface PageMessage {
  connectionId: string;
  status: string;
  /** The origin allowed to receive the message (never '*'). */
  targetOrigin: string;
}

export interface PageOptions {
  title: string;
  message: string;
  /** Posted to window.opener as { type: 'patchbay:oauth', connectionId, status }. */
  post?: PageMessage;
  /** Close the popup after posting (on success; an error stays readable). */
  close?: boolean;
  /** A link back to the app. */
  backUrl?: string;
}

export function sendPage(res: http.ServerResponse, status: number, options: PageOptions): void {
  const nonce = randomBytes(16).toString('base64');
  const script = options.post
    ? `<script nonce="${nonce}">(function () {
  var message = ${scriptJson({ type: 'patchbay:oauth', connectionId: options.post.connectionId, status: options.post.status })};
  if (window.opener) {
    window.opener.postMessage(message, ${scriptJson(options.post.targetOrigin)});
    ${options.close ? 'window.close();' : ''}
  }
})();</script>`
    : '';
  const back = options.backUrl ? `<p><a href="${escapeHtml(options.backUrl)}">Return to the app</a></p>` : '';
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}</style>
</head>
<body>
<h1>${escapeHtml(options.title)}</h1>
<p>${escapeHtml(options.message)}</p>
${back}${script}
</body>
</html>
`;
  res.statusCode = status;
  secureHeaders(res);
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  res.end(body);
}

export function sendRedirect(res: http.ServerResponse, location: string, status: 302 | 303 = 302): void {
  res.statusCode = status;
  secureHeaders(res);
  res.setHeader('location', location);
  res.end();
}

export function secureHeaders(res: http.ServerResponse) {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('x-frame-options', 'DENY');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
