import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDefinition, readDotPath } from './schema.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixture = (name: string) => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

describe('manifest schema', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  it('finds the published fixtures', () => expect(files.sort()).toEqual(['import_user_manifest.json', 'manifest.json', 'sync_user_manifest.json']));

  it.each(files)('accepts %s unchanged', (name) => {
    const parsed = parseDefinition(fixture(name));
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
    expect(parsed.ok && parsed.value.kind).toBe('MANIFEST');
  });

  it('applies the documented defaults', () => {
    const parsed = parseDefinition(fixture('manifest.json'));
    if (!parsed.ok || parsed.value.kind !== 'MANIFEST') throw new Error('expected a manifest');
    const m = parsed.value.manifest;
    expect(m.form[0]).toMatchObject({ id: 'TEAM_ID', method: 'POST', choice_value: 'gid', choice_name: 'name', data_from: 'data' });
    expect(m.exists?.fail_when_4xx_response_code).toBe(true);
    expect(m.amount_pages_to_fetch).toBe(5);
    expect(m.initial_data_form.map((i) => i.id)).toEqual(['TOKEN', 'ORG']);
  });

  it('names the exact path of every problem', () => {
    const base = fixture('manifest.json');
    const execute = base.execute as Array<Record<string, unknown>>;
    const parsed = parseDefinition({
      ...base,
      execute: [{ ...execute[0], polling: { interval: -5, amount: 1.5 } }, { ...execute[1], method: 'FETCH', files: { upload: 'nope.png' } }],
      form: [{ id: 'TEAM ID', name: 'x', type: 'choice' }],
      exists: { url: 'https://x', expected: 1 },
    });
    expect(parsed.ok).toBe(false);
    const paths = !parsed.ok ? parsed.issues.map((i) => i.path) : [];
    expect(paths).toEqual(
      expect.arrayContaining(['execute.0.polling.interval', 'execute.0.polling.amount', 'execute.1.method', 'form.0.id', 'exists.expected']),
    );
    const messages = !parsed.ok ? parsed.issues : [];
    expect(messages.find((i) => i.path === 'execute.0.polling.interval')?.message).toMatch(/positive/);
  });

  it('refuses unknown keys, missing execute, and update syncs without a schedule', () => {
    const bad = parseDefinition({ execute: [{ url: 'https://x', methd: 'GET' }] });
    expect(!bad.ok && bad.issues).toEqual([{ path: 'execute.0', message: expect.stringMatching(/methd/) }]);
    const empty = parseDefinition({ form: [] });
    expect(!empty.ok && empty.issues.map((i) => i.path)).toContain('execute');
    const { schedule: _schedule, ...unscheduled } = fixture('sync_user_manifest.json');
    const sync = parseDefinition(unscheduled);
    expect(!sync.ok && sync.issues).toEqual([{ path: 'schedule', message: 'an update sync needs a schedule (it is never run by hand)' }]);
  });

  it('accepts Engrami custom tools (one tool or a list) and reports their paths', () => {
    const tool = {
      name: 'lookup_customer',
      description: 'Look up customer information by email or ID',
      parameters: { type: 'object', properties: { identifier: { type: 'string' } }, required: ['identifier'] },
      endpoint: { url: 'https://your-api.com/customers/lookup', method: 'POST', headers: { Authorization: 'Bearer {{secrets.CRM_API_KEY}}' }, body_template: { query: '{{identifier}}' } },
      output_mapping: { ticket_id: '$.id' },
    };
    const one = parseDefinition(tool);
    expect(one.ok && one.value.kind).toBe('CUSTOM_TOOL');
    const bad = parseDefinition({ tools: [tool, { ...tool, name: 'Bad Name', endpoint: { method: 'POST' } }] });
    expect(!bad.ok && bad.issues.map((i) => i.path).sort()).toEqual(['tools.1.endpoint.url', 'tools.1.name']);
  });

  it('reads dot paths', () => {
    expect(readDotPath({ data: { options: { items: [1, { id: 7 }] } } }, 'data.options.items.1.id')).toBe(7);
    expect(readDotPath({ a: 1 }, 'b.c')).toBeUndefined();
    expect(readDotPath([1], '')).toEqual([1]);
  });
});
