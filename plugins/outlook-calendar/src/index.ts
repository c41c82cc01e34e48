// @patchbay/plugin-outlook-calendar: list, create and delete Outlook (Microsoft 365) calendar
// events and read free/busy, through Microsoft Graph. Same action keys and output shapes as the
// Google Calendar plugin.
import { definePlugin } from '@patchbay/sdk';
import { createEvent } from './actions/create-event.ts';
import { deleteEvent } from './actions/delete-event.ts';
import { freeBusy } from './actions/free-busy.ts';
import { listEvents } from './actions/list-events.ts';
import { outlookOAuth } from './auth.ts';
import { GRAPH_BASE_URL } from '@patchbay/microsoft-graph';

export const outlookCalendarPlugin = definePlugin({
  key: 'outlook-calendar',
  displayName: 'Outlook Calendar',
  category: 'calendar',
  description: 'List, create and delete events in Outlook / Microsoft 365 calendars, and read free/busy, as the signed-in user.',
  baseUrl: GRAPH_BASE_URL,
  auth: [outlookOAuth],
  actions: [listEvents, freeBusy, createEvent, deleteEvent],
});

export default outlookCalendarPlugin;
