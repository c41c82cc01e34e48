// @patchbay/plugin-oauth2: any standards-compliant OAuth2 provider without writing a plugin.
// An organization registers the provider's URLs and its client with setOAuthApp; the hub runs
// the flows and keeps the tokens; this plugin only says how to connect and what to call.
import httpPlugin from '@patchbay/plugin-http';
import { definePlugin } from '@patchbay/sdk';
import { authorizationCodeAuth, clientCredentialsAuth } from './auth.ts';

// Reused from the http plugin as is: its request building, credential pinning to baseUrl and
// typed errors apply unchanged, with the OAuth access token as the Authorization header.
const httpRequest = httpPlugin.actions.find((action) => action.key === 'http_request');
if (!httpRequest) throw new Error('@patchbay/plugin-http no longer provides the http_request action');

export const oauth2Plugin = definePlugin({
  key: 'oauth2',
  displayName: 'OAuth2 (any provider)',
  category: 'developer',
  description: "Connect any standards-compliant OAuth2 provider with your own OAuth app, and call its API with the connection's access token.",
  auth: [authorizationCodeAuth, clientCredentialsAuth],
  actions: [{ ...httpRequest, description: "Send an HTTP request to the provider's API with the connection's access token" }],
});

export default oauth2Plugin;
