// @patchbay/plugin-google-calendar: list events, check free/busy, create and delete events in
// Google Calendar, with provider-neutral outputs shared with outlook-calendar.
import { definePlugin } from '@patchbay/sdk';
import { createEvent } from './actions/create-event.ts';
import { deleteEvent } from './actions/delete-event.ts';
import { freeBusy } from './actions/free-busy.ts';
import { listEvents } from './actions/list-events.ts';
import { googleOAuth } from './auth.ts';
import { GOOGLE_API } from './client.ts';

export const googleCalendarPlugin = definePlugin({
  key: 'google-calendar',
  displayName: 'Google Calendar',
  category: 'productivity',
  description: 'List events, check availability, and create or delete events in Google Calendar.',
  baseUrl: GOOGLE_API,
  auth: [googleOAuth],
  actions: [listEvents, freeBusy, createEvent, deleteEvent],
});

export default googleCalendarPlugin;
