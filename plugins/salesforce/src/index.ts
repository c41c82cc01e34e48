// @patchbay/plugin-salesforce: create, update and query records and call Apex REST endpoints in
// a Salesforce org, on jsforce, with the hub's OAuth connection (instance URL from the token).
import { definePlugin } from '@patchbay/sdk';
import { callApexRest } from './actions/call-apex-rest.ts';
import { createRecord } from './actions/create-record.ts';
import { query } from './actions/query.ts';
import { updateRecord } from './actions/update-record.ts';
import { salesforceOAuth } from './auth.ts';

export const salesforcePlugin = definePlugin({
  key: 'salesforce',
  displayName: 'Salesforce',
  category: 'crm',
  description: 'Create, update and query Salesforce records (any standard or custom object) and call Apex REST endpoints.',
  // No plugin-wide default: every org has its own instance URL, kept from the OAuth token
  // response (instance_url) as the connection's baseUrl.
  auth: [salesforceOAuth],
  actions: [createRecord, updateRecord, query, callApexRest],
});

export default salesforcePlugin;
