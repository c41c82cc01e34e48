// The variables a flow step's templates see:
//   {{ trigger.x }}                 the trigger payload (a webhook's mapped body, an email, …)
//   {{ steps.<key>.output.y }}      an earlier step's output ({{ steps.<key>.status }} too)
//   {{ flow.name }}, {{ run.id }}
//   {{ secrets.X }}                 rendered by the action itself, never stored (see scoped-templates)
// and DooneFlow's single-brace variables, `{contact_name}`, `{team_member_phone}`: every
// top-level scalar field of the trigger payload and of earlier steps' outputs (a later step's
// field wins), so `{email_subject}` and `{team_member_name}` read as DooneFlow documents them.
import { Liquid } from 'liquidjs';
import { PermanentError } from '@patchbay/sdk';
import { renderScopedTemplates } from '../runtime/scoped-templates.ts';

export interface StepRecord {
  key: string;
  status: string;
  output: unknown;
}

export interface FlowScope {
  trigger: unknown;
  steps: Record<string, { status: string; output: unknown }>;
  flow: { id: string; name: string; version: number };
  run: { id: string };
  /** DooneFlow's flat variables. */
  vars: Record<string, unknown>;
}

export function flowScope(input: { trigger: unknown; steps: StepRecord[]; flow: FlowScope['flow']; runId: string }): FlowScope {
  const vars: Record<string, unknown> = {};
  const addScalars = (value: unknown) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value)) if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) vars[k] = v;
  };
  addScalars(input.trigger);
  const steps: FlowScope['steps'] = {};
  for (const step of input.steps) {
    steps[step.key] = { status: step.status, output: step.output ?? null };
    if (step.status === 'SUCCEEDED') addScalars(step.output);
  }
  return { trigger: input.trigger ?? {}, steps, flow: input.flow, run: { id: input.runId }, vars };
}

/**
 * `{name}` (one brace each side, a known flat variable) → `{{ vars.name }}`; anything else is
 * left alone. `vars` null: every such name counts (checking a definition before any run).
 */
export function expandDooneFlowVariables(template: unknown, vars: Record<string, unknown> | null): unknown {
  if (typeof template === 'string') {
    return template.replace(/(?<![{\w])\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})/g, (all, name: string) => (vars === null || Object.prototype.hasOwnProperty.call(vars, name) ? `{{ vars.${name} }}` : all));
  }
  if (Array.isArray(template)) return template.map((v) => expandDooneFlowVariables(v, vars));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, expandDooneFlowVariables(v, vars)]));
  return template;
}

/**
 * A step's templates with the flow's variables substituted; `{{ secrets.* }}` and other
 * action-side templates stay for the action (escapeForRun: it renders its input again).
 */
export function renderStepTemplate(template: unknown, scope: FlowScope, options: { escapeForRun: boolean }): Promise<unknown> {
  const { trigger, steps, flow, run, vars } = scope;
  return renderScopedTemplates(expandDooneFlowVariables(template, vars), { trigger, steps, flow, run, vars }, options);
}

// Conditions are lenient: a field the payload lacks is simply empty (falsy), not an error.
const conditions = new Liquid({ strictVariables: false, strictFilters: true, ownPropertyOnly: true, cache: 200 });

/** A Liquid condition (`trigger.amount > 100 and trigger.country == "FR"`) over the flow's variables. */
export async function evaluateCondition(expression: string, scope: FlowScope): Promise<boolean> {
  if (/\{%|%\}|\{\{|\}\}/.test(expression)) throw new PermanentError('A condition is an expression like `trigger.amount > 100`, without {{ }} or {% %}');
  if (/\bsecrets\b/.test(expression)) throw new PermanentError('A condition cannot read secrets');
  const { trigger, steps, flow, run, vars } = scope;
  try {
    const out = await conditions.parseAndRender(`{% if ${expression} %}true{% else %}false{% endif %}`, { ...vars, trigger, steps, flow, run, vars });
    return out.trim() === 'true';
  } catch (err) {
    throw new PermanentError(`Invalid condition "${expression}": ${(err as Error).message.split(', line:')[0]}`);
  }
}
