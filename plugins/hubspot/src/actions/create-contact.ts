// POST /crm/v3/objects/contacts: creates a contact. An existing email is a 409 CONFLICT whose
// message names the existing contact's id.
import { defineAction } from '@patchbay/sdk';
import { crmObject, hubspotClient } from '../client.ts';
import { contactFields, contactProperties, crmObjectOutput } from '../shared.ts';

export const createContact = defineAction({
  key: 'create_contact',
  displayName: 'Create a contact',
  description: 'Create a HubSpot contact from named fields and any other contact properties.',
  input: contactFields.refine((input) => Object.keys(contactProperties(input)).length > 0, 'needs at least one property (email, firstname, … or properties)'),
  output: crmObjectOutput,
  async run(ctx) {
    const properties = contactProperties(ctx.input);
    const contact = await hubspotClient(ctx).call('Create contact', (c) => c.crm.contacts.basicApi.create({ properties, associations: [] }));
    return crmObject(contact);
  },
});
