// A Twilio connection: the Account SID and Auth Token from the Console, sent by twilio-node as
// HTTP basic auth. The test fetches the account (GET /2010-04-01/Accounts/{Sid}.json).
import { apiKey, z } from '@patchbay/sdk';
import { createTwilioClient, twilioCall, type TwilioCredentials } from './client.ts';

export const credentialsSchema = z.object({
  accountSid: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must be your Account SID: "AC" followed by 32 hex characters (Twilio Console → Account info)')
    .describe('Account SID (AC…), from the Twilio Console home page'),
  authToken: z.string().trim().min(1, 'Auth Token is required').describe('Auth Token, from the Twilio Console home page (also signs the webhooks Twilio sends you)'),
});

export const twilioAuth = apiKey({
  fields: credentialsSchema,
  // twilio-node sets `Authorization: Basic base64(AccountSid:AuthToken)` itself.
  placement: { in: 'none' },
  async test({ credentials, config }) {
    const { client, httpClient } = await createTwilioClient(credentials as TwilioCredentials, config);
    const account = await twilioCall(httpClient, () => client.api.v2010.accounts(credentials.accountSid).fetch(), `GET /2010-04-01/Accounts/${credentials.accountSid}.json`);
    if (account.status !== 'active') return { ok: false, message: `The Twilio account "${account.friendlyName}" is ${account.status}` };
    return { ok: true, message: `Connected to the Twilio account "${account.friendlyName}"` };
  },
});
