// The teams the signed-in user is a member of: GET /me/joinedTeams (all pages).
import { defineAction, z } from '@patchbay/sdk';
import { allPages } from '@patchbay/microsoft-graph';

interface GraphTeam {
  id: string;
  displayName?: string | null;
  description?: string | null;
  isArchived?: boolean | null;
  tenantId?: string | null;
}

export const listTeams = defineAction({
  key: 'list_teams',
  displayName: 'List my teams',
  description: 'List the teams the signed-in user is a member of.',
  input: z.object({
    max_results: z.number().int().min(1).max(1000).default(500).describe('Stop after this many teams (default 500)'),
  }),
  output: z.object({
    teams: z.array(
      z.object({
        id: z.string().describe('Team id (the Microsoft 365 group id)'),
        name: z.string().describe('Display name'),
        description: z.string().nullable(),
        archived: z.boolean(),
        tenant_id: z.string().nullable(),
      }),
    ),
    truncated: z.boolean().describe('true when max_results cut the list short'),
  }),
  async run(ctx) {
    const { items, truncated } = await allPages<GraphTeam>(ctx, '/me/joinedTeams', { max: ctx.input.max_results });
    return {
      teams: items.map((t) => ({ id: t.id, name: t.displayName ?? '', description: t.description ?? null, archived: t.isArchived ?? false, tenant_id: t.tenantId ?? null })),
      truncated,
    };
  },
});
