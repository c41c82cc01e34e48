import { referencedSecrets, renderTemplate } from '@patchbay/sdk';
import { describe, expect, it } from 'vitest';
import { evaluateCondition, expandDooneFlowVariables, flowScope, renderStepTemplate } from './variables.ts';
import { describeIssues, FlowDefinitionSchema, normalizeTrigger, parseDuration } from './definition.ts';

const scope = flowScope({
  trigger: { contact_name: 'John Doe', amount: 120, tags: ['a'], nested: { x: 1 } },
  steps: [
    { key: 'assign', status: 'SUCCEEDED', output: { team_member_name: 'Ana', team_member_phone: '+14155550101' } },
    { key: 'broken', status: 'FAILED', output: { team_member_name: 'ignored' } },
  ],
  flow: { id: 'f1', name: 'Leads', version: 3 },
  runId: 'r1',
});

describe('flow variables', () => {
  it('offers DooneFlow flat variables from the trigger and succeeded steps only', () => {
    expect(scope.vars).toEqual({ contact_name: 'John Doe', amount: 120, team_member_name: 'Ana', team_member_phone: '+14155550101' });
  });

  it('renders {name}, {{ trigger.* }}, {{ steps.* }} and leaves secrets for the action', async () => {
    const input = { to: '{team_member_phone}', text: 'Hi {team_member_name}: {contact_name} ({{ trigger.amount }}) {unknown} {{ flow.name }} v{{ flow.version }}', auth: 'Bearer {{ secrets.KEY }}', n: '{amount}', out: '{{ steps.assign.output }}' };
    const rendered = await renderStepTemplate(input, scope, { escapeForRun: true });
    expect(rendered).toEqual({ to: '+14155550101', text: 'Hi Ana: John Doe (120) {unknown} Leads v3', auth: 'Bearer {{ secrets.KEY }}', n: 120, out: { team_member_name: 'Ana', team_member_phone: '+14155550101' } });
    expect(referencedSecrets(rendered)).toEqual(['KEY']);
  });

  it('never lets payload text become a template or a secret reference', async () => {
    const hostile = flowScope({ trigger: { name: '{{ secrets.KEY }} {secret}' }, steps: [], flow: { id: 'f', name: 'n', version: 1 }, runId: 'r' });
    const rendered = await renderStepTemplate({ text: 'Hello {name}', raw: '{{ trigger.name }}' }, hostile, { escapeForRun: true });
    expect(referencedSecrets(rendered)).toEqual([]);
    expect(await renderTemplate(rendered, { secrets: {} })).toEqual({ text: 'Hello {{ secrets.KEY }} {secret}', raw: '{{ secrets.KEY }} {secret}' });
  });

  it('only expands known names (all of them while checking a definition)', () => {
    expect(expandDooneFlowVariables('{a} {b} {{c}} x{a}', { a: 1 })).toBe('{{ vars.a }} {b} {{c}} x{a}');
    expect(expandDooneFlowVariables({ k: ['{b}'] }, null)).toEqual({ k: ['{{ vars.b }}'] });
  });

  it('evaluates lenient Liquid conditions and refuses templates and secrets', async () => {
    expect(await evaluateCondition('trigger.amount > 100 and contact_name contains "John"', scope)).toBe(true);
    expect(await evaluateCondition('trigger.missing == "x"', scope)).toBe(false);
    expect(await evaluateCondition('steps.assign.status == "SUCCEEDED"', scope)).toBe(true);
    await expect(evaluateCondition('{{ trigger.amount }} > 1', scope)).rejects.toThrow(/without \{\{ \}\}/);
    await expect(evaluateCondition('secrets.KEY == "x"', scope)).rejects.toThrow(/cannot read secrets/);
  });
});

describe('flow definitions', () => {
  it('parses durations', () => {
    expect([parseDuration('90s'), parseDuration('5m'), parseDuration('1.5h'), parseDuration('2d'), parseDuration('soon')]).toEqual([90_000, 300_000, 5_400_000, 172_800_000, null]);
  });

  it('names the step in every issue', () => {
    const input = { trigger: { type: 'manual' }, steps: [{ key: 'ok', type: 'delay', seconds: 1 }, { key: 'Bad Key', type: 'delay' }] };
    const parsed = FlowDefinitionSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    const issues = describeIssues(input, parsed.error!.issues);
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['steps[1].key', 'steps[1].seconds']));
    expect(issues.find((i) => i.path === 'steps[1].key')!.message).toMatch(/^step "Bad Key" \(steps\[1\]\) key: /);
  });

  it('turns the email trigger into the email plugin\'s new_email', () => {
    expect(normalizeTrigger({ type: 'email', connectionId: 'c1', subjectContains: 'urgent', intervalSeconds: 60 })).toEqual({
      type: 'plugin', integrationKey: 'email', trigger: 'new_email', connectionId: 'c1', settings: { subjectContains: 'urgent' }, intervalSeconds: 60,
    });
  });
});
