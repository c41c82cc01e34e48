// connectTemporal's connection: its calls never run in an AsyncLocalStorage (on Node 20 one in use
// makes every promise of the process pay for async hooks), yet they still carry the namespace
// header and their deadlines.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, inject, it, vi } from 'vitest';
import { connectTemporal, isTemporalReachable, type Temporal } from './client.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
  }
}

const opened: Temporal[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(opened.splice(0).map((t) => t.close()));
});

async function connect(address: string): Promise<Temporal> {
  const temporal = await connectTemporal({ address, namespace: 'default', taskQueue: `client-test-${randomUUID()}` });
  opened.push(temporal);
  return temporal;
}

describe('connectTemporal', () => {
  it('starts, describes, signals and cancels workflows without running an AsyncLocalStorage', async () => {
    const temporal = await connect(inject('temporalAddress'));
    const runs = vi.spyOn(AsyncLocalStorage.prototype, 'run');
    const enters = vi.spyOn(AsyncLocalStorage.prototype, 'enterWith');

    const handle = await temporal.client.workflow.start('neverPolled', { workflowId: `client-test-${randomUUID()}`, taskQueue: temporal.taskQueue });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.signal('poke');
    await handle.cancel();
    expect(await isTemporalReachable(temporal)).toBe(true);
    await handle.terminate('test over');
    expect((await handle.describe()).status.name).toBe('TERMINATED');

    expect(runs).not.toHaveBeenCalled();
    expect(enters).not.toHaveBeenCalled();
  });

  it('sends the namespace header with each call, and bounds a start and a readiness probe that get no answer', async () => {
    // A frontend that answers the connection's check and then never answers anything else.
    const headers: Array<{ method: string; namespace: unknown }> = [];
    const raw = { requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
    const path = (method: string) => `/temporal.api.workflowservice.v1.WorkflowService/${method}`;
    let systemInfoCalls = 0;
    const server = new grpc.Server();
    server.addService(
      { GetSystemInfo: { ...raw, path: path('GetSystemInfo') }, StartWorkflowExecution: { ...raw, path: path('StartWorkflowExecution') } },
      {
        // The first (connecting) is answered with an empty message, the others hang.
        GetSystemInfo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          headers.push({ method: 'GetSystemInfo', namespace: call.metadata.get('temporal-namespace')[0] });
          if (++systemInfoCalls === 1) callback(null, Buffer.alloc(0));
        },
        StartWorkflowExecution: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
          headers.push({ method: 'StartWorkflowExecution', namespace: call.metadata.get('temporal-namespace')[0] });
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    try {
      const temporal = await connect(`127.0.0.1:${port}`);
      const started = Date.now();
      const [start, reachable] = await Promise.all([
        temporal.client.workflow.start('neverAnswered', { workflowId: `client-test-${randomUUID()}`, taskQueue: temporal.taskQueue }).then(
          () => null,
          (err: unknown) => ({ err, ms: Date.now() - started }),
        ),
        isTemporalReachable(temporal).then((ok) => ({ ok, ms: Date.now() - started })),
      ]);
      expect(reachable.ok).toBe(false);
      expect(reachable.ms).toBeGreaterThanOrEqual(1_900);
      expect(reachable.ms).toBeLessThan(4_500);
      expect(start).not.toBeNull();
      expect(String((start!.err as Error & { cause?: Error }).cause?.message ?? (start!.err as Error).message)).toMatch(/deadline/i);
      expect(start!.ms).toBeGreaterThanOrEqual(4_900);
      expect(start!.ms).toBeLessThan(15_000);
      expect(headers).toContainEqual({ method: 'StartWorkflowExecution', namespace: 'default' });
      expect(headers.filter((h) => h.method === 'GetSystemInfo').every((h) => h.namespace === 'default')).toBe(true);
    } finally {
      server.forceShutdown();
    }
  });
});
