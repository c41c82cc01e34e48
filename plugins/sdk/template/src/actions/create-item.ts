import { defineAction, z } from '@patchbay/sdk';

export const createItem = defineAction({
  key: 'create_item',
  displayName: 'Create an item',
  description: 'Creates an item and returns its id',
  input: z.object({ title: z.string().min(1), tags: z.array(z.string()).default([]) }),
  output: z.object({ id: z.string(), url: z.string() }),
  async run({ input, http }) {
    // http applies the base URL, the credentials, a timeout and typed errors
    // (401 → AuthError, 429 → RateLimitError, other 4xx → PermanentError, 5xx → TransientError).
    const { data } = await http.post<{ id: string; html_url: string }>('items', { json: input });
    return { id: data.id, url: data.html_url };
  },
});
