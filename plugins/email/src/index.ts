// Placeholder until the connector lands: registered so the hub and the workspace know the package.
import { definePlugin, none } from '@patchbay/sdk';

export default definePlugin({ key: 'email', displayName: 'Email', category: 'email', auth: [none()], actions: [] });
