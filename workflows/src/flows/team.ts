// Round-robin assignment to team members, fair under concurrent flow runs: each pick takes a
// row lock on the organization (FOR NO KEY UPDATE: other writers of org-owned rows are not
// blocked), so picks of one organization happen one at a time, and each gives the work to the
// active member with the fewest assignments (ties: the one waiting longest). 100 concurrent
// picks over 3 members are 34/33/33. A pick is made once per run step: a retried step (or a
// worker that died after committing) finds its earlier pick.
import type { Database, TeamMember } from '@patchbay/db';
import { PermanentError } from '@patchbay/sdk';

export interface Assignment {
  member: TeamMember;
  /** False when an earlier attempt of the same step had already made this pick. */
  fresh: boolean;
}

export async function assignTeamMember(db: Database, pick: { orgId: string; runId: string; stepKey: string; teamMemberIds?: string[] }): Promise<Assignment> {
  return db.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM "Organization" WHERE id = ${pick.orgId} FOR NO KEY UPDATE`;
    const earlier = await tx.teamAssignment.findUnique({ where: { runId_stepKey: { runId: pick.runId, stepKey: pick.stepKey } }, include: { teamMember: true } });
    if (earlier) return { member: earlier.teamMember, fresh: false };
    const member = await tx.teamMember.findFirst({
      where: { orgId: pick.orgId, active: true, ...(pick.teamMemberIds ? { id: { in: pick.teamMemberIds } } : {}) },
      orderBy: [{ assignmentCount: 'asc' }, { lastAssignedAt: { sort: 'asc', nulls: 'first' } }, { createdAt: 'asc' }, { id: 'asc' }],
    });
    if (!member) throw new PermanentError(pick.teamMemberIds ? 'None of the step\'s team members is active' : 'The organization has no active team member to assign');
    const updated = await tx.teamMember.update({ where: { id: member.id }, data: { assignmentCount: { increment: 1 }, lastAssignedAt: new Date() } });
    await tx.teamAssignment.create({ data: { orgId: pick.orgId, teamMemberId: member.id, runId: pick.runId, stepKey: pick.stepKey } });
    return { member: updated, fresh: true };
  });
}

/**
 * A member who joins (or comes back) starts level with the least-assigned active member, so
 * they take their share from now on instead of every assignment until they catch up.
 */
export async function levelAssignmentCount(db: Database, orgId: string): Promise<number> {
  const least = await db.prisma.teamMember.aggregate({ where: { orgId, active: true }, _min: { assignmentCount: true } });
  return least._min.assignmentCount ?? 0;
}
