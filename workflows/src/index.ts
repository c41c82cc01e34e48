export * from './client.ts';
export * from './shared/names.ts';
export * from './shared/plugin-registry.ts';
export type { ActivityDeps, Log } from './shared/deps.ts';
export * from './runtime/actions.ts';
export * from './shared/webhook-body.ts';
export { checkUrl, isPrivateAddress, networkGuard, PrivateNetworkError } from './runtime/network-guard.ts';
