// Helpers shared by the manifest and sync integration tests: waiting for runs through the API,
// and a scan of everything a run left behind for secret values (Temporal history included).
import { readFileSync } from 'node:fs';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GqlResult, TestHub, TestOrg } from './harness.ts';

export const FIXTURES = new URL('../../workflows/src/manifests/fixtures/', import.meta.url);
export const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

export interface RunView {
  id: string;
  kind: string;
  status: string;
  action: string | null;
  output: unknown;
  error: string | null;
  attempts: number;
  workflowId: string;
}

const RUN = `query ManifestTestRun($id: ID!) { run(id: $id) { id kind status action output error attempts workflowId } }`;

/** Polls the run through the API until it is terminal. */
export async function waitForRun(hub: TestHub, token: string, runId: string, timeoutMs = 45_000, responses?: unknown[]): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await hub.gql<{ run: RunView | null }, { id: string }>(RUN, { id: runId }, token);
    responses?.push(result);
    const run = result.data?.run;
    if (run && ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status ?? JSON.stringify(result.errors)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** The run's whole Temporal history with payloads decoded, as one string. */
export async function temporalHistoryText(hub: TestHub, workflowId: string): Promise<string> {
  const history = await hub.hub.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v));
}

export const connectionGid = (id: string) => encodeGlobalID('Connection', id);
export const runGid = (id: string) => encodeGlobalID('Run', id);

/**
 * GraphQL for a test file, as its org's ADMIN unless told otherwise, every answer kept in
 * `responses` (the file checks at the end that no secret shows up in any). `session` is called
 * per request, so the kit can be made at module level and the hub started in beforeAll.
 */
export function gqlKit(session: () => { hub: TestHub; org: TestOrg }) {
  const responses: unknown[] = [];
  async function call<T = any>(query: string, variables: Record<string, unknown>, token = session().org.tokens.ADMIN): Promise<GqlResult<T>> {
    const result = await session().hub.gql<T, Record<string, unknown>>(query, variables, token);
    responses.push(result);
    return result;
  }
  async function data<T = any>(query: string, variables: Record<string, unknown>, token = session().org.tokens.ADMIN): Promise<T> {
    const result = await call<T>(query, variables, token);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }
  return { responses, call, data };
}
