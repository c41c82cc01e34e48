import { Webhooks } from '@octokit/webhooks';
import { deliverTrigger } from '@patchbay/sdk/testing';
import { describe, expect, it } from 'vitest';
import githubPlugin from '../index.ts';

const SECRET = 'whsec-github-test-secret';
const webhooks = new Webhooks({ secret: SECRET });

const issuePayload = {
  action: 'opened',
  issue: { number: 7, title: 'Checkout is broken', html_url: 'https://github.com/acme/widgets/issues/7' },
  repository: { id: 1, full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' } },
  sender: { login: 'octocat', id: 1 },
  installation: { id: 77 },
};

async function deliver(event: string, payload: unknown, options: { secret?: string; settings?: unknown; signWith?: string } = {}) {
  const rawBody = JSON.stringify(payload);
  const signature = await new Webhooks({ secret: options.signWith ?? SECRET }).sign(rawBody);
  return deliverTrigger(githubPlugin, 'events', {
    headers: {
      'Content-Type': 'application/json',
      'X-GitHub-Event': event,
      'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'X-GitHub-Hook-ID': '123456',
      'X-Hub-Signature-256': signature,
      'User-Agent': 'GitHub-Hookshot/044aadd',
    },
    rawBody,
    secret: options.secret ?? SECRET,
    settings: options.settings,
  });
}

describe('events trigger', () => {
  it('turns a signed issues delivery into one issues.opened event', async () => {
    const delivery = await deliver('issues', issuePayload);
    expect(delivery.verification.ok).toBe(true);
    expect(delivery.response).toEqual({ status: 202, body: { ok: true } });
    expect(delivery.events).toEqual([
      {
        name: 'issues.opened',
        event: 'issues',
        action: 'opened',
        delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        hook_id: '123456',
        repository: 'acme/widgets',
        sender: 'octocat',
        installation_id: 77,
        payload: issuePayload,
      },
    ]);
  });

  it('names events without an action by the event alone (push)', async () => {
    const push = { ref: 'refs/heads/main', before: 'a', after: 'b', repository: { full_name: 'acme/widgets' }, sender: { login: 'octocat' }, commits: [] };
    const delivery = await deliver('push', push);
    expect(delivery.events).toMatchObject([{ name: 'push', event: 'push', action: null, repository: 'acme/widgets' }]);
  });

  it('keeps an action @octokit/webhooks does not know under the bare event name', async () => {
    const delivery = await deliver('issues', { ...issuePayload, action: 'brand_new_action' });
    expect(delivery.events).toMatchObject([{ name: 'issues', action: 'brand_new_action' }]);
  });

  it('rejects a delivery signed with another secret and emits nothing', async () => {
    const delivery = await deliver('issues', issuePayload, { signWith: 'not-the-secret' });
    expect(delivery.verification).toEqual({ ok: false, reason: 'X-Hub-Signature-256 does not match the payload' });
    expect(delivery.events).toEqual([]);
  });

  it('rejects a body altered after signing', async () => {
    const rawBody = JSON.stringify(issuePayload);
    const delivery = await deliverTrigger(githubPlugin, 'events', {
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-hub-signature-256': await webhooks.sign(rawBody) },
      rawBody: rawBody.replace('octocat', 'mallory'),
      secret: SECRET,
    });
    expect(delivery.verification.ok).toBe(false);
    expect(delivery.events).toEqual([]);
  });

  it('answers the ping GitHub sends on webhook creation as a handshake, storing nothing', async () => {
    const delivery = await deliver('ping', { zen: 'Keep it logically awesome.', hook_id: 123456, hook: { type: 'Repository' } });
    expect(delivery.response).toMatchObject({ status: 200, handshake: true });
    expect(delivery.events).toEqual([]);
  });

  it('filters by the events setting (event or event.action)', async () => {
    expect((await deliver('issues', issuePayload, { settings: { events: ['issues.closed'] } })).events).toEqual([]);
    expect((await deliver('issues', issuePayload, { settings: { events: ['issues'] } })).events).toHaveLength(1);
    expect((await deliver('issues', issuePayload, { settings: { events: ['pull_request', 'issues.opened'] } })).events).toHaveLength(1);
  });

  it('refuses settings that name no GitHub event', async () => {
    await expect(deliver('issues', issuePayload, { settings: { events: ['isues.opened'] } })).rejects.toThrow(/events\.0: is not a GitHub webhook event name/);
  });

  it('refuses an X-GitHub-Event that is not a GitHub event', async () => {
    await expect(deliver('not_an_event', issuePayload)).rejects.toThrow(/X-GitHub-Event "not_an_event" is not a GitHub webhook event/);
  });
});
