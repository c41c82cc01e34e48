import { apiKey, definePlugin } from '@patchbay/sdk';
import { createItem } from './actions/create-item.ts';

export default definePlugin({
  key: 'example',
  displayName: 'Example API',
  category: 'productivity',
  description: 'What this connector lets users do',
  // Default provider address; each connection may override it with config.baseUrl.
  baseUrl: 'https://api.example.com/v1/',
  auth: [
    apiKey({
      placement: { in: 'header', name: 'Authorization', prefix: 'Bearer ' },
      // A cheap real call proving the key works (shown as the connection's status).
      test: async ({ http }) => {
        await http.get('me');
        return { ok: true };
      },
    }),
  ],
  actions: [createItem],
});
