// Placeholder until the connector lands: registered so the hub and the workspace know the package.
import { definePlugin, none } from '@patchbay/sdk';

export default definePlugin({ key: 'hubspot', displayName: 'HubSpot', category: 'crm', auth: [none()], actions: [] });
