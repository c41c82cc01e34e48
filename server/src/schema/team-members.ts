// Team members (DooneFlow): who flows' assign_team_member steps pick, round-robin. ADMIN/OWNER
// manage them; any role reads them.
import { z } from 'zod';
import { builder, orgIdOf, orgOwned } from '../builder.ts';
import { createTeamMember, deleteTeamMember, updateTeamMember } from '../services/team-members.ts';
import { localId } from './ids.ts';

builder.prismaNode('TeamMember', {
  id: { field: 'id' },
  ...orgOwned,
  findUnique: (id, ctx) => ({ id, orgId: orgIdOf(ctx) }),
  fields: (t) => ({
    name: t.exposeString('name'),
    phone: t.exposeString('phone', { nullable: true }),
    email: t.exposeString('email', { nullable: true }),
    active: t.exposeBoolean('active', { description: 'Only active members are assigned' }),
    assignmentCount: t.exposeInt('assignmentCount', { description: 'Round-robin assignments so far (a newcomer starts level with the least-assigned)' }),
    lastAssignedAt: t.expose('lastAssignedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const E164 = /^\+[1-9]\d{6,14}$/;
const memberFields = {
  name: z.string().trim().min(1, 'name is required').max(200, 'at most 200 characters'),
  phone: z.string().trim().regex(E164, 'an E.164 number, e.g. +14155550123').nullish(),
  email: z.email('an email address').nullish(),
};

const CreateTeamMemberInput = builder.inputType('CreateTeamMemberInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    phone: t.string({ description: 'E.164, for SMS notifications' }),
    email: t.string(),
    active: t.boolean({ description: 'Default true' }),
  }),
  validate: z.looseObject(memberFields),
});

const UpdateTeamMemberInput = builder.inputType('UpdateTeamMemberInput', {
  fields: (t) => ({
    name: t.string(),
    phone: t.string({ description: 'E.164; null removes it' }),
    email: t.string({ description: 'null removes it' }),
    active: t.boolean(),
  }),
  validate: z.looseObject({ ...memberFields, name: memberFields.name.nullish() }),
});

builder.queryField('teamMembers', (t) =>
  t.prismaField({
    type: ['TeamMember'],
    description: 'The organization\'s team members, oldest first',
    args: { active: t.arg.boolean() },
    resolve: (query, _root, { active }, ctx) =>
      ctx.hub.db.prisma.teamMember.findMany({ ...query, where: { orgId: orgIdOf(ctx), ...(typeof active === 'boolean' ? { active } : {}) }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
  }),
);

builder.mutationField('createTeamMember', (t) =>
  t.prismaField({
    type: 'TeamMember',
    authScopes: { role: 'ADMIN' },
    args: { input: t.arg({ type: CreateTeamMemberInput, required: true }) },
    resolve: (_query, _root, { input }, ctx) => createTeamMember(ctx.hub, orgIdOf(ctx), { ...input, name: input.name.trim() }),
  }),
);

builder.mutationField('updateTeamMember', (t) =>
  t.prismaField({
    type: 'TeamMember',
    authScopes: { role: 'ADMIN' },
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateTeamMemberInput, required: true }) },
    resolve: (_query, _root, { id, input }, ctx) => updateTeamMember(ctx.hub, orgIdOf(ctx), localId(id, 'TeamMember'), { ...input, name: input.name?.trim() }),
  }),
);

builder.mutationField('deleteTeamMember', (t) =>
  t.prismaField({
    type: 'TeamMember',
    authScopes: { role: 'ADMIN' },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_query, _root, { id }, ctx) => deleteTeamMember(ctx.hub, orgIdOf(ctx), localId(id, 'TeamMember')),
  }),
);
