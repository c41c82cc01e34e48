import type { ActivityDeps } from '../shared/deps.ts';
import { createRunActivities } from './runs.ts';
import { createWebhookActivities } from './webhooks.ts';

export function createActivities(deps: ActivityDeps) {
  return { ...createRunActivities(deps), ...createWebhookActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
