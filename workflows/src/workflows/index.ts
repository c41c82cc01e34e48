// Every workflow the worker registers. Workflow code runs in Temporal's sandbox: import
// only @temporalio/workflow, shared constants, and activity *types*.
export { runWorkflow } from './run.ts';
export { webhookEventWorkflow, webhookBatchWorkflow } from './webhook-event.ts';
export { connectionTokensWorkflow } from './connection-tokens.ts';
export { deliveryWorkflow, deliveryBatchWorkflow } from './delivery.ts';
export { manifestWorkflow } from './manifest.ts';
export { syncWorkflow, scheduledSyncWorkflow } from './sync.ts';
export { flowWorkflow, scheduledFlowWorkflow, triggerPollWorkflow } from './flow.ts';
