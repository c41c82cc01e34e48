// @patchbay/plugin-http: call any HTTP or GraphQL API, or post to a catch hook. The custom
// integration of last resort, in the manner of Engrami's custom tools and outgoing actions.
import { definePlugin } from '@patchbay/sdk';
import { graphqlRequest } from './actions/graphql-request.ts';
import { httpRequest } from './actions/http-request.ts';
import { sendWebhook } from './actions/send-webhook.ts';
import { apiKeyAuth, basicAuth, noAuth } from './auth.ts';

export const httpPlugin = definePlugin({
  key: 'http',
  displayName: 'HTTP',
  category: 'developer',
  description: 'Call any HTTP or GraphQL API, or send a webhook to Zapier, Make and the like.',
  auth: [noAuth, apiKeyAuth, basicAuth],
  actions: [httpRequest, graphqlRequest, sendWebhook],
});

export default httpPlugin;
export { apiKeyPlacement } from './auth.ts';
