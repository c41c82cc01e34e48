// A local stand-in for the calendar part of Microsoft Graph v1.0, for tests: /me/calendarView and
// /me/calendars/{id}/calendarView (window filter, $top, absolute @odata.nextLink with $skip on
// the fake's own host), POST /me/events, DELETE /me/events/{id}, POST /me/calendar/getSchedule,
// `Prefer: outlook.timezone`, `Authorization: Bearer`, Graph error bodies, 429 with Retry-After.
//
// Time zones: a fixed table of offsets (no daylight saving), so tests use winter dates. It is
// deliberately not the plugin's Intl-based conversion, so each checks the other.
import type { PluginDefinition } from '@patchbay/sdk';
import { useFakeProvider, type FakeResponse, type RecordedRequest } from '@patchbay/sdk/testing';
import { afterAll, beforeAll, beforeEach } from 'vitest';

const ZONES: Record<string, number> = {
  UTC: 0,
  'Europe/Paris': 60,
  'Romance Standard Time': 60,
  'America/Los_Angeles': -480,
  'Pacific Standard Time': -480,
  'Asia/Kolkata': 330,
};

export interface FakeEvent {
  id: string;
  calendarId: string;
  subject: string;
  body: { contentType: 'html' | 'text'; content: string };
  /** UTC instants (ms). */
  startMs: number;
  endMs: number;
  /** The zone the event was created in (Graph answers in UTC unless Prefer says otherwise). */
  timeZone: string;
  attendees: Array<{ type: string; emailAddress: { name?: string; address: string }; status: { response: string; time: string } }>;
  organizer: string;
  location: string;
  showAs: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere';
  isOnlineMeeting: boolean;
  isAllDay?: boolean;
}

export interface FakeCalendarState {
  accessToken: string;
  me: { id: string; displayName: string; mail: string };
  /** Directory users whose free/busy getSchedule can read. */
  directory: string[];
  calendars: string[];
  events: FakeEvent[];
  pageSize: number;
  throttled: number;
  retryAfter: string;
}

const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}): FakeResponse => ({
  status,
  headers,
  json: { error: { code, message, innerError: { date: '2026-01-15T09:00:00', 'request-id': 'fake-request-id', 'client-request-id': 'fake-client-request-id' } } },
});

const attendee = (address: string, name: string, type = 'required', response = 'none') => ({ type, emailAddress: { name, address }, status: { response, time: '0001-01-01T00:00:00Z' } });

export function defaultCalendarState(): FakeCalendarState {
  const me = { id: '48d31887-5fad-4d73-a9f5-3c356e68a038', displayName: 'Megan Bowen', mail: 'MeganB@contoso.onmicrosoft.com' };
  const event = (id: string, subject: string, start: string, end: string, extra: Partial<FakeEvent> = {}): FakeEvent => ({
    id,
    calendarId: 'AAMkPrimary',
    subject,
    body: { contentType: 'html', content: '' },
    startMs: Date.parse(start),
    endMs: Date.parse(end),
    timeZone: 'UTC',
    attendees: [],
    organizer: me.mail,
    location: '',
    showAs: 'busy',
    isOnlineMeeting: false,
    ...extra,
  });
  return {
    accessToken: 'eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UtY2FsZW5kYXIifQ.fake',
    me,
    directory: [me.mail, 'AdeleV@contoso.onmicrosoft.com', 'room-1@contoso.onmicrosoft.com'],
    calendars: ['AAMkPrimary', 'AAMkTeamCal'],
    events: [
      event('AAMkE1', 'Standup', '2026-01-12T09:00:00Z', '2026-01-12T09:15:00Z', {
        attendees: [attendee('AdeleV@contoso.onmicrosoft.com', 'Adele Vance', 'required', 'accepted'), attendee('room-1@contoso.onmicrosoft.com', 'Room 1', 'resource', 'accepted')],
        location: 'Room 1',
        body: { contentType: 'html', content: '<p>Daily</p>' },
      }),
      event('AAMkE2', 'Design review', '2026-01-12T13:00:00Z', '2026-01-12T14:00:00Z', { showAs: 'tentative', attendees: [attendee('AdeleV@contoso.onmicrosoft.com', 'Adele Vance', 'optional', 'tentativelyAccepted')] }),
      event('AAMkE3', 'Lunch', '2026-01-13T11:30:00Z', '2026-01-13T12:30:00Z', { showAs: 'free' }),
      event('AAMkE4', 'Offsite', '2026-01-14T08:00:00Z', '2026-01-14T16:00:00Z', { showAs: 'oof' }),
      event('AAMkE5', 'Team sync', '2026-01-14T10:00:00Z', '2026-01-14T11:00:00Z', { calendarId: 'AAMkTeamCal' }),
      event('AAMkE7', 'Company holiday', '2026-01-16T00:00:00Z', '2026-01-17T00:00:00Z', { isAllDay: true, showAs: 'oof' }),
      event('AAMkE6', 'Next month', '2026-02-20T10:00:00Z', '2026-02-20T11:00:00Z'),
    ],
    pageSize: 2,
    throttled: 0,
    retryAfter: '12',
  };
}

/** Graph's dateTime format: wall-clock with seven fractional digits. */
function graphDateTime(ms: number, zone: string): { dateTime: string; timeZone: string } {
  return { dateTime: `${new Date(ms + ZONES[zone]! * 60_000).toISOString().slice(0, 19)}.0000000`, timeZone: zone };
}

function parseGraphDateTime(value: unknown): number | string {
  const v = value as { dateTime?: unknown; timeZone?: unknown } | undefined;
  if (typeof v?.dateTime !== 'string' || typeof v.timeZone !== 'string') return 'dateTime and timeZone are required.';
  if (!(v.timeZone in ZONES)) return `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${v.timeZone}'.`;
  if (/(?:Z|[+-]\d\d:\d\d)$/.test(v.dateTime)) return 'dateTime must not carry an offset; the time zone goes in timeZone.';
  const ms = Date.parse(`${v.dateTime.replace(/\.\d+$/, '')}Z`);
  return Number.isNaN(ms) ? `Cannot convert the literal '${v.dateTime}' to the expected type 'Edm.DateTimeOffset'.` : ms - ZONES[v.timeZone]! * 60_000;
}

const preferredZone = (req: RecordedRequest) => {
  const zone = /outlook\.timezone="([^"]+)"/.exec(String(req.headers.prefer ?? ''))?.[1];
  return zone && zone in ZONES ? zone : 'UTC';
};

let sequence = 100;

export function fakeCalendarGraph(state: FakeCalendarState = defaultCalendarState()) {
  function eventJson(event: FakeEvent, zone: string) {
    return {
      '@odata.etag': `W/"${event.id}"`,
      id: event.id,
      subject: event.subject,
      bodyPreview: event.body.content.replace(/<[^>]+>/g, ''),
      body: event.body,
      start: graphDateTime(event.startMs, zone),
      end: graphDateTime(event.endMs, zone),
      isAllDay: event.isAllDay ?? false,
      isCancelled: false,
      showAs: event.showAs,
      location: { displayName: event.location, locationType: 'default', uniqueIdType: 'unknown' },
      attendees: event.attendees,
      organizer: { emailAddress: { name: state.me.displayName, address: event.organizer } },
      webLink: `https://outlook.office365.com/owa/?itemid=${encodeURIComponent(event.id)}&exvsurl=1&path=/calendar/item`,
      isOnlineMeeting: event.isOnlineMeeting,
      onlineMeetingProvider: event.isOnlineMeeting ? 'teamsForBusiness' : 'unknown',
      onlineMeeting: event.isOnlineMeeting ? { joinUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${event.id}%40thread.v2/0` } : null,
    };
  }

  function calendarView(req: RecordedRequest, url: URL, calendarId: string | null): FakeResponse {
    const start = Date.parse(url.searchParams.get('startDateTime') ?? '');
    const end = Date.parse(url.searchParams.get('endDateTime') ?? '');
    if (Number.isNaN(start) || Number.isNaN(end)) {
      return graphError(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.');
    }
    if (calendarId && !state.calendars.includes(calendarId)) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const zone = preferredZone(req);
    const all = state.events
      .filter((e) => (!calendarId ? e.calendarId === state.calendars[0] : e.calendarId === calendarId) && e.startMs < end && e.endMs > start)
      .sort((a, b) => a.startMs - b.startMs);
    const top = Math.min(Number(url.searchParams.get('$top') ?? 10), state.pageSize);
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const next = new URL(url.pathname + url.search, `http://${req.headers.host}`);
    next.searchParams.set('$skip', String(skip + top));
    return {
      headers: zone !== 'UTC' ? { 'preference-applied': `outlook.timezone="${zone}"` } : {},
      json: {
        '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/calendarView",
        value: all.slice(skip, skip + top).map((e) => eventJson(e, zone)),
        ...(skip + top < all.length ? { '@odata.nextLink': next.toString() } : {}),
      },
    };
  }

  function createEvent(req: RecordedRequest, calendarId: string | null): FakeResponse {
    const body = (req.json ?? {}) as Record<string, any>;
    if (calendarId && !state.calendars.includes(calendarId)) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const start = parseGraphDateTime(body.start);
    const end = parseGraphDateTime(body.end);
    if (typeof start === 'string') return graphError(400, 'TimeZoneNotSupportedException', start);
    if (typeof end === 'string') return graphError(400, 'TimeZoneNotSupportedException', end);
    if (end < start) return graphError(400, 'ErrorInvalidRequest', 'The end time of the event must be later than the start time.');
    const attendees = (body.attendees ?? []) as Array<{ type?: string; emailAddress?: { address?: string; name?: string } }>;
    for (const a of attendees) {
      if (!['required', 'optional', 'resource'].includes(a.type ?? '')) return graphError(400, 'RequestBodyRead', `The value '${a.type}' is not valid for attendee type.`);
      if (!a.emailAddress?.address) return graphError(400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
    }
    const event: FakeEvent = {
      id: `AAMkNew${sequence++}`,
      calendarId: calendarId ?? state.calendars[0]!,
      subject: body.subject ?? '',
      body: { contentType: String(body.body?.contentType ?? 'Text').toLowerCase() === 'html' ? 'html' : 'text', content: body.body?.content ?? '' },
      startMs: start,
      endMs: end,
      timeZone: body.start.timeZone,
      attendees: attendees.map((a) => attendee(a.emailAddress!.address!, a.emailAddress!.name ?? a.emailAddress!.address!, a.type, 'none')),
      organizer: state.me.mail,
      location: body.location?.displayName ?? '',
      showAs: 'busy',
      isOnlineMeeting: body.isOnlineMeeting === true,
    };
    state.events.push(event);
    return { status: 201, json: { '@odata.context': "https://graph.microsoft.com/v1.0/$metadata#users('me')/events/$entity", ...eventJson(event, preferredZone(req)) } };
  }

  function getSchedule(req: RecordedRequest): FakeResponse {
    const body = (req.json ?? {}) as { schedules?: string[]; startTime?: unknown; endTime?: unknown; availabilityViewInterval?: number };
    const start = parseGraphDateTime(body.startTime);
    const end = parseGraphDateTime(body.endTime);
    if (!Array.isArray(body.schedules) || body.schedules.length === 0) return graphError(400, 'ErrorInvalidParameter', 'The parameter schedules is required.');
    if (typeof start === 'string' || typeof end === 'string') return graphError(400, 'ErrorInvalidParameter', typeof start === 'string' ? start : String(end));
    const interval = body.availabilityViewInterval ?? 30;
    const zone = preferredZone(req);
    const code = { free: '0', tentative: '1', busy: '2', oof: '3', workingElsewhere: '4' } as const;
    return {
      json: {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)',
        value: body.schedules.map((id) => {
          if (!state.directory.some((d) => d.toLowerCase() === id.toLowerCase())) {
            return { scheduleId: id, availabilityView: '', scheduleItems: [], workingHours: null, error: { message: 'The user or group was not found in the directory.', responseCode: 'ErrorMailRecipientNotFound' } };
          }
          const mine = state.events.filter(
            (e) => e.startMs < end && e.endMs > start && (e.organizer.toLowerCase() === id.toLowerCase() || e.attendees.some((a) => a.emailAddress.address.toLowerCase() === id.toLowerCase())),
          );
          let view = '';
          for (let t = start; t < end; t += interval * 60_000) {
            const worst = mine.filter((e) => e.startMs < t + interval * 60_000 && e.endMs > t).reduce((max, e) => Math.max(max, Number(code[e.showAs])), 0);
            view += String(worst);
          }
          return {
            scheduleId: id,
            availabilityView: view,
            scheduleItems: mine.map((e) => ({ isPrivate: false, status: e.showAs, subject: e.subject, location: e.location, start: graphDateTime(e.startMs, zone), end: graphDateTime(e.endMs, zone) })),
            workingHours: { daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'Pacific Standard Time' } },
          };
        }),
      },
    };
  }

  function handle(req: RecordedRequest): FakeResponse {
    const url = new URL(req.url, 'http://fake');
    const path = decodeURIComponent(url.pathname.replace(/^\/v1\.0(?=\/)/, ''));
    if (req.headers.authorization !== `Bearer ${state.accessToken}`) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.', { 'www-authenticate': 'Bearer realm=""' });
    }
    if (state.throttled > 0) {
      state.throttled--;
      return graphError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', { 'retry-after': state.retryAfter });
    }
    if (req.method === 'GET' && path === '/me') return { json: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', id: state.me.id, displayName: state.me.displayName, userPrincipalName: state.me.mail, mail: state.me.mail } };
    const calendar = /^\/me(?:\/calendars\/([^/]+))?\/(calendarView|events)$/.exec(path);
    if (calendar && req.method === 'GET' && calendar[2] === 'calendarView') return calendarView(req, url, calendar[1] ?? null);
    if (calendar && req.method === 'POST' && calendar[2] === 'events') return createEvent(req, calendar[1] ?? null);
    const one = /^\/me\/events\/([^/]+)$/.exec(path);
    if (one && req.method === 'DELETE') {
      const index = state.events.findIndex((e) => e.id === one[1]);
      if (index === -1) return graphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
      state.events.splice(index, 1);
      return { status: 204 };
    }
    if (req.method === 'POST' && path === '/me/calendar/getSchedule') return getSchedule(req);
    return graphError(400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop()}'.`);
  }

  return { state, handle };
}

/** For a vitest file: one fake for the file, reset before each test; `run(action, input, accessToken?)` runs an action of `plugin` as an OAUTH2 connection. */
export function useFakeCalendar(plugin: PluginDefinition) {
  return useFakeProvider({ beforeAll, afterAll, beforeEach }, { plugin, fake: fakeCalendarGraph(), initialState: defaultCalendarState, basePath: '/v1.0' });
}
