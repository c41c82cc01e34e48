// The Temporal worker: registers the workflows (bundled once) and the activities bound to
// this process's database and plugins.
import { spawn } from 'node:child_process';
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

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles the workflow code in a short-lived child process (~5 s, ~230 MB peak on its own).
 * In the worker's own process webpack added 110-140 MB that stayed resident for good (V8 and
 * malloc keep what they grew to): a worker that bundled itself sat at ~510 MB before doing any
 * work, ~395 MB this way (measured with `pnpm bench:sync` on PostgreSQL). A bundle built ahead of
 * time (`workflowBundle`) needs neither. Falls back to bundling in this process when the child
 * cannot run.
 */
export async function bundleWorkflowsInChild(logger?: ActivityDeps['logger']): Promise<WorkflowBundleOption | undefined> {
  const script = [
    `import { bundleWorkflowCode } from '@temporalio/worker';`,
    `const noop = () => {};`,
    `const logger = { trace: noop, debug: noop, info: noop, warn: noop, log: noop, error: (msg, meta) => console.error(msg, meta) };`,
    `const { code } = await bundleWorkflowCode({ workflowsPath: process.argv[1], logger });`,
    `process.stdout.write(code);`,
  ].join('\n');
  try {
    const code = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '--eval', script, workflowsPath], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.once('error', reject);
      child.once('close', (code) => {
        if (code === 0 && out.length) resolve(Buffer.concat(out).toString('utf8'));
        else reject(new Error(`the bundler process exited with ${code}: ${Buffer.concat(err).toString('utf8').slice(-2000)}`));
      });
    });
    return { code };
  } catch (err) {
    logger?.warn({ err }, 'could not bundle the workflows in a child process; bundling in this one');
    return undefined;
  }
}

export interface WorkerOptions extends ActivityDeps {
  address: string;
  namespace: string;
  taskQueue?: string;
  /** A pre-built bundle (see bundleWorkflows); otherwise the worker bundles on start, in a child process. */
  workflowBundle?: WorkflowBundleOption;
}

export async function createWorker(options: WorkerOptions): Promise<{ worker: Worker; connection: NativeConnection }> {
  routeSdkLogs(options.logger);
  const workflowBundle = options.workflowBundle ?? (await bundleWorkflowsInChild(options.logger));
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
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
