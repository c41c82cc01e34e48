// Deletes an event: DELETE /me/events/{id}. A missing event fails permanently with Graph's message.
import { defineAction, z } from '@patchbay/sdk';
import { graphCall, graphClient } from '@patchbay/microsoft-graph';

export const deleteEvent = defineAction({
  key: 'delete_event',
  displayName: 'Delete an event',
  description: "Delete an event from the user's calendar (attendees of a meeting the user organizes get a cancellation).",
  input: z.object({
    eventId: z.string().trim().min(1).describe('The event id (from list_events or create_event)'),
  }),
  output: z.object({ id: z.string(), deleted: z.literal(true) }),
  async run(ctx) {
    const { eventId } = ctx.input;
    await graphCall(ctx, 'DELETE /me/events/{id}', () => graphClient(ctx).api(`/me/events/${encodeURIComponent(eventId)}`).delete());
    return { id: eventId, deleted: true as const };
  },
});
