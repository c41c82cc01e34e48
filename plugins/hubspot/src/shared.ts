// Input and output pieces the HubSpot actions share.
import { z } from '@patchbay/sdk';

export const propertyName = z.string().regex(/^[a-z0-9_]+$/i, 'must be a property internal name such as firstname or favorite_color');

/** Property values as HubSpot takes them: strings (numbers and booleans are sent as text; null clears). */
export const propertiesSchema = z
  .record(propertyName, z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .describe('Property internal names and values, e.g. { "lifecyclestage": "lead", "favorite_color": "blue" }; null clears a property');

export function toHubSpotProperties(values: Record<string, string | number | boolean | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) out[name] = value === null ? '' : String(value);
  return out;
}

export const objectId = z.string().regex(/^\d+$/, 'must be a HubSpot record id (digits)');

export const crmObjectOutput = z.object({
  id: z.string().describe('HubSpot record id'),
  properties: z.record(z.string(), z.string().nullable()).describe('The record properties HubSpot returned'),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean(),
});

const contactFieldsShape = {
  email: z.email().optional().describe('Email address (HubSpot deduplicates contacts by it)'),
  firstname: z.string().optional().describe('First name'),
  lastname: z.string().optional().describe('Last name'),
  phone: z.string().optional().describe('Phone number'),
  company: z.string().optional().describe('Company name'),
  properties: propertiesSchema.optional(),
};

export const contactFields = z.object(contactFieldsShape);

/** The named fields and `properties` merged into one HubSpot properties map. */
export function contactProperties(input: z.output<typeof contactFields>): Record<string, string> {
  const { properties, ...named } = input;
  return toHubSpotProperties({ ...named, ...properties });
}
