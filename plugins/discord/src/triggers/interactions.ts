// Discord interactions delivered to a Patchbay webhook endpoint (the application's Interactions
// Endpoint URL). The hub checks the Ed25519 signature with the application's public key; PING
// is answered here as a handshake, and slash commands get an immediate deferred answer so the
// flow can follow up with the interaction token within 15 minutes.
import { defineTrigger, z, type TriggerRequest } from '@patchbay/sdk';
import {
  ApplicationCommandOptionType,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommandInteractionDataOption,
  type APIUser,
} from 'discord-api-types/v10';

export const interactionsSettings = z.object({
  commands: z.array(z.string().min(1).max(32)).optional().describe('Only these command names (without the slash); default: every command of the application'),
});

const optionValue = z.union([z.string(), z.number(), z.boolean()]);

export const commandEvent = z.object({
  interaction_id: z.string(),
  interaction_token: z
    .string()
    .describe('Valid for 15 minutes: answers the deferred reply (PATCH /webhooks/{application_id}/{token}/messages/@original). Sensitive: anyone holding it can reply as the bot'),
  application_id: z.string(),
  command_id: z.string(),
  command_name: z.string(),
  command_type: z.number().int().describe('1 chat input (slash), 2 user, 3 message context menu'),
  subcommand_group: z.string().optional(),
  subcommand: z.string().optional(),
  options: z.record(z.string(), optionValue).describe('The leaf options by name: strings, numbers, booleans; users, channels and roles as ids'),
  target_id: z.string().optional().describe('User/message context-menu commands: what was clicked'),
  user: z.object({ id: z.string(), username: z.string(), global_name: z.string().nullable().optional() }),
  guild_id: z.string().optional().describe('Absent in DMs'),
  channel_id: z.string().optional(),
  locale: z.string().optional(),
  guild_locale: z.string().optional(),
});

type Interaction = {
  id?: string;
  type?: number;
  token?: string;
  application_id?: string;
  guild_id?: string;
  channel_id?: string;
  channel?: { id?: string };
  locale?: string;
  guild_locale?: string;
  member?: { user?: APIUser };
  user?: APIUser;
  data?: { id?: string; name?: string; type?: number; target_id?: string; options?: APIApplicationCommandInteractionDataOption[] };
};

const json = { 'content-type': 'application/json' };

export const interactions = defineTrigger({
  key: 'interactions',
  displayName: 'Interactions (slash commands)',
  description: "Slash and context-menu commands of your Discord application, sent to the endpoint given as its Interactions Endpoint URL.",
  kind: 'WEBHOOK',
  verification: 'DISCORD',
  settings: interactionsSettings,
  output: commandEvent,
  respond(request: TriggerRequest) {
    const body = request.body as Interaction | undefined;
    switch (body?.type) {
      case InteractionType.Ping:
        return { status: 200, body: { type: InteractionResponseType.Pong }, headers: json, handshake: true };
      case InteractionType.ApplicationCommand:
        // "Bot is thinking…": the flow replies later with the interaction token.
        return { status: 200, body: { type: InteractionResponseType.DeferredChannelMessageWithSource }, headers: json };
      case InteractionType.ApplicationCommandAutocomplete:
        return { status: 200, body: { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } }, headers: json, handshake: true };
      default:
        return undefined;
    }
  },
  async handle(request, { settings }) {
    const body = request.body as Interaction | undefined;
    if (body?.type !== InteractionType.ApplicationCommand || !body.data?.name || !body.id || !body.token) return { events: [] };
    if (settings.commands?.length && !settings.commands.includes(body.data.name)) return { events: [] };
    const user = body.member?.user ?? body.user;
    const { group, subcommand, options } = flattenOptions(body.data.options ?? []);
    const optional = {
      subcommand_group: group,
      subcommand,
      target_id: body.data.target_id,
      guild_id: body.guild_id,
      channel_id: body.channel_id ?? body.channel?.id,
      locale: body.locale,
      guild_locale: body.guild_locale,
    };
    return {
      events: [
        {
          interaction_id: body.id,
          interaction_token: body.token,
          application_id: body.application_id ?? '',
          command_id: body.data.id ?? '',
          command_name: body.data.name,
          command_type: body.data.type ?? 1,
          options,
          user: { id: user?.id ?? '', username: user?.username ?? '', ...(user?.global_name !== undefined ? { global_name: user.global_name } : {}) },
          ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
        },
      ],
    };
  },
});

/** Subcommand groups and subcommands nest the real options; this walks down to them. */
function flattenOptions(list: APIApplicationCommandInteractionDataOption[]): { group?: string; subcommand?: string; options: Record<string, string | number | boolean> } {
  let group: string | undefined;
  let subcommand: string | undefined;
  let current = list;
  for (;;) {
    const nested = current.find((o) => o.type === ApplicationCommandOptionType.SubcommandGroup || o.type === ApplicationCommandOptionType.Subcommand);
    if (!nested || !('options' in nested)) {
      if (nested?.type === ApplicationCommandOptionType.Subcommand) subcommand = nested.name;
      break;
    }
    if (nested.type === ApplicationCommandOptionType.SubcommandGroup) group = nested.name;
    else subcommand = nested.name;
    current = (nested.options ?? []) as APIApplicationCommandInteractionDataOption[];
  }
  const options: Record<string, string | number | boolean> = {};
  for (const option of current) if ('value' in option && option.value !== undefined) options[option.name] = option.value as string | number | boolean;
  return { group, subcommand, options };
}
