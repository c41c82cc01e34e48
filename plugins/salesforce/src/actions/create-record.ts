// POST /services/data/vXX.X/sobjects/<Type>: creates one record of any standard or custom object.
import { defineAction, PermanentError, z } from '@patchbay/sdk';
import { describeErrors, salesforceClient } from '../client.ts';
import { fieldsSchema, sobjectName } from '../shared.ts';

export const createRecord = defineAction({
  key: 'create_record',
  displayName: 'Create a record',
  description: 'Create a record of any standard or custom Salesforce object.',
  input: z.object({
    sobject: sobjectName,
    fields: fieldsSchema,
  }),
  output: z.object({
    id: z.string().describe('The new record id'),
    success: z.literal(true),
    sobject: z.string().describe('The object the record was created in'),
  }),
  async run(ctx) {
    const { sobject, fields } = ctx.input;
    const client = await salesforceClient(ctx);
    const result = await client.call(`Create ${sobject}`, (conn) => conn.sobject(sobject).create(fields as Record<string, unknown>));
    if (!result.success || !result.id) throw new PermanentError(`Create ${sobject} failed: ${describeErrors(result.errors ?? []) || 'Salesforce did not return an id'}`);
    return { id: result.id, success: true as const, sobject };
  },
});
