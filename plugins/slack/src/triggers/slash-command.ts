// A Slack slash command (/deploy, /ticket …) whose Request URL is a Patchbay webhook endpoint.
// Slack posts the command form-encoded and signed like events; it wants a 200 within 3 s, so the
// hub stores the request and acknowledges at once. Reply later through response_url.
import { defineTrigger, z } from '@patchbay/sdk';

export const slashCommandSettings = z.object({
  commands: z.array(z.string().regex(/^\/\S+$/, 'a command starts with /')).optional().describe('Only these commands, e.g. ["/deploy"]; default: any'),
});

export const slashCommandEvent = z.object({
  command: z.string().describe('The command, e.g. /deploy'),
  text: z.string().describe('What the user typed after the command'),
  user_id: z.string(),
  user_name: z.string().optional(),
  channel_id: z.string(),
  channel_name: z.string().optional(),
  team_id: z.string().optional(),
  team_domain: z.string().optional(),
  enterprise_id: z.string().optional(),
  api_app_id: z.string().optional(),
  is_enterprise_install: z.boolean().optional(),
  response_url: z.url().describe('POST replies here for 30 minutes (up to 5 times); it is a capability, keep it private'),
  trigger_id: z.string().optional().describe('Opens a modal within 3 seconds'),
});

const optional = ['user_name', 'channel_name', 'team_id', 'team_domain', 'enterprise_id', 'api_app_id', 'trigger_id'] as const;

export const slashCommand = defineTrigger({
  key: 'slash_command',
  displayName: 'Slash command',
  description: 'A slash command typed in Slack, posted to the endpoint given as the command\'s Request URL.',
  kind: 'WEBHOOK',
  verification: 'SLACK',
  settings: slashCommandSettings,
  output: slashCommandEvent,
  respond(request) {
    // Slack's periodic certificate check of the command URL: answered, not stored.
    if ((request.body as Record<string, unknown> | undefined)?.ssl_check === '1') return { status: 200, handshake: true };
    // An empty 200 acknowledges the command without posting anything; not a handshake, so the
    // request is stored and handled.
    return { status: 200 };
  },
  async handle(request, { settings }) {
    const form = (typeof request.body === 'object' && request.body !== null ? request.body : Object.fromEntries(new URLSearchParams(request.rawBody))) as Record<string, string>;
    if (!form.command || !form.user_id || !form.channel_id || !form.response_url) return { events: [] };
    if (settings.commands?.length && !settings.commands.includes(form.command)) return { events: [] };
    const event: Record<string, unknown> = {
      command: form.command,
      text: form.text ?? '',
      user_id: form.user_id,
      channel_id: form.channel_id,
      response_url: form.response_url,
    };
    for (const key of optional) if (form[key]) event[key] = form[key];
    if (form.is_enterprise_install !== undefined) event.is_enterprise_install = form.is_enterprise_install === 'true';
    return { events: [event] };
  },
});
