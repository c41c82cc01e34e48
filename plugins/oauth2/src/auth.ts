// The two ways to connect a generic OAuth2 provider. The provider's addresses are not known
// to the plugin: they come from the organization's OAuth app (setOAuthApp), so the URLs here
// are empty on purpose and the hub refuses to start a flow until the app names them.
import { oauth2, oauth2ClientCredentials, z } from '@patchbay/sdk';

/** RFC 7591 names; which one the provider's token endpoint accepts. */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_post', 'client_secret_basic'] as const;

const tokenEndpointAuthMethod = z
  .enum(TOKEN_ENDPOINT_AUTH_METHODS)
  .optional()
  .describe('How the client id and secret go to the token endpoint: in the form body (client_secret_post, default) or as HTTP basic (client_secret_basic)');

const authorizeParams = z
  .record(z.string().regex(/^[\w.-]+$/, 'must be a plain parameter name'), z.string())
  .optional()
  .describe('Extra query parameters for the authorization URL, e.g. { "prompt": "consent", "access_type": "offline" }; they cannot replace the flow\'s own parameters');

export const authorizationCodeAuth = oauth2({
  authorizationUrl: '',
  tokenUrl: '',
  config: z.object({ tokenEndpointAuthMethod, authorizeParams }),
});

const scopes = z
  .array(z.string().min(1).regex(/^\S+$/, 'must not contain spaces'))
  .optional()
  .describe("Scopes to request for the client's token (default: the OAuth app's scopes)");

export const clientCredentialsAuth = oauth2ClientCredentials({
  tokenUrl: '',
  config: z.object({ tokenEndpointAuthMethod, scopes }),
});
