// Walks every query, mutation and subscription of the printed schema and proves that a token
// of organization A never reads or changes anything of organization B, and that a missing or
// revoked token gets UNAUTHENTICATED everywhere. New fields are covered without editing this file.
import { readFileSync } from 'node:fs';
import { encodeGlobalID } from '@pothos/plugin-relay';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaFile } from '../src/print-schema.ts';
import { startRun } from '../src/services/runs.ts';
import { testKitPlugin } from './fixtures/test-kit-plugin.ts';
import { TestHub, type TestOrg } from './harness.ts';

const printed: GraphQLSchema = buildSchema(readFileSync(schemaFile, 'utf8'));
const PROBE = 'tenant-probe';
const ALLOWED_ERROR_CODES = ['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN', 'CONFLICT'];

let hub: TestHub;
let orgA: TestOrg;
let orgB: TestOrg;
/** Global ids of everything organization B owns, and strings that only B's data contains. */
let victimIds: string[] = [];
let victimMarkers: string[] = [];
let revokedTokenA: string;

async function snapshotOf(orgId: string) {
  const { prisma } = hub.db;
  const [org, memberships, tokens, connections, runs, events] = await Promise.all([
    prisma.organization.findUnique({ where: { id: orgId } }),
    prisma.membership.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    prisma.apiToken.findMany({ where: { orgId }, orderBy: { id: 'asc' }, omit: { lastUsedAt: true } }),
    prisma.connection.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    prisma.run.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    prisma.activityEvent.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
  ]);
  return JSON.stringify({ org, memberships, tokens, connections, runs, events });
}

async function seedOrg(org: TestOrg): Promise<{ ids: string[]; markers: string[] }> {
  const { prisma } = hub.db;
  const connection = await prisma.connection.create({
    data: { orgId: org.id, integrationKey: 'test-kit', name: `victim-connection-${org.slug}`, authMode: 'NONE', status: 'ACTIVE', config: { baseUrl: `https://${org.slug}.example` } },
  });
  const run = await startRun(hub.hub, {
    orgId: org.id, kind: 'ACTION', action: 'echo', connectionId: connection.id, integrationKey: 'test-kit',
    input: { message: `victim-message-${org.slug}` },
  });
  await hub.hub.temporal.client.workflow.getHandle(`run/${run.id}`).result();
  const events = await prisma.activityEvent.findMany({ where: { orgId: org.id } });
  const ids: Array<[string, string]> = [
    ['Organization', org.id], ['User', org.userId], ['Connection', connection.id], ['Run', run.id],
    ...Object.values(org.tokenIds).map((id) => ['ApiToken', id] as [string, string]),
    ...events.map((e) => ['ActivityEvent', e.id] as [string, string]),
  ];
  const globalIds = ids.map(([type, id]) => encodeGlobalID(type, id));
  return {
    ids: globalIds,
    markers: [...ids.map(([, id]) => id), ...globalIds, org.slug, connection.name, `owner@${org.slug}.test`, `victim-message-${org.slug}`],
  };
}

beforeAll(async () => {
  hub = await TestHub.start({ plugins: [testKitPlugin] });
  orgA = await hub.createOrg('attacker');
  orgB = await hub.createOrg('victim');
  ({ ids: victimIds, markers: victimMarkers } = await seedOrg(orgB));
  await seedOrg(orgA); // A has data of its own, so its queries return real rows
  const extra = await hub.createOrg('revoked');
  revokedTokenA = extra.tokens.OWNER;
  await hub.db.prisma.apiToken.updateMany({ where: { orgId: extra.id }, data: { revokedAt: new Date() } });
}, 180_000);
afterAll(() => hub?.stop());

// ---- operation builder -------------------------------------------------------------------------

function unwrap(type: GraphQLInputType | GraphQLOutputType) {
  return isNonNullType(type) ? type.ofType : type;
}

/** A literal for an input type; every ID position gets `id`. */
function literal(type: GraphQLInputType, id: string, depth = 0): string {
  const inner = unwrap(type) as GraphQLInputType;
  if (isListType(inner)) return `[${literal(inner.ofType, id, depth)}]`;
  const named = getNamedType(inner)!;
  if (isEnumType(named)) return named.getValues()[0]!.name;
  if (isInputObjectType(named)) {
    if (depth > 3) return '{}';
    const fields = Object.values(named.getFields()).map((f) => `${f.name}: ${literal(f.type, id, depth + 1)}`);
    return `{ ${fields.join(', ')} }`;
  }
  switch (named.name) {
    case 'ID': return JSON.stringify(id);
    case 'Int': return '5';
    case 'Float': return '1.5';
    case 'Boolean': return 'true';
    case 'DateTime': return JSON.stringify(new Date(Date.now() + 86_400_000).toISOString());
    case 'JSON': return `{ probe: ${JSON.stringify(PROBE)} }`;
    default: return JSON.stringify(`${PROBE}-value`);
  }
}

function mentionsId(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type)!;
  if (named.name === 'ID') return true;
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => mentionsId(f.type, seen));
}

function args(list: readonly GraphQLArgument[], id: string): string {
  // Optional pagination args are left out (their defaults are fine); everything else is filled.
  const chosen = list.filter((a) => isNonNullType(a.type) || !['first', 'last', 'after', 'before'].includes(a.name));
  return chosen.length ? `(${chosen.map((a) => `${a.name}: ${literal(a.type, id)}`).join(', ')})` : '';
}

function selection(type: GraphQLOutputType, depth: number, path: string[], aliasPrefix = '', aliased = new Set<string>()): string {
  const named = getNamedType(type) as GraphQLNamedType;
  if (isScalarType(named) || isEnumType(named)) return '';
  if (isInterfaceType(named) || isUnionType(named)) {
    // A field name whose type differs between members (e.g. status) is aliased per member.
    const members = printed.getPossibleTypes(named);
    const typesByField = new Map<string, Set<string>>();
    for (const member of members) {
      for (const f of Object.values(member.getFields())) typesByField.set(f.name, (typesByField.get(f.name) ?? new Set()).add(String(f.type)));
    }
    const conflicting = new Set([...typesByField].filter(([, types]) => types.size > 1).map(([name]) => name));
    const options = members.map((t) => `... on ${t.name} ${selection(t, depth, path, t.name, conflicting)}`);
    return `{ __typename ${options.join(' ')} }`;
  }
  if (!isObjectType(named)) return '';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const fieldNamed = getNamedType(field.type) as GraphQLNamedType;
    const name = aliased.has(field.name) ? `${aliasPrefix}_${field.name}: ${field.name}` : field.name;
    if (isScalarType(fieldNamed) || isEnumType(fieldNamed)) parts.push(name);
    else if (depth > 0 && !path.includes(fieldNamed.name)) parts.push(`${name} ${selection(field.type, depth - 1, [...path, named.name])}`);
  }
  return `{ ${parts.join(' ')} }`;
}

function operations(kind: 'query' | 'mutation' | 'subscription'): Array<{ field: string; doc: string }> {
  const root = kind === 'query' ? printed.getQueryType() : kind === 'mutation' ? printed.getMutationType() : printed.getSubscriptionType();
  const ops: Array<{ field: string; doc: string }> = [];
  for (const field of Object.values(root?.getFields() ?? {})) {
    const takesIds = field.args.some((a) => mentionsId(a.type));
    const ids = takesIds ? victimIds : [victimIds[0]!];
    for (const id of ids) {
      ops.push({ field: field.name, doc: `${kind} { ${field.name}${args(field.args, id)} ${selection(field.type, 4, [])} }` });
    }
  }
  return ops;
}

function leaks(result: unknown): string[] {
  const text = JSON.stringify(result);
  return victimMarkers.filter((marker) => text.includes(marker));
}

// ---- the walk ---------------------------------------------------------------------------------

describe('tenant isolation across the whole schema', () => {
  it('covers every root field of the printed schema', () => {
    const fields = ['query', 'mutation', 'subscription'] as const;
    for (const kind of fields) {
      const root = kind === 'query' ? printed.getQueryType() : kind === 'mutation' ? printed.getMutationType() : printed.getSubscriptionType();
      const covered = new Set(operations(kind).map((o) => o.field));
      expect([...covered].sort()).toEqual(Object.keys(root!.getFields()).sort());
    }
  });

  it('never shows organization B to a token of organization A, in any query or mutation', async () => {
    const before = await snapshotOf(orgB.id);
    const problems: string[] = [];
    let executed = 0;
    for (const op of [...operations('query'), ...operations('mutation')]) {
      const result = await hub.gql(op.doc, {}, orgA.tokens.OWNER);
      executed += 1;
      const leaked = leaks(result);
      if (leaked.length) problems.push(`${op.field} leaked ${leaked.join(', ')}: ${op.doc}`);
      for (const error of result.errors ?? []) {
        const code = String(error.extensions?.code);
        if (!ALLOWED_ERROR_CODES.includes(code)) problems.push(`${op.field} answered ${code} ${error.message}: ${op.doc}`);
      }
    }
    expect(problems).toEqual([]);
    expect(executed).toBeGreaterThan(victimIds.length);
    expect(await snapshotOf(orgB.id)).toBe(before);
  }, 180_000);

  it('answers UNAUTHENTICATED to a missing or revoked token for every query and mutation', async () => {
    const problems: string[] = [];
    for (const op of [...operations('query'), ...operations('mutation')]) {
      if (op.doc.includes(victimIds[1]!) || op.doc.includes(victimIds[2]!)) continue; // one variant per field is enough
      for (const token of [null, revokedTokenA]) {
        const result = await hub.gql(op.doc, {}, token);
        const codes = (result.errors ?? []).map((e) => e.extensions?.code);
        if (!codes.length || codes.some((c) => c !== 'UNAUTHENTICATED')) problems.push(`${op.field} (${token ? 'revoked' : 'no token'}) → ${JSON.stringify(result).slice(0, 200)}`);
        if (leaks(result).length) problems.push(`${op.field} leaked without a valid token`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('never streams organization B to a subscription of organization A', async () => {
    const subs = operations('subscription').map((op) => ({ op, sub: hub.subscribe(op.doc, {}, orgA.tokens.OWNER) }));
    const anonymous = operations('subscription').map((op) => hub.subscribe(op.doc, {}, null));
    await Promise.all(subs.map((s) => s.sub.ready));
    await new Promise((r) => setTimeout(r, 300));
    const more = await seedOrg(orgB); // B changes while A listens: new runs, run updates, activity
    victimMarkers.push(...more.markers);
    const problems: string[] = [];
    for (const { op, sub } of subs) {
      for (const result of await sub.drain(500)) {
        if (leaks(result).length) problems.push(`${op.field} streamed B data: ${JSON.stringify(result).slice(0, 200)}`);
        for (const error of result.errors ?? []) {
          if (!ALLOWED_ERROR_CODES.includes(String(error.extensions?.code))) problems.push(`${op.field}: ${error.message}`);
        }
      }
      await sub.close();
    }
    for (const sub of anonymous) {
      const result = await sub.next(5_000);
      expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await sub.close();
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
