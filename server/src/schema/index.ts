// Importing a module registers its types and fields on the builder; the order is irrelevant.
import { builder } from '../builder.ts';
import './scalars.ts';
import './viewer.ts';
import './tokens.ts';
import './integrations.ts';
import './connections.ts';
import './oauth.ts';
import './connect-links.ts';
import './runs.ts';
import './activity.ts';
import './secrets.ts';
import './webhooks.ts';
import './webhook-subscriptions.ts';
import './manifests.ts';
import './syncs.ts';
import './flows.ts';
import './team-members.ts';

export const schema = builder.toSchema({ sortSchema: true });
