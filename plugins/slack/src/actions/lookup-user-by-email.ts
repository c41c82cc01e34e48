// users.lookupByEmail: the Slack user behind an email address (needs users:read.email).
import { defineAction, PermanentError, z } from '@patchbay/sdk';
import { callSlack, slackClientFor } from '../client.ts';

export const lookupUserByEmailInput = z.object({
  email: z.email().describe('The email address of a member of the workspace'),
});

export const lookupUserByEmailOutput = z.object({
  id: z.string().describe('User id (U… or W…), usable as a channel for a DM'),
  team_id: z.string().optional(),
  name: z.string().optional().describe('Username'),
  real_name: z.string().optional(),
  display_name: z.string().optional(),
  email: z.string().optional(),
  is_bot: z.boolean().optional(),
  deleted: z.boolean().optional().describe('true for deactivated accounts'),
  tz: z.string().optional().describe('IANA time zone, e.g. Europe/Paris'),
});

export const lookupUserByEmail = defineAction({
  key: 'lookup_user_by_email',
  displayName: 'Find a user by email',
  description: 'Find the Slack user with this email address. An unknown address fails with users_not_found.',
  input: lookupUserByEmailInput,
  output: lookupUserByEmailOutput,
  async run(ctx) {
    const client = await slackClientFor(ctx);
    const { user } = await callSlack('users.lookupByEmail', ctx.signal, () => client.users.lookupByEmail({ email: ctx.input.email }));
    if (!user?.id) throw new PermanentError('Slack users.lookupByEmail answered ok without a user');
    const optional = {
      team_id: user.team_id,
      name: user.name,
      real_name: user.real_name ?? user.profile?.real_name,
      display_name: user.profile?.display_name,
      email: user.profile?.email,
      is_bot: user.is_bot,
      deleted: user.deleted,
      tz: user.tz,
    };
    return { id: user.id, ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) };
  },
});
