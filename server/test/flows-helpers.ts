// Shared by the flow tests: GraphQL documents, a receiving "app" for send_webhook steps, and
// waiting for a flow run to end (read back through GraphQL with its steps).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestHub } from './harness.ts';

export const CreateFlow = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { id name enabled version trigger steps webhookUrl } }`;
export const UpdateFlow = `mutation($id: ID!, $input: UpdateFlowInput!) { updateFlow(id: $id, input: $input) { id version trigger steps versions { version } } }`;
export const EnableFlow = `mutation($id: ID!) { enableFlow(id: $id) { id enabled } }`;
export const DisableFlow = `mutation($id: ID!) { disableFlow(id: $id) { id enabled } }`;
export const DeleteFlow = `mutation($id: ID!) { deleteFlow(id: $id) { id } }`;
export const RunFlow = `mutation($id: ID!, $payload: JSON, $key: String) { runFlow(id: $id, payload: $payload, idempotencyKey: $key) { id status kind flowVersion workflowId } }`;
export const FlowRuns = `query($flowId: ID!, $status: RunStatus) { flowRuns(flowId: $flowId, status: $status, first: 200) { edges { node { id status } } } }`;
export const CreateTeamMember = `mutation($input: CreateTeamMemberInput!) { createTeamMember(input: $input) { id name phone email active assignmentCount } }`;
export const TeamMembers = `query { teamMembers { id name assignmentCount active } }`;
export const CreateConnection = `mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id status lastError } }`;
export const CreateEndpoint = `mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url path } } }`;
export const SetSecret = `mutation($name: String!, $value: String!) { setSecret(name: $name, value: $value) { name version } }`;
export const RunWithSteps = `query($id: ID!) { run(id: $id) { id kind status error input output flowVersion flow { id name } steps { key type position status input output error attempts durationMs startedAt finishedAt } } }`;

export interface FlowRunView {
  id: string;
  kind: string;
  status: string;
  error: string | null;
  input: any;
  output: any;
  flowVersion: number;
  flow: { id: string; name: string } | null;
  steps: Array<{ key: string; type: string; position: number; status: string; input: any; output: any; error: string | null; attempts: number; durationMs: number | null }>;
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Polls the run (through GraphQL) until it has ended, or `done` says so. */
export async function waitForRun(gql: <T>(doc: string, vars?: Record<string, unknown>) => Promise<T>, runId: string, { timeoutMs = 60_000, done = (r: FlowRunView) => TERMINAL.includes(r.status) } = {}): Promise<FlowRunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { run } = await gql<{ run: FlowRunView }>(RunWithSteps, { id: runId });
    if (done(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not get there in ${timeoutMs} ms: ${JSON.stringify(run)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The product team's app: records what send_webhook steps post; `answer` picks the status. */
export async function startApp(answer: (req: ReceivedRequest) => number = () => 200): Promise<{ url: string; requests: ReceivedRequest[]; close(): Promise<void> }> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(received);
      const status = answer(received);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: status < 300, received: requests.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Every step of the run in order, as `key:STATUS`. */
export const stepStatuses = (run: FlowRunView) => run.steps.map((s) => `${s.key}:${s.status}`);

export async function waitForFlowRuns(hub: TestHub, flowId: string, count: number, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await hub.db.prisma.run.findMany({ where: { flowId }, select: { id: true, status: true } });
    if (runs.length >= count && runs.every((r) => TERMINAL.includes(r.status))) return runs;
    if (Date.now() > deadline) throw new Error(`flow ${flowId}: ${runs.length} runs, ${runs.filter((r) => TERMINAL.includes(r.status)).length} finished after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The database id inside a global id. */
export const dbId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':').slice(1).join(':');
