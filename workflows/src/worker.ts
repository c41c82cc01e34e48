// The Temporal worker: registers the workflows (bundled once) and the activities bound to
// this process's database and plugins.
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from './activities/index.ts';
import type { ActivityDeps } from './shared/deps.ts';
import { DEFAULT_TASK_QUEUE } from './shared/names.ts';

export const workflowsPath = fileURLToPath(new URL('./workflows/index.ts', import.meta.url));

/** Bundles the workflow code with Temporal's webpack build; tests do it once and share it. */
export async function bundleWorkflows(): Promise<WorkflowBundleOption> {
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  return { code };
}

export interface WorkerOptions extends ActivityDeps {
  address: string;
  namespace: string;
  taskQueue?: string;
  /** A pre-built bundle (see bundleWorkflows); otherwise the worker bundles on start. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  routeSdkLogs(options.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities(options),
    // Cancelling a run should take about a second, not the default tens of seconds.
    maxHeartbeatThrottleInterval: '1 second',
  });
  return { worker, connection };
}

let runtimeInstalled = false;

/** The SDK logs to the console by default; send its warnings and errors to our logger instead. */
function routeSdkLogs(logger: ActivityDeps['logger']) {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'debug', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  try {
    Runtime.install({
      logger: new DefaultLogger('WARN', (entry) => logger[levels[entry.level]]({ component: 'temporal-sdk', ...entry.meta }, entry.message)),
    });
  } catch {
    // Already installed by the host process: keep its choice.
  }
}

const noop = () => {};
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: (msg: string, meta?: unknown) => console.error(msg, meta), log: noop };
export type { Worker, WorkflowBundleOption } from '@temporalio/worker';
