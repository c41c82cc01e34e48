// PATCH /crm/v3/objects/contacts/{id}, or /{email}?idProperty=email: updates the given properties.
import { defineAction, z } from '@patchbay/sdk';
import { crmObject, hubspotClient } from '../client.ts';
import { contactFields, contactProperties, crmObjectOutput, objectId } from '../shared.ts';

export const updateContact = defineAction({
  key: 'update_contact',
  displayName: 'Update a contact',
  description: 'Update a HubSpot contact found by its id or by its email address.',
  input: z
    .object({
      id: objectId.optional().describe('The contact id; give this or byEmail'),
      byEmail: z.email().optional().describe('Find the contact by this email address instead of its id'),
      set: contactFields.describe('The properties to change'),
    })
    .superRefine((input, ctx) => {
      if ((input.id === undefined) === (input.byEmail === undefined)) ctx.addIssue({ code: 'custom', path: ['id'], message: 'give exactly one of id or byEmail' });
      if (Object.keys(contactProperties(input.set)).length === 0) ctx.addIssue({ code: 'custom', path: ['set'], message: 'needs at least one property to change' });
    }),
  output: crmObjectOutput,
  async run(ctx) {
    const { id, byEmail, set } = ctx.input;
    const properties = contactProperties(set);
    const contact = await hubspotClient(ctx).call(`Update contact ${id ?? byEmail}`, (c) =>
      byEmail ? c.crm.contacts.basicApi.update(byEmail, { properties }, 'email') : c.crm.contacts.basicApi.update(id!, { properties }),
    );
    return crmObject(contact);
  },
});
