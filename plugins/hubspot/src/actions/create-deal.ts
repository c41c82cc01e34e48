// POST /crm/v3/objects/deals, optionally associated with a contact in the same request
// (HUBSPOT_DEFINED association type 3, deal → contact).
import { defineAction, z } from '@patchbay/sdk';
import type { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/deals/index.js';
import { crmObject, hubspotClient } from '../client.ts';
import { crmObjectOutput, objectId, propertiesSchema, toHubSpotProperties } from '../shared.ts';

/** HubSpot's built-in association type for deal → contact. */
export const DEAL_TO_CONTACT = 3;

export const createDeal = defineAction({
  key: 'create_deal',
  displayName: 'Create a deal',
  description: 'Create a HubSpot deal, optionally associated with a contact.',
  input: z.object({
    dealname: z.string().min(1).describe('Deal name'),
    amount: z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a number')]).optional().describe('Deal amount'),
    pipeline: z.string().min(1).default('default').describe('Pipeline id (default: "default", the sales pipeline)'),
    dealstage: z.string().min(1).optional().describe('Deal stage id, e.g. appointmentscheduled, closedwon'),
    closedate: z.iso.datetime({ offset: true }).or(z.iso.date()).optional().describe('Close date, ISO 8601 (2026-03-31 or 2026-03-31T12:00:00Z)'),
    properties: propertiesSchema.optional(),
    contactId: objectId.optional().describe('Associate the new deal with this contact'),
  }),
  output: crmObjectOutput.extend({
    associatedContactId: z.string().nullable().describe('The contact the deal was associated with, if any'),
  }),
  async run(ctx) {
    const { properties, contactId, closedate, ...named } = ctx.input;
    const values = toHubSpotProperties({ ...named, ...(closedate ? { closedate: new Date(closedate).toISOString() } : {}), ...properties });
    const associations = contactId
      ? [{ to: { id: contactId }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as AssociationSpecAssociationCategoryEnum, associationTypeId: DEAL_TO_CONTACT }] }]
      : [];
    const deal = await hubspotClient(ctx).call('Create deal', (c) => c.crm.deals.basicApi.create({ properties: values, associations }));
    return { ...crmObject(deal), associatedContactId: contactId ?? null };
  },
});
