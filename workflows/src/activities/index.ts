import type { ActivityDeps } from '../shared/deps.ts';
import { createConnectionTokenActivities } from './connection-tokens.ts';
import { createDeliveryActivities } from './deliveries.ts';
import { createRunActivities } from './runs.ts';
import { createWebhookActivities } from './webhooks.ts';
import { createManifestActivities } from './manifests.ts';
import { createSyncActivities } from './syncs.ts';
import { createFlowActivities } from './flows.ts';

export function createActivities(deps: ActivityDeps) {
  return { ...createRunActivities(deps), ...createWebhookActivities(deps), ...createConnectionTokenActivities(deps), ...createDeliveryActivities(deps), ...createManifestActivities(deps), ...createSyncActivities(deps), ...createFlowActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
