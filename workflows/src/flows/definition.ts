// What a flow is made of: one trigger and ordered steps. The api checks a definition against
// this schema (then against the organization: connections, actions, endpoints) before storing
// it as a FlowVersion; the worker reads stored versions with the same schema.
//
// Ids inside a stored definition are database ids; the api translates global ids on the way in
// and out. Nothing here is secret: credentials are referenced as {{ secrets.NAME }}.
import { z } from '@patchbay/sdk';

export const STEP_KEY = /^[a-z][a-z0-9_]{0,63}$/;
export const MAX_STEPS = 50;
/** The longest delay step: 30 days (a longer wait is a schedule, not a step). */
export const MAX_DELAY_MS = 30 * 24 * 3_600_000;
/** Polls of a flow's polling trigger: at least this far apart, whatever the plugin allows. */
export const MIN_POLL_SECONDS = 10;
export const DEFAULT_POLL_SECONDS = 60;

const id = (what: string) => z.string({ message: `${what} is required` }).trim().min(1, `${what} is required`).max(200);
const name = z.string().trim().min(1).max(200);

export const RetryPolicySchema = z.strictObject({
  maximumAttempts: z.number().int().min(1).max(20).default(3),
  initialIntervalSeconds: z.number().min(0.1).max(3600).default(2),
  backoffCoefficient: z.number().min(1).max(10).default(2),
  maximumIntervalSeconds: z.number().min(1).max(86_400).default(300),
});
export type RetryPolicy = z.output<typeof RetryPolicySchema>;

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "5m", "1.5h", "2d" → milliseconds (null when not a duration). */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]) : null;
}

const stepBase = {
  key: z.string({ message: 'key is required' }).regex(STEP_KEY, 'a step key is snake_case: a-z, 0-9, _ (at most 64)'),
  name: name.optional(),
};

const ActionStep = z.strictObject({
  ...stepBase,
  type: z.literal('action'),
  connectionId: id('connectionId'),
  action: z.string({ message: 'action is required' }).trim().min(1, 'action is required').max(200),
  /** The action input: strings may use {{ trigger.x }}, {{ steps.<key>.output.y }}, {{ secrets.X }}, DooneFlow's {name}. */
  input: z.unknown().optional(),
  retry: RetryPolicySchema.optional(),
});

/** Where a condition goes: on to the next step, stop the run (successfully), or jump ahead to a step. */
const Branch = z.union([z.literal('continue'), z.literal('stop'), z.string().regex(STEP_KEY, 'continue, stop, or a later step key')]);

const ConditionStep = z.strictObject({
  ...stepBase,
  type: z.literal('condition'),
  /** A Liquid condition over the flow's variables, e.g. `trigger.amount > 100 and trigger.country == "FR"`. */
  if: z.string({ message: 'if is required' }).trim().min(1, 'if is required').max(2000),
  then: Branch.default('continue'),
  else: Branch.default('stop'),
});

const DelayStep = z
  .strictObject({
    ...stepBase,
    type: z.literal('delay'),
    seconds: z.number().min(0).optional(),
    duration: z.string().optional(),
  })
  .superRefine((step, ctx) => {
    const fromDuration = step.duration === undefined ? undefined : parseDuration(step.duration);
    if (fromDuration === null) ctx.addIssue({ code: 'custom', path: ['duration'], message: 'a duration like "30s", "5m", "2h" or "1d"' });
    if ((step.seconds === undefined) === (step.duration === undefined)) ctx.addIssue({ code: 'custom', path: ['seconds'], message: 'give either seconds or duration' });
    const ms = step.seconds !== undefined ? step.seconds * 1000 : (fromDuration ?? 0);
    if (ms > MAX_DELAY_MS) ctx.addIssue({ code: 'custom', path: [step.seconds !== undefined ? 'seconds' : 'duration'], message: 'at most 30 days' });
  });

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

const SendWebhookStep = z.strictObject({
  ...stepBase,
  type: z.literal('send_webhook'),
  /** The receiver's URL (templates allowed, e.g. a path from the trigger). */
  url: z.string({ message: 'url is required' }).trim().min(1, 'url is required').max(2048),
  method: z.enum(['POST', 'PUT', 'PATCH', 'GET', 'DELETE']).default('POST'),
  headers: z.record(z.string().regex(HEADER_NAME, 'a header name'), z.string().max(8192)).optional(),
  /** JSON body (templates in strings); default: the trigger payload. GET/DELETE send none. */
  body: z.unknown().optional(),
  /** The name of an org secret holding a whsec_ key: the request is signed per Standard Webhooks. */
  signingSecret: z.string().regex(/^[A-Za-z_][\w-]{0,127}$/, 'a secret name').optional(),
  timeoutSeconds: z.number().min(1).max(60).default(15),
  retry: RetryPolicySchema.optional(),
});

const AssignTeamMemberStep = z.strictObject({
  ...stepBase,
  type: z.literal('assign_team_member'),
  /** Only these members (ids) take part; default: every active member of the organization. */
  teamMemberIds: z.array(id('teamMemberIds[]')).min(1).max(500).optional(),
});

export const StepSchema = z.discriminatedUnion('type', [ActionStep, ConditionStep, DelayStep, SendWebhookStep, AssignTeamMemberStep], {
  message: 'type must be action, condition, delay, send_webhook or assign_team_member',
});
export type FlowStep = z.output<typeof StepSchema>;
export type FlowStepType = FlowStep['type'];

const PollSettings = {
  connectionId: id('connectionId'),
  intervalSeconds: z.number().int().min(MIN_POLL_SECONDS).max(86_400).optional(),
};

export const TriggerSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('manual') }),
    /** Events received by a webhook endpoint (its transform applied): the payload is the mapped body. */
    z.strictObject({ type: z.literal('webhook'), endpointId: id('endpointId') }),
    /** A plugin's trigger: a webhook trigger's events (optionally from one endpoint), or a polling trigger polled on an interval. */
    z.strictObject({
      type: z.literal('plugin'),
      integrationKey: z.string().trim().min(1).max(200),
      trigger: z.string().trim().min(1).max(200),
      connectionId: id('connectionId').optional(),
      endpointId: id('endpointId').optional(),
      settings: z.unknown().optional(),
      intervalSeconds: PollSettings.intervalSeconds,
    }),
    /** DooneFlow's email trigger: the email plugin's new_email on an IMAP connection. */
    z.strictObject({
      type: z.literal('email'),
      ...PollSettings,
      mailbox: z.string().trim().min(1).max(200).optional(),
      subjectContains: z.string().trim().min(1).max(500).optional(),
      fromContains: z.string().trim().min(1).max(500).optional(),
      markAsRead: z.boolean().optional(),
    }),
    z
      .strictObject({
        type: z.literal('schedule'),
        cron: z.string().trim().min(1).max(200).optional(),
        every: z.string().trim().min(1).max(50).optional(),
        /** The trigger payload of each scheduled run. */
        payload: z.record(z.string(), z.unknown()).optional(),
      })
      .superRefine((t, ctx) => {
        if ((t.cron === undefined) === (t.every === undefined)) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give either cron or every' });
        if (t.cron !== undefined && !/^(@(yearly|annually|monthly|weekly|daily|hourly))$|^(\S+\s+){4}\S+$/.test(t.cron)) {
          ctx.addIssue({ code: 'custom', path: ['cron'], message: 'a cron expression of 5 fields, e.g. "0 9 * * 1-5"' });
        }
        if (t.every !== undefined && (parseDuration(t.every) ?? 0) < 1000) ctx.addIssue({ code: 'custom', path: ['every'], message: 'a duration of at least 1s, e.g. "15m"' });
      }),
    /** Patchbay's own domain events (connection.expired, run.failed, …; wildcards like run.*). */
    z.strictObject({
      type: z.literal('event'),
      eventTypes: z.array(z.string().trim().regex(/^(\*|[a-z_]+(\.[a-z_*]+)*)$/, 'an event type like run.failed or connection.*')).min(1, 'at least one event type').max(50),
    }),
  ],
  { message: 'type must be manual, webhook, plugin, email, schedule or event' },
);
export type FlowTrigger = z.output<typeof TriggerSchema>;

export const FlowDefinitionSchema = z
  .strictObject({
    trigger: TriggerSchema,
    steps: z.array(StepSchema).min(1, 'a flow needs at least one step').max(MAX_STEPS, `at most ${MAX_STEPS} steps`),
  })
  .superRefine((flow, ctx) => {
    const seen = new Map<string, number>();
    flow.steps.forEach((step, index) => {
      if (seen.has(step.key)) ctx.addIssue({ code: 'custom', path: ['steps', index, 'key'], message: `"${step.key}" is already the key of steps[${seen.get(step.key)}]` });
      else seen.set(step.key, index);
    });
    flow.steps.forEach((step, index) => {
      if (step.type !== 'condition') return;
      for (const branch of ['then', 'else'] as const) {
        const to = step[branch];
        if (to === 'continue' || to === 'stop') continue;
        const at = seen.get(to);
        if (at === undefined) ctx.addIssue({ code: 'custom', path: ['steps', index, branch], message: `no step "${to}"` });
        else if (at <= index) ctx.addIssue({ code: 'custom', path: ['steps', index, branch], message: `"${to}" is not after this step (branches only jump ahead)` });
      }
    });
  });
export type FlowDefinition = z.output<typeof FlowDefinitionSchema>;

export interface FlowIssue {
  path: string;
  message: string;
}

/** `steps.2.input.to` → `steps[2].input.to`, and the step named when the issue is inside one. */
export function describeIssues(input: unknown, issues: z.core.$ZodIssue[]): FlowIssue[] {
  const steps = (input as { steps?: Array<{ key?: unknown }> } | null)?.steps;
  return issues.map((issue) => {
    const path = issue.path.map(String);
    const text = path.reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
    const stepIndex = path[0] === 'steps' && /^\d+$/.test(path[1] ?? '') ? Number(path[1]) : null;
    const key = stepIndex !== null && Array.isArray(steps) ? steps[stepIndex]?.key : undefined;
    const where = stepIndex !== null ? `step ${typeof key === 'string' ? `"${key}" ` : ''}(steps[${stepIndex}])` : text || 'definition';
    const field = stepIndex !== null ? path.slice(2).join('.') : '';
    return { path: text || 'definition', message: `${where}${field ? ` ${field}` : ''}: ${issue.message}` };
  });
}

/** The email trigger is the email plugin's new_email: one shape for the hub to run. */
export function normalizeTrigger(trigger: FlowTrigger): FlowTrigger {
  if (trigger.type !== 'email') return trigger;
  const settings = {
    ...(trigger.mailbox ? { mailbox: trigger.mailbox } : {}),
    ...(trigger.subjectContains ? { subjectContains: trigger.subjectContains } : {}),
    ...(trigger.fromContains ? { fromContains: trigger.fromContains } : {}),
    ...(trigger.markAsRead !== undefined ? { markAsRead: trigger.markAsRead } : {}),
  };
  return { type: 'plugin', integrationKey: 'email', trigger: 'new_email', connectionId: trigger.connectionId, settings, ...(trigger.intervalSeconds ? { intervalSeconds: trigger.intervalSeconds } : {}) };
}

/** Delay of a delay step in ms. */
export function delayMs(step: Extract<FlowStep, { type: 'delay' }>): number {
  return step.seconds !== undefined ? Math.round(step.seconds * 1000) : (parseDuration(step.duration ?? '0s') ?? 0);
}
