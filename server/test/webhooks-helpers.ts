// Shared by the incoming-webhook tests: GraphQL documents, posting to /hooks, waiting for events.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { expect } from 'vitest';
import { graphql } from './gql/index.ts';
import type { GqlResult, TestHub } from './harness.ts';

export const CreateEndpoint = graphql(`
  mutation HooksCreateEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { id name url verification createdAt enabled headerName options transform target maxBodyBytes rateLimitPerMinute } }
  }
`);
export const UpdateEndpoint = graphql(`
  mutation HooksUpdateEndpoint($id: ID!, $input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(id: $id, input: $input) { id enabled name transform target rateLimitPerMinute }
  }
`);
export const DeleteEndpoint = graphql(`mutation HooksDeleteEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) { id name } }`);
export const Endpoints = graphql(`
  query HooksEndpoints($first: Int) { webhookEndpoints(first: $first) { edges { node { id name url verification enabled } } pageInfo { hasNextPage endCursor } } }
`);
export const EndpointById = graphql(`query HooksEndpoint($id: ID!) { webhookEndpoint(id: $id) { id name url verification target } }`);
export const Events = graphql(`
  query HooksEvents($endpointId: ID, $status: WebhookEventStatus, $first: Int) {
    webhookEvents(endpointId: $endpointId, status: $status, first: $first) {
      edges { node { id status verification messageId contentType headers payload output error receivedAt dispatchedAt processedAt endpoint { id } } }
    }
  }
`);
export const HooksFeed = graphql(`
  query HooksFeed($filter: ActivityFilter) { activity(filter: $filter, first: 200) { edges { node { type message data runId } } } }
`);
export const HooksRun = graphql(`query HooksRun($id: ID!) { run(id: $id) { id status input output error action } }`);

/** The endpoint's local id, from its public URL (/hooks/<id>). */
export const hookPath = (url: string) => new URL(url).pathname;

export interface HookResponse {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function postHook(hub: TestHub, url: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<HookResponse> {
  const res = await fetch(`${hub.url}${hookPath(url)}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: body as BodyInit });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls the event row until `done` says so. */
export async function waitForEvent(hub: TestHub, eventId: string, done = (status: string) => status === 'PROCESSED' || status === 'FAILED', timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const event = await hub.db.prisma.webhookEvent.findUnique({ where: { id: eventId } });
    if (event && done(event.status)) return event;
    if (Date.now() > deadline) throw new Error(`event ${eventId} still ${event?.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function ok<T, V>(hub: TestHub, doc: TypedDocumentNode<T, V>, variables: V, token: string, sink?: unknown[]): Promise<T> {
  const result: GqlResult<T> = await hub.gql(doc, variables, token);
  sink?.push(result);
  expect(result.errors).toBeUndefined();
  return result.data!;
}
