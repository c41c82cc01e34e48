// PATCH /services/data/vXX.X/sobjects/<Type>/<id>: updates the given fields of one record (204).
import { defineAction, PermanentError, z } from '@patchbay/sdk';
import { describeErrors, salesforceClient } from '../client.ts';
import { fieldsSchema, recordId, sobjectName } from '../shared.ts';

export const updateRecord = defineAction({
  key: 'update_record',
  displayName: 'Update a record',
  description: 'Update fields of one record of any standard or custom Salesforce object; fields not given are left as they are.',
  input: z.object({
    sobject: sobjectName,
    id: recordId,
    fields: fieldsSchema,
  }),
  output: z.object({
    id: z.string().describe('The updated record id'),
    success: z.literal(true),
    sobject: z.string(),
  }),
  async run(ctx) {
    const { sobject, id, fields } = ctx.input;
    const client = await salesforceClient(ctx);
    const result = await client.call(`Update ${sobject} ${id}`, (conn) => conn.sobject(sobject).update({ ...(fields as Record<string, unknown>), Id: id }));
    if (!result.success) throw new PermanentError(`Update ${sobject} ${id} failed: ${describeErrors(result.errors ?? [])}`);
    return { id, success: true as const, sobject };
  },
});
