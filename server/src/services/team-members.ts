// Team members: the people flows assign work to, round-robin (workflows/flows/team.ts).
import { recordActivity, type TeamMember } from '@patchbay/db';
import { levelAssignmentCount } from '@patchbay/workflows';
import type { Hub } from '../context.ts';
import { notFound } from '../errors.ts';

export interface TeamMemberInput {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  active?: boolean | null;
}

export async function createTeamMember(hub: Hub, orgId: string, input: TeamMemberInput & { name: string }): Promise<TeamMember> {
  const active = input.active ?? true;
  // A newcomer starts level with the least-assigned member: their share from now on, not every assignment until they catch up.
  const assignmentCount = active ? await levelAssignmentCount(hub.db, orgId) : 0;
  const member = await hub.db.prisma.teamMember.create({
    data: { orgId, name: input.name, phone: input.phone ?? null, email: input.email ?? null, active, assignmentCount },
  });
  await recordActivity(hub.db, { orgId, type: 'team_member.created', message: `Team member "${member.name}" added`, data: { teamMemberId: member.id } });
  return member;
}

export async function updateTeamMember(hub: Hub, orgId: string, id: string, input: TeamMemberInput): Promise<TeamMember> {
  const member = await hub.db.prisma.teamMember.findFirst({ where: { id, orgId } });
  if (!member) throw notFound('Team member');
  const reactivated = input.active === true && !member.active;
  const updated = await hub.db.prisma.teamMember.update({
    where: { id },
    data: {
      ...(input.name ? { name: input.name } : {}),
      ...(input.phone !== undefined ? { phone: input.phone } : {}),
      ...(input.email !== undefined ? { email: input.email } : {}),
      ...(input.active !== undefined && input.active !== null ? { active: input.active } : {}),
      ...(reactivated ? { assignmentCount: Math.max(member.assignmentCount, await levelAssignmentCount(hub.db, orgId)) } : {}),
    },
  });
  await recordActivity(hub.db, { orgId, type: 'team_member.updated', message: `Team member "${updated.name}" updated`, data: { teamMemberId: id } });
  return updated;
}

export async function deleteTeamMember(hub: Hub, orgId: string, id: string): Promise<TeamMember> {
  const member = await hub.db.prisma.teamMember.findFirst({ where: { id, orgId } });
  if (!member) throw notFound('Team member');
  await hub.db.prisma.teamMember.delete({ where: { id } });
  await recordActivity(hub.db, { orgId, type: 'team_member.deleted', message: `Team member "${member.name}" removed`, data: { teamMemberId: id } });
  return member;
}
