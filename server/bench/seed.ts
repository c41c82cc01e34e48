// Benchmark data, written straight through Prisma: one organization that looks like a real
// tenant (an OWNER token, 5 HTTP connections, a few hundred runs with realistic JSON payloads)
// plus a smaller second organization, so the `orgId` filter has rows to skip.
// Deterministic (no Math.random): every run of the benchmark sees the same data and the same
// response bytes, which lets autocannon compare every response against the verified one.
import { randomBytes } from 'node:crypto';
import type { Database, Prisma, RunStatus } from '@patchbay/db';
import { generateToken, hashToken, tokenPrefix } from '../src/services/tokens.ts';

export interface SeededData {
  orgId: string;
  /** Bearer secret of the OWNER token (only its hash is stored). */
  token: string;
  connectionIds: string[];
  runs: number;
  otherOrgRuns: number;
}

const SERVICES = ['billing', 'crm', 'inventory', 'shipping', 'support'] as const;
const ACTIONS = ['get_json', 'post_json', 'send_request'] as const;
// 20 slots → 70 % SUCCEEDED, 15 % FAILED, 5 % each RUNNING / QUEUED / CANCELLED.
const STATUS_CYCLE: RunStatus[] = [
  ...Array<RunStatus>(14).fill('SUCCEEDED'),
  'FAILED', 'FAILED', 'FAILED', 'RUNNING', 'QUEUED', 'CANCELLED',
];

export async function seedBenchData(db: Database, { runs = 240, otherOrgRuns = 60 } = {}): Promise<SeededData> {
  const { prisma } = db;
  const suffix = randomBytes(4).toString('hex');
  const org = await prisma.organization.create({ data: { slug: `bench-${suffix}`, name: 'Bench Org' } });
  const user = await prisma.user.create({ data: { email: `owner@bench-${suffix}.test`, name: 'Bench Owner' } });
  await prisma.membership.create({ data: { orgId: org.id, userId: user.id, role: 'OWNER' } });

  const token = generateToken();
  await prisma.apiToken.create({
    data: {
      orgId: org.id,
      userId: user.id,
      name: 'bench owner token',
      role: 'OWNER',
      prefix: tokenPrefix(token),
      tokenHash: hashToken(token),
      // "Used just now": authenticate() then skips its at-most-once-a-minute lastUsedAt write,
      // which would otherwise land (fire-and-forget) inside the statement-counting window.
      lastUsedAt: new Date(),
    },
  });

  const connectionIds = await createConnections(db, org.id);
  await createRuns(db, org.id, connectionIds, runs);

  // A neighbour tenant: its rows must never show up, and the indexes have to skip them.
  const other = await prisma.organization.create({ data: { slug: `bench-other-${suffix}`, name: 'Other Org' } });
  const otherConnections = await createConnections(db, other.id, 2);
  await createRuns(db, other.id, otherConnections, otherOrgRuns);

  return { orgId: org.id, token, connectionIds, runs, otherOrgRuns };
}

async function createConnections(db: Database, orgId: string, count: number = SERVICES.length): Promise<string[]> {
  const ids: string[] = [];
  for (const service of SERVICES.slice(0, count)) {
    const connection = await db.prisma.connection.create({
      data: {
        orgId,
        integrationKey: 'http',
        name: `${service[0]!.toUpperCase()}${service.slice(1)} API`,
        authMode: 'API_KEY',
        status: 'ACTIVE',
        config: {
          baseUrl: `https://${service}.example.com/api/v2`,
          headerName: 'X-Api-Key',
          timeoutMs: 15_000,
          retry: { maxAttempts: 3, backoff: 'exponential' },
        },
        // Opaque stand-in for vault ciphertext, so the row has its real width (never exposed by the API).
        credentials: `v1:k1:${Buffer.from(`${service}-secret-${'x'.repeat(40)}`).toString('base64')}`,
      },
    });
    ids.push(connection.id);
  }
  return ids;
}

async function createRuns(db: Database, orgId: string, connectionIds: string[], count: number) {
  const now = Date.now();
  const rows: Prisma.RunCreateManyInput[] = [];
  for (let i = 0; i < count; i++) {
    const status = STATUS_CYCLE[i % STATUS_CYCLE.length]!;
    const action = ACTIONS[i % ACTIONS.length]!;
    const createdAt = new Date(now - (count - i) * 60_000); // one a minute, newest last
    const startedAt = status === 'QUEUED' ? null : new Date(createdAt.getTime() + 120);
    const finished = status === 'SUCCEEDED' || status === 'FAILED' || status === 'CANCELLED';
    rows.push({
      orgId,
      kind: 'ACTION',
      status,
      action,
      connectionId: connectionIds[i % connectionIds.length]!,
      attempts: status === 'QUEUED' ? 0 : status === 'FAILED' ? 3 : 1 + (i % 7 === 0 ? 1 : 0),
      input: runInput(i, action),
      output: status === 'SUCCEEDED' ? runOutput(i) : undefined, // undefined = SQL NULL (Json fields refuse plain null)
      error: status === 'FAILED'
        ? `HTTP 502 from upstream after 3 attempts: Bad Gateway (request ${i})`
        : status === 'CANCELLED' ? 'Cancelled by an API token' : null,
      startedAt,
      finishedAt: finished && startedAt ? new Date(startedAt.getTime() + 200 + (i % 13) * 37) : null,
      createdAt,
    });
  }
  await db.prisma.run.createMany({ data: rows });
}

// ~300 bytes of JSON each, shaped like what an HTTP action really takes and returns.
function runInput(i: number, action: string): Prisma.InputJsonValue {
  return {
    method: action === 'get_json' ? 'GET' : 'POST',
    path: `/v2/customers/cus_${String(100000 + i)}/invoices`,
    query: { expand: ['lines', 'customer'], limit: 25 },
    headers: { 'content-type': 'application/json', 'idempotency-key': `bench-${i}` },
    body: {
      amount: 1000 + i * 13,
      currency: 'EUR',
      description: `Monthly subscription, seat tier ${(i % 4) + 1}`,
      lines: [{ sku: `SKU-${i % 17}`, quantity: (i % 5) + 1 }],
    },
  };
}

function runOutput(i: number): Prisma.InputJsonValue {
  return {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-request-id': `req_${(i * 2654435761 >>> 0).toString(16)}` },
    body: {
      id: `in_${(i * 40503 + 7).toString(36)}`,
      object: 'invoice',
      amount_due: 1000 + i * 13,
      currency: 'eur',
      status: 'open',
      created: 1_760_000_000 + i * 60,
      lines: { object: 'list', total_count: 1, has_more: false },
    },
  };
}
