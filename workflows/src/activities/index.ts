import type { ActivityDeps } from '../shared/deps.ts';
import { createRunActivities } from './runs.ts';

export function createActivities(deps: ActivityDeps) {
  return { ...createRunActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
