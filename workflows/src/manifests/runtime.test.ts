import { describe, expect, it } from 'vitest';
import { nextLink } from '../syncs/sources.ts';
import { contentHash } from '../activities/syncs.ts';
import { applyHostOverride, conditionMet, manifestScope, parseHostOverrides, renderValue } from './runtime.ts';

describe('host overrides', () => {
  it('parses the setting and maps a provider host, keeping path and query', () => {
    const overrides = parseHostOverrides(' app.asana.com=http://127.0.0.1:4010 , api.bamboohr.com=https://proxy.internal/bamboo ,broken');
    expect(overrides).toEqual({ 'app.asana.com': 'http://127.0.0.1:4010', 'api.bamboohr.com': 'https://proxy.internal/bamboo' });
    expect(applyHostOverride('https://app.asana.com/api/1.0/users/a@b.c?opt=1', overrides).toString()).toBe('http://127.0.0.1:4010/api/1.0/users/a@b.c?opt=1');
    expect(applyHostOverride('https://api.bamboohr.com/api/gateway.php/x', overrides).toString()).toBe('https://proxy.internal/bamboo/api/gateway.php/x');
    expect(applyHostOverride('https://other.example.com/x', overrides).toString()).toBe('https://other.example.com/x');
    expect(() => applyHostOverride('not a url', overrides)).toThrow(/Invalid URL/);
  });
});

describe('templates', () => {
  const scope = manifestScope({
    initialData: { TOKEN: 't0k', ORG: '12' },
    form: { TEAM_ID: 'team-1' },
    subject: { email: 'a@b.c', first_name: 'Ada' },
    stored: { ASANA_ID: 'u-9', email: 'stale@b.c' },
    responses: [{ data: { gid: 'g-1', tags: ['x', 'y'] } }],
  });

  it('renders ChiefOnboarding variables: initial data, form, subject, stored data, responses.N', async () => {
    expect(await renderValue({ url: 'https://x/{{ORG}}/teams/{{ TEAM_ID }}', body: { user: '{{email}}', id: '{{ responses.0.data.gid }}', who: '{{ ASANA_ID }}' } }, scope)).toEqual({
      url: 'https://x/12/teams/team-1',
      body: { user: 'a@b.c', id: 'g-1', who: 'u-9' },
    });
  });

  it('refuses unknown variables instead of sending an empty string', async () => {
    await expect(renderValue('{{ MISSING }}', scope)).rejects.toThrow(/Unknown variable "MISSING"/);
  });

  it('keeps the type of a whole-variable string for custom tools, and leaves out a missing one', async () => {
    expect(await renderValue({ select: '{{ responses.0.data.tags }}', missing: '{{ nothing }}', text: 'n={{ ORG }}' }, scope, { keepTypes: true })).toEqual({ select: ['x', 'y'], missing: undefined, text: 'n=12' });
  });
});

describe('continue_if, Link headers and content hashes', () => {
  it('compares the value at the dot path as text', () => {
    expect(conditionMet({ detail: { status: 'done' } }, { response_notation: 'detail.status', value: 'done' })).toBe(true);
    expect(conditionMet({ detail: { status: 'running' } }, { response_notation: 'detail.status', value: 'done' })).toBe(false);
    expect(conditionMet({ count: 3 }, { response_notation: 'count', value: '3' })).toBe(true);
    expect(conditionMet({}, { response_notation: 'detail.status', value: 'done' })).toBe(false);
  });

  it('finds rel="next" in a Link header (RFC 8288), relative targets resolved', () => {
    const header = '<https://api.github.com/user/repos?page=3&per_page=100>; rel="next", <https://api.github.com/user/repos?page=50>; rel="last"';
    expect(nextLink(header, 'https://api.github.com/user/repos')).toBe('https://api.github.com/user/repos?page=3&per_page=100');
    expect(nextLink('</items?cursor=abc>; rel="next"', 'https://x.test/items')).toBe('https://x.test/items?cursor=abc');
    expect(nextLink('<https://x/p1>; rel="prev"', 'https://x/')).toBeNull();
    expect(nextLink(undefined, 'https://x/')).toBeNull();
  });

  it('hashes content independently of key order', () => {
    expect(contentHash({ a: 1, b: { c: [1, 2], d: null } })).toBe(contentHash({ b: { d: null, c: [1, 2] }, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
    expect(contentHash([1, 2])).not.toBe(contentHash([2, 1]));
  });
});
