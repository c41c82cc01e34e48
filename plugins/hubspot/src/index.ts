// @patchbay/plugin-hubspot: contacts and deals in HubSpot's CRM through @hubspot/api-client,
// with a private-app token or OAuth, and an incremental contacts sync.
import { definePlugin } from '@patchbay/sdk';
import { createContact } from './actions/create-contact.ts';
import { createDeal } from './actions/create-deal.ts';
import { searchContacts } from './actions/search-contacts.ts';
import { updateContact } from './actions/update-contact.ts';
import { hubspotOAuth, privateAppAuth } from './auth.ts';
import { DEFAULT_BASE_URL } from './client.ts';
import { contactsSync } from './syncs/contacts.ts';

export const hubspotPlugin = definePlugin({
  key: 'hubspot',
  displayName: 'HubSpot',
  category: 'crm',
  description: 'Create, update and search HubSpot contacts, create deals, and sync contacts incrementally.',
  baseUrl: DEFAULT_BASE_URL,
  auth: [privateAppAuth, hubspotOAuth],
  actions: [createContact, updateContact, searchContacts, createDeal],
  syncs: [contactsSync],
});

export default hubspotPlugin;
