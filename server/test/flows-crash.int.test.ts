// Issue #8: "Killing the worker in the middle of a flow run resumes it without repeating a
// completed step." The hub's api and worker roles run as separate processes (production shape);
// the worker process is SIGKILLed in the middle of a flow run and a new one started. Two cases:
//   1. killed while the run sleeps in a delay step (steps before it completed): the new worker
//      picks up the durable timer and goes on; no completed step runs again (one round-robin
//      pick, one SMS to the member), and the steps after the delay run once each;
//   2. killed while a send_webhook step is in flight (its receiver takes 3 s to answer): after
//      the activity's heartbeat timeout that step, and only it, is attempted again on the new
//      worker, with the same idempotency-key, so the receiver can drop the duplicate.
// Separate processes need a shared database, so this runs on PostgreSQL (DATABASE_URL, as CI
// does); PGlite is single-process.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { openDatabase, type Database } from '@patchbay/db';
import { generateKeySpec } from '@patchbay/db/vault';
import { connectTemporal, type Temporal } from '@patchbay/workflows';
import { findFreePort } from '@patchbay/workflows/dev-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../../plugins/twilio/src/fake-twilio.ts';
import { generateToken, hashToken, tokenPrefix } from '../src/services/tokens.ts';
import { CreateConnection, CreateFlow, CreateTeamMember, dbId, RunFlow, RunWithSteps, startApp, stepStatuses, TeamMembers, waitForRun, type FlowRunView, type ReceivedRequest } from './flows-helpers.ts';
import { processGroup, spawnHubProcess, waitFor as waitForOutput, scratchDatabase, type ScratchDatabase } from './processes.ts';

const sharedUrl = process.env.DATABASE_URL;
/** This file's own database (see scratchDatabase). */
let databaseUrl: string | undefined;
let scratch: ScratchDatabase | undefined;
const ACCOUNT_SID = `AC${'7e6d5c4b'.repeat(4)}`;
const AUTH_TOKEN = 'flows-crash-twilio-auth-token-9a8b7c';
const FROM = '+15005550006';
const MEMBERS = [
  { name: 'Ana Silva', phone: '+14155550101', email: 'ana@crash.test' },
  { name: 'Ben Okafor', phone: '+14155550102', email: 'ben@crash.test' },
];

/** A receiver that answers only after `delayMs` (a send_webhook step stays in flight meanwhile). */
async function startSlowApp(delayMs: number) {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const n = requests.length;
      res.on('error', () => undefined); // the caller may be gone (SIGKILL)
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, received: n })), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe.skipIf(!sharedUrl)('a flow run survives a SIGKILL of the worker process (needs PostgreSQL: DATABASE_URL)', () => {
  const output: string[] = [];
  const children = processGroup();
  const taskQueue = `flows-crash-${randomUUID()}`;
  const encryptionKeys = generateKeySpec('crash1');
  let db: Database;
  let temporal: Temporal;
  let twilio: FakeTwilio;
  let app: Awaited<ReturnType<typeof startApp>>;
  let slowApp: Awaited<ReturnType<typeof startSlowApp>>;
  let port: number;
  let orgId: string;
  let token: string;
  let worker: ChildProcess;
  let smsConnectionId: string;

  /** Starts a role; resolves once the process says it is running. */
  async function start(role: 'api' | 'worker', listenPort: number): Promise<ChildProcess> {
    const child = spawnHubProcess(role, {
      databaseUrl: databaseUrl!,
      taskQueue,
      port: listenPort,
      output,
      env: { LOG_LEVEL: 'warn', PATCHBAY_ALLOW_PRIVATE_NETWORK: 'true', PATCHBAY_ENCRYPTION_KEYS: encryptionKeys },
    });
    children.add(child);
    let printed = '';
    child.stdout!.on('data', (d) => (printed += String(d)));
    await waitFor(() => printed.includes(`Patchbay is running (${role})`) || child.exitCode !== null, `the ${role} process (pid ${child.pid})`);
    if (child.exitCode !== null) throw new Error(`the ${role} process exited with ${child.exitCode}\n${output.join('').slice(-4000)}`);
    return child;
  }

  async function kill(child: ChildProcess) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  const waitFor = <T,>(check: () => Promise<T> | T, what: string, timeoutMs?: number) => waitForOutput(check, what, output, timeoutMs);

  async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors ?? body)}`);
    return body.data;
  }

  /** The run's workflow history: which worker (pid) started each step's activity, with which attempt. */
  async function activityStarts(workflowId: string) {
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Map<string, string>(); // scheduled event id → step key
    const starts: Array<{ step: string; attempt: number; pid: number }> = [];
    for (const event of history.events ?? []) {
      const s = event.activityTaskScheduledEventAttributes;
      if (s && s.activityType?.name === 'executeFlowStep') {
        const args = await temporal.client.options.loadedDataConverter.payloadConverter.fromPayload<unknown>(s.input!.payloads![1]!);
        scheduled.set(String(event.eventId), String(args));
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started && scheduled.has(String(started.scheduledEventId))) {
        starts.push({ step: scheduled.get(String(started.scheduledEventId))!, attempt: started.attempt ?? 1, pid: Number(String(started.identity).split('@')[0]) });
      }
    }
    return starts;
  }

  async function waitForTimer(workflowId: string, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    const handle = temporal.client.workflow.getHandle(workflowId);
    while (!(await handle.fetchHistory()).events?.some((event) => event.timerStartedEventAttributes)) {
      if (Date.now() > deadline) throw new Error(`workflow ${workflowId} started no timer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const runStep = (run: FlowRunView, key: string) => run.steps.find((s) => s.key === key)!;
  const readRun = async (id: string) => (await gql<{ run: FlowRunView }>(RunWithSteps, { id })).run;

  beforeAll(async () => {
    scratch = await scratchDatabase(sharedUrl!);
    databaseUrl = scratch.url;
    db = await openDatabase({ kind: 'postgres', url: databaseUrl! });
    temporal = await connectTemporal({ address: inject('temporalAddress'), namespace: 'default', taskQueue });
    twilio = await startFakeTwilio({ sid: ACCOUNT_SID, authToken: AUTH_TOKEN, friendlyName: 'Crash SMS' });
    app = await startApp();
    slowApp = await startSlowApp(3_000);
    port = await findFreePort();
    [, worker] = await Promise.all([start('api', port), start('worker', 0)]);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 'the api process ready');

    const slug = `flows-crash-${randomUUID().slice(0, 8)}`;
    orgId = (await db.prisma.organization.create({ data: { slug, name: slug } })).id;
    token = generateToken();
    await db.prisma.apiToken.create({ data: { orgId, name: 'admin', role: 'ADMIN', prefix: tokenPrefix(token), tokenHash: hashToken(token) } });

    const { createConnection } = await gql<{ createConnection: { id: string; status: string; lastError: string | null } }>(CreateConnection, {
      input: { integrationKey: 'twilio', name: 'SMS', authMode: 'API_KEY', credentials: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, config: { baseUrl: twilio.url } },
    });
    expect(createConnection).toMatchObject({ status: 'ACTIVE', lastError: null });
    smsConnectionId = createConnection.id;
    for (const member of MEMBERS) await gql(CreateTeamMember, { input: member });
  }, 180_000);

  afterAll(async () => {
    await children.stopAll();
    if (db && orgId) await db.prisma.organization.delete({ where: { id: orgId } }).catch(() => undefined);
    await db?.close();
    await temporal?.close();
    await Promise.all([twilio?.close(), app?.close(), slowApp?.close()]);
    await scratch?.drop();
  });

  it('killed during a delay: the new worker resumes after the completed steps and repeats none of them', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: {
        name: 'Lead, then a follow-up',
        enabled: true,
        trigger: { type: 'manual' },
        steps: [
          { key: 'assign', type: 'assign_team_member' },
          {
            key: 'sms_member',
            type: 'action',
            connectionId: smsConnectionId,
            action: 'send_sms',
            input: { to: '{{ steps.assign.output.team_member_phone }}', from: FROM, body: 'case1: new lead {{ trigger.name }} for {{ steps.assign.output.team_member_name }}' },
          },
          { key: 'wait', type: 'delay', duration: '5s' },
          {
            key: 'tell_app',
            type: 'send_webhook',
            url: `${app.url}/leads`,
            body: { lead: '{{ trigger.name }}', member: '{{ steps.assign.output.team_member_id }}', sms: '{{ steps.sms_member.output.sid }}' },
          },
          {
            key: 'sms_contact',
            type: 'action',
            connectionId: smsConnectionId,
            action: 'send_sms',
            input: { to: '{{ trigger.phone }}', from: FROM, body: 'case1: {{ steps.assign.output.team_member_name }} will call you, {{ trigger.name }}' },
          },
        ],
      },
    });
    const { runFlow } = await gql<{ runFlow: { id: string; workflowId: string } }>(RunFlow, { id: createFlow.id, payload: { name: 'John Doe', phone: '+14155550123' }, key: `crash-delay-${randomUUID()}` });
    const runId = dbId(runFlow.id);

    // The run sleeps in the delay: assign and the member's SMS are done.
    await waitForRun(gql, runFlow.id, { timeoutMs: 120_000, done: (r) => runStep(r, 'wait')?.status === 'WAITING' || ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(r.status) });
    // The step's activity writes WAITING before it returns: wait for the workflow's timer too, so the
    // kill lands in the delay and not before the activity's completion reached Temporal (which would
    // retry it on the new worker). A loaded machine can be seconds behind here.
    await waitForTimer(runFlow.workflowId);
    const oldWorker = worker;
    await kill(oldWorker);
    // Nothing moves while no worker runs: this is the state the worker died in.
    const atKill = await readRun(runFlow.id);
    expect(stepStatuses(atKill), 'the worker must die during the delay (too slow a machine?)').toEqual(['assign:SUCCEEDED', 'sms_member:SUCCEEDED', 'wait:WAITING']);
    expect(twilio.messages.filter((m) => String(m.body).startsWith('case1:'))).toHaveLength(1);

    worker = await start('worker', 0);
    const run = await waitForRun(gql, runFlow.id, { timeoutMs: 120_000 });
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(stepStatuses(run)).toEqual(['assign:SUCCEEDED', 'sms_member:SUCCEEDED', 'wait:SUCCEEDED', 'tell_app:SUCCEEDED', 'sms_contact:SUCCEEDED']);
    for (const step of run.steps) expect(step.attempts, step.key).toBe(1);
    // The completed steps' records are those written before the crash.
    for (const key of ['assign', 'sms_member']) expect(runStep(run, key).output).toEqual(runStep(atKill, key).output);

    // The workflow history: each step's activity started once; the new worker started only the steps after the delay.
    const starts = await activityStarts(runFlow.workflowId);
    expect(starts.map((s) => s.step)).toEqual(['assign', 'sms_member', 'wait', 'tell_app', 'sms_contact']);
    expect(starts.map((s) => [s.step, s.attempt, s.pid])).toEqual([
      ['assign', 1, oldWorker.pid],
      ['sms_member', 1, oldWorker.pid],
      ['wait', 1, oldWorker.pid],
      ['tell_app', 1, worker.pid],
      ['sms_contact', 1, worker.pid],
    ]);

    // One round-robin pick for the run.
    const assignments = await db.prisma.teamAssignment.findMany({ where: { runId } });
    expect(assignments).toHaveLength(1);
    const { teamMembers } = await gql<{ teamMembers: Array<{ id: string; name: string; assignmentCount: number }> }>(TeamMembers);
    expect(teamMembers.reduce((sum, m) => sum + m.assignmentCount, 0)).toBe(1);
    const assigned = runStep(run, 'assign').output as { team_member_id: string; team_member_name: string; team_member_phone: string };
    expect(teamMembers.find((m) => m.id === assigned.team_member_id)?.assignmentCount).toBe(1);
    expect(dbId(assigned.team_member_id)).toBe(assignments[0]!.teamMemberId);

    // Twilio: the member's SMS once (not again after the crash), then the contact's.
    const sent = twilio.messages.filter((m) => String(m.body).startsWith('case1:'));
    expect(sent.map((m) => [m.to, m.body])).toEqual([
      [assigned.team_member_phone, `case1: new lead John Doe for ${assigned.team_member_name}`],
      ['+14155550123', `case1: ${assigned.team_member_name} will call you, John Doe`],
    ]);
    expect((runStep(run, 'sms_member').output as { sid: string }).sid).toBe(sent[0]!.sid);

    // The app: the webhook exactly once, with what the steps before the crash produced.
    expect(app.requests).toHaveLength(1);
    expect(app.requests[0]!.headers['idempotency-key']).toBe(`msg_${runId}_tell_app`);
    expect(JSON.parse(app.requests[0]!.body)).toEqual({ lead: 'John Doe', member: assigned.team_member_id, sms: sent[0]!.sid });
  }, 300_000);

  it('killed during a send_webhook call: only that step is attempted again, with the same idempotency key', async () => {
    const { createFlow } = await gql<{ createFlow: { id: string } }>(CreateFlow, {
      input: {
        name: 'Lead, slow app',
        enabled: true,
        trigger: { type: 'manual' },
        steps: [
          { key: 'assign', type: 'assign_team_member' },
          {
            key: 'sms_member',
            type: 'action',
            connectionId: smsConnectionId,
            action: 'send_sms',
            input: { to: '{{ steps.assign.output.team_member_phone }}', from: FROM, body: 'case2: new lead {{ trigger.name }}' },
          },
          { key: 'tell_app', type: 'send_webhook', url: `${slowApp.url}/leads`, body: { lead: '{{ trigger.name }}', member: '{{ steps.assign.output.team_member_id }}' } },
          { key: 'done', type: 'send_webhook', url: `${app.url}/done`, body: { lead: '{{ trigger.name }}', app: '{{ steps.tell_app.output.body.received }}' } },
        ],
      },
    });
    const before = await gql<{ teamMembers: Array<{ assignmentCount: number }> }>(TeamMembers);
    const assignedBefore = before.teamMembers.reduce((sum, m) => sum + m.assignmentCount, 0);
    const { runFlow } = await gql<{ runFlow: { id: string; workflowId: string } }>(RunFlow, { id: createFlow.id, payload: { name: 'Jane Roe' }, key: `crash-inflight-${randomUUID()}` });
    const runId = dbId(runFlow.id);

    // The request is at the app, which has not answered yet: kill the worker now.
    await waitFor(() => slowApp.requests.length >= 1, 'the send_webhook request at the slow app');
    const oldWorker = worker;
    await kill(oldWorker);
    const atKill = await readRun(runFlow.id);
    expect(stepStatuses(atKill)).toEqual(['assign:SUCCEEDED', 'sms_member:SUCCEEDED', 'tell_app:RUNNING']);
    expect(runStep(atKill, 'tell_app').attempts).toBe(1);

    // The in-flight attempt is retried once its heartbeat timeout (30 s) passes.
    worker = await start('worker', 0);
    const run = await waitForRun(gql, runFlow.id, { timeoutMs: 150_000 });
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(stepStatuses(run)).toEqual(['assign:SUCCEEDED', 'sms_member:SUCCEEDED', 'tell_app:SUCCEEDED', 'done:SUCCEEDED']);
    expect(run.steps.map((s) => [s.key, s.attempts])).toEqual([
      ['assign', 1],
      ['sms_member', 1],
      ['tell_app', 2],
      ['done', 1],
    ]);
    expect(runStep(run, 'tell_app').output).toMatchObject({ status: 200, body: { ok: true, received: 2 } });

    // (Temporal records a retried activity's start once, for the attempt that ended it.)
    const starts = await activityStarts(runFlow.workflowId);
    expect(starts.map((s) => [s.step, s.attempt, s.pid])).toEqual([
      ['assign', 1, oldWorker.pid],
      ['sms_member', 1, oldWorker.pid],
      ['tell_app', 2, worker.pid],
      ['done', 1, worker.pid],
    ]);

    // The slow app got the same request twice: same idempotency key, same body.
    expect(slowApp.requests).toHaveLength(2);
    for (const req of slowApp.requests) {
      expect(req.headers['idempotency-key']).toBe(`msg_${runId}_tell_app`);
      expect(req.body).toBe(slowApp.requests[0]!.body);
    }
    // The completed steps were not repeated: one pick, one SMS.
    expect(await db.prisma.teamAssignment.count({ where: { runId } })).toBe(1);
    const after = await gql<{ teamMembers: Array<{ assignmentCount: number }> }>(TeamMembers);
    expect(after.teamMembers.reduce((sum, m) => sum + m.assignmentCount, 0)).toBe(assignedBefore + 1);
    expect(twilio.messages.filter((m) => String(m.body).startsWith('case2:'))).toHaveLength(1);
    expect(app.requests.filter((r) => r.url === '/done')).toHaveLength(1);
  }, 300_000);
});
