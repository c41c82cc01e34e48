// The channels of a team: GET /teams/{team-id}/channels, following @odata.nextLink to the end
// (or to max_results).
import { defineAction, z } from '@patchbay/sdk';
import { allPages, graphPath } from '@patchbay/microsoft-graph';

interface GraphChannel {
  id: string;
  displayName?: string | null;
  description?: string | null;
  membershipType?: string | null;
  email?: string | null;
  webUrl?: string | null;
  createdDateTime?: string | null;
}

export const listChannels = defineAction({
  key: 'list_channels',
  displayName: 'List channels',
  description: "List a team's channels the signed-in user can see.",
  input: z.object({
    team_id: z.string().trim().min(1).describe('The team id (see list_teams)'),
    name_starts_with: z.string().trim().min(1).optional().describe('Only channels whose name starts with this (Graph $filter)'),
    max_results: z.number().int().min(1).max(5000).default(1000).describe('Stop after this many channels (default 1000)'),
  }),
  output: z.object({
    channels: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        description: z.string().nullable(),
        membership_type: z.string().nullable().describe('standard, private or shared'),
        email: z.string().nullable().describe("The channel's email address, if any"),
        web_url: z.string().nullable(),
        created_at: z.string().nullable(),
      }),
    ),
    truncated: z.boolean().describe('true when max_results cut the list short'),
  }),
  async run(ctx) {
    const { input } = ctx;
    const filter = input.name_starts_with ? `startswith(displayName,'${input.name_starts_with.replace(/'/g, "''")}')` : undefined;
    const path = graphPath(`/teams/${encodeURIComponent(input.team_id)}/channels`, { $filter: filter });
    const { items, truncated } = await allPages<GraphChannel>(ctx, path, { max: input.max_results });
    return {
      channels: items.map((c) => ({
        id: c.id,
        name: c.displayName ?? '',
        description: c.description ?? null,
        membership_type: c.membershipType ?? null,
        email: c.email || null,
        web_url: c.webUrl ?? null,
        created_at: c.createdDateTime ?? null,
      })),
      truncated,
    };
  },
});
