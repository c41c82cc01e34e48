// DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}. An event that is already gone
// (410) counts as deleted, so a retried run does not fail on its own earlier success.
import { defineAction, PermanentError, z } from '@patchbay/sdk';
import { createCalendarClient, googleError } from '../client.ts';
import { calendarId, connectionOf } from '../events.ts';

export const deleteEvent = defineAction({
  key: 'delete_event',
  displayName: 'Delete an event',
  description: 'Delete an event (cancelling it for its attendees).',
  input: z.object({
    calendarId,
    eventId: z.string().trim().min(1, 'is required').describe('The event id (from list_events or create_event)'),
    sendUpdates: z.enum(['all', 'externalOnly', 'none']).default('none').describe('Who gets a cancellation email'),
  }),
  output: z.object({ id: z.string(), deleted: z.literal(true) }),
  async run(ctx) {
    const { input } = ctx;
    const client = await createCalendarClient(connectionOf(ctx));
    const what = `DELETE /calendar/v3/calendars/${input.calendarId}/events/${input.eventId}`;
    try {
      await client.events.delete({ calendarId: input.calendarId, eventId: input.eventId, sendUpdates: input.sendUpdates });
      return { id: input.eventId, deleted: true as const };
    } catch (err) {
      const error = googleError(err, what);
      if (error instanceof PermanentError && error.details?.status === 410) {
        ctx.logger.info('The event was already deleted', { eventId: input.eventId });
        return { id: input.eventId, deleted: true as const };
      }
      throw error;
    }
  },
});
