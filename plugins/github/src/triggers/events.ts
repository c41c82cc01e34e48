// GitHub webhook deliveries (repository, organization or App webhooks). The hub has already
// checked X-Hub-Signature-256 with the endpoint's secret (scheme GITHUB) before handle runs.
import { emitterEventNames, type EmitterWebhookEventName } from '@octokit/webhooks';
import { defineTrigger, PermanentError, z, type TriggerRequest } from '@patchbay/sdk';

const knownNames = new Set<string>(emitterEventNames);

export const githubEvent = z.object({
  name: z.string().describe('The event, with its action when it has one: "issues.opened", "push", "pull_request.closed"'),
  event: z.string().describe('The X-GitHub-Event header: "issues", "push", …'),
  action: z.string().nullable().describe("The payload's action, when the event has one"),
  delivery_id: z.string().nullable().describe('X-GitHub-Delivery: unique per delivery (redeliveries keep it)'),
  hook_id: z.string().nullable().describe('X-GitHub-Hook-ID: the webhook that sent it'),
  repository: z.string().nullable().describe('owner/name of the repository, when the event has one'),
  sender: z.string().nullable().describe('Login of the user who caused the event'),
  installation_id: z.number().nullable().describe('The GitHub App installation, for App webhooks'),
  payload: z.record(z.string(), z.unknown()).describe('The payload exactly as GitHub sent it'),
});

export type GithubEvent = z.output<typeof githubEvent>;

const settings = z.object({
  events: z
    .array(
      z
        .string()
        .refine((name) => knownNames.has(name), 'is not a GitHub webhook event name (e.g. "issues" or "issues.opened")'),
    )
    .optional()
    .describe('Only emit these events; "issues" matches every issues action, "issues.opened" only that one. Empty or absent: all events'),
});

/** The event a delivery carries, named the way @octokit/webhooks names it. */
export function eventOf(request: TriggerRequest): GithubEvent {
  const event = request.headers['x-github-event'];
  if (!event) throw new PermanentError('missing X-GitHub-Event header: not a GitHub webhook delivery');
  if (!knownNames.has(event)) throw new PermanentError(`X-GitHub-Event "${event}" is not a GitHub webhook event`);
  const payload = request.body;
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new PermanentError('the delivery body is not a JSON object (set the webhook content type to application/json)');
  }
  const body = payload as Record<string, unknown> & {
    action?: unknown;
    repository?: { full_name?: unknown };
    sender?: { login?: unknown };
    installation?: { id?: unknown };
  };
  const action = typeof body.action === 'string' ? body.action : null;
  const withAction = action ? `${event}.${action}` : event;
  return {
    name: knownNames.has(withAction) ? (withAction as EmitterWebhookEventName) : event,
    event,
    action,
    delivery_id: request.headers['x-github-delivery'] ?? null,
    hook_id: request.headers['x-github-hook-id'] ?? null,
    repository: typeof body.repository?.full_name === 'string' ? body.repository.full_name : null,
    sender: typeof body.sender?.login === 'string' ? body.sender.login : null,
    installation_id: typeof body.installation?.id === 'number' ? body.installation.id : null,
    payload: body,
  };
}

export const events = defineTrigger({
  key: 'events',
  displayName: 'GitHub webhook events',
  description: 'Receives repository, organization or GitHub App webhook deliveries (issues, pull requests, pushes, …) signed with the webhook secret.',
  kind: 'WEBHOOK',
  verification: 'GITHUB',
  settings,
  output: githubEvent,
  respond(request) {
    // The ping GitHub sends when a webhook is created proves the URL and secret; nothing to store.
    if (request.headers['x-github-event'] === 'ping') return { status: 200, body: { ok: true, zen: 'pong' }, handshake: true };
    return { status: 202, body: { ok: true } };
  },
  async handle(request, ctx) {
    const event = eventOf(request);
    const wanted = ctx.settings.events;
    if (wanted?.length && !wanted.includes(event.event) && !wanted.includes(event.name)) return { events: [] };
    return { events: [event] };
  },
});
