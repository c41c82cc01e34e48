// A fake Google Calendar API v3 for tests, speaking Google's wire format: bearer tokens,
// /calendar/v3/users/me/calendarList, /calendar/v3/calendars/{id}/events (list with
// timeMin/timeMax/q/singleEvents/orderBy/maxResults and nextPageToken paging; insert with
// sendUpdates and conferenceDataVersion; delete → 204, 410 when already deleted, 404 when
// unknown), POST /calendar/v3/freeBusy (busy intervals, per-calendar notFound errors), and
// Google's error bodies `{ error: { code, message, errors: [{ domain, reason, message }], status } }`
// for 401 authError, 403/429 rateLimitExceeded and 503 backendError.
import { randomBytes } from 'node:crypto';
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

export interface FakeEvent {
  id: string;
  summary?: string;
  description?: string;
  location?: string;
  start: { dateTime?: string; date?: string; timeZone?: string };
  end: { dateTime?: string; date?: string; timeZone?: string };
  attendees?: Array<{ email: string; displayName?: string; responseStatus?: string; organizer?: boolean; optional?: boolean; resource?: boolean }>;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  recurringEventId?: string;
  conferenceData?: unknown;
  hangoutLink?: string;
}

export type GoogleFailure = 'rate-limit-403' | 'rate-limit-429' | 'server-error';

export interface FakeCalendarState {
  tokens: Set<string>;
  /** calendar id → events; "primary" is an alias of the owner's email. */
  calendars: Map<string, { timeZone: string; events: FakeEvent[] }>;
  owner: string;
  failures: GoogleFailure[];
  deleted: Set<string>;
}

export interface FakeGoogleCalendar extends FakeServer {
  state: FakeCalendarState;
  failNext(kind: GoogleFailure, times?: number): void;
  reset(): void;
}

export function googleError(code: number, message: string, reason: string, status: string, headers: Record<string, string> = {}): FakeResponse {
  return {
    status: code,
    headers: { 'content-type': 'application/json; charset=UTF-8', ...headers },
    json: { error: { code, message, errors: [{ message, domain: reason === 'authError' ? 'global' : reason.endsWith('Exceeded') ? 'usageLimits' : 'global', reason }], status } },
  };
}

export function newCalendarState(options: { tokens: string[]; owner?: string; timeZone?: string }): FakeCalendarState {
  const owner = options.owner ?? 'ada@example.com';
  return { tokens: new Set(options.tokens), calendars: new Map([[owner, { timeZone: options.timeZone ?? 'Europe/London', events: [] }]]), owner, failures: [], deleted: new Set() };
}

const resolve = (state: FakeCalendarState, id: string) => (id === 'primary' ? state.owner : id);

function eventResource(event: FakeEvent, calendarId: string) {
  return {
    kind: 'calendar#event',
    etag: `"${Buffer.from(event.id).toString('hex').slice(0, 16)}"`,
    status: 'confirmed',
    htmlLink: `https://www.google.com/calendar/event?eid=${Buffer.from(`${event.id} ${calendarId}`).toString('base64url')}`,
    created: '2026-11-20T09:00:00.000Z',
    updated: '2026-11-20T09:00:00.000Z',
    creator: { email: calendarId, self: true },
    organizer: { email: calendarId, self: true },
    iCalUID: `${event.id}@google.com`,
    sequence: 0,
    eventType: 'default',
    ...event,
  };
}

const startOf = (e: FakeEvent) => Date.parse(e.start.dateTime ?? `${e.start.date}T00:00:00Z`);
const endOf = (e: FakeEvent) => Date.parse(e.end.dateTime ?? `${e.end.date}T00:00:00Z`);

/** Handles one Calendar API request; undefined when the path is not the Calendar API's. */
export function handleCalendarRequest(state: FakeCalendarState, req: RecordedRequest): FakeResponse | undefined {
  const url = new URL(req.url, 'http://fake');
  if (!url.pathname.startsWith('/calendar/v3/')) return undefined;
  const failure = state.failures.shift();
  if (failure === 'rate-limit-403') return googleError(403, 'Rate Limit Exceeded', 'rateLimitExceeded', 'PERMISSION_DENIED');
  if (failure === 'rate-limit-429') return googleError(429, 'Rate Limit Exceeded', 'rateLimitExceeded', 'RESOURCE_EXHAUSTED', { 'retry-after': '7' });
  if (failure === 'server-error') return googleError(503, 'The service is currently unavailable.', 'backendError', 'UNAVAILABLE');

  const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  if (!token || !state.tokens.has(token)) {
    return googleError(401, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', 'authError', 'UNAUTHENTICATED', {
      'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
    });
  }
  const path = url.pathname.slice('/calendar/v3'.length);
  const q = url.searchParams;

  if (req.method === 'GET' && path === '/users/me/calendarList') {
    const items = [...state.calendars.entries()].map(([id, c]) => ({ kind: 'calendar#calendarListEntry', id, summary: id, timeZone: c.timeZone, accessRole: 'owner', primary: id === state.owner }));
    return { json: { kind: 'calendar#calendarList', etag: '"p1"', items: items.slice(0, Number(q.get('maxResults') ?? 100)) } };
  }

  if (req.method === 'POST' && path === '/freeBusy') {
    const body = (req.json ?? {}) as { timeMin?: string; timeMax?: string; items?: Array<{ id: string }> };
    if (!body.timeMin || !body.timeMax) return googleError(400, 'Missing timeMin parameter.', 'required', 'INVALID_ARGUMENT');
    const from = Date.parse(body.timeMin);
    const to = Date.parse(body.timeMax);
    if (to <= from) return googleError(400, 'The specified time range is empty.', 'timeRangeEmpty', 'INVALID_ARGUMENT');
    const calendars: Record<string, unknown> = {};
    for (const { id } of body.items ?? []) {
      const calendar = state.calendars.get(resolve(state, id));
      if (!calendar) {
        calendars[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        continue;
      }
      const busy = calendar.events
        .filter((e) => e.status !== 'cancelled' && startOf(e) < to && endOf(e) > from)
        .sort((a, b) => startOf(a) - startOf(b))
        .map((e) => ({ start: new Date(Math.max(startOf(e), from)).toISOString().replace('.000', ''), end: new Date(Math.min(endOf(e), to)).toISOString().replace('.000', '') }));
      calendars[id] = { busy };
    }
    return { json: { kind: 'calendar#freeBusy', timeMin: body.timeMin, timeMax: body.timeMax, calendars } };
  }

  const events = /^\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/.exec(path);
  if (!events) return googleError(404, 'Not Found', 'notFound', 'NOT_FOUND');
  const calendarId = resolve(state, decodeURIComponent(events[1]!));
  const calendar = state.calendars.get(calendarId);
  if (!calendar) return googleError(404, 'Not Found', 'notFound', 'NOT_FOUND');
  const eventId = events[2] ? decodeURIComponent(events[2]) : undefined;

  if (req.method === 'GET' && !eventId) {
    if (q.get('orderBy') === 'startTime' && q.get('singleEvents') !== 'true') {
      return googleError(400, 'The requested ordering is not available for the particular query.', 'invalid', 'INVALID_ARGUMENT');
    }
    const maxResults = Math.min(Number(q.get('maxResults') ?? 250), 2500);
    const offset = q.get('pageToken') ? Number(Buffer.from(q.get('pageToken')!, 'base64url').toString('utf8').replace('offset:', '')) : 0;
    if (Number.isNaN(offset)) return googleError(400, 'Invalid page token value.', 'invalid', 'INVALID_ARGUMENT');
    const from = q.get('timeMin') ? Date.parse(q.get('timeMin')!) : -Infinity;
    const to = q.get('timeMax') ? Date.parse(q.get('timeMax')!) : Infinity;
    const text = q.get('q')?.toLowerCase();
    const matching = calendar.events
      .filter((e) => endOf(e) > from && startOf(e) < to)
      .filter((e) => !text || [e.summary, e.description, e.location, ...(e.attendees ?? []).map((a) => a.email)].some((f) => f?.toLowerCase().includes(text)))
      .filter((e) => q.get('singleEvents') === 'true' || !e.recurringEventId)
      .sort((a, b) => (q.get('orderBy') === 'startTime' ? startOf(a) - startOf(b) : 0));
    const page = matching.slice(offset, offset + maxResults);
    const next = offset + maxResults < matching.length ? Buffer.from(`offset:${offset + maxResults}`).toString('base64url') : undefined;
    return {
      json: {
        kind: 'calendar#events',
        etag: '"e1"',
        summary: calendarId,
        updated: '2026-11-20T09:00:00.000Z',
        timeZone: calendar.timeZone,
        accessRole: 'owner',
        items: page.map((e) => eventResource(e, calendarId)),
        ...(next ? { nextPageToken: next } : { nextSyncToken: 'CPDAlvWDx70CEPDAlvWDx70CGAU=' }),
      },
    };
  }

  if (req.method === 'POST' && !eventId) {
    const body = (req.json ?? {}) as Omit<FakeEvent, 'id'> & { conferenceData?: { createRequest?: { requestId?: string; conferenceSolutionKey?: { type?: string } } } };
    if (!body.start || !body.end) return googleError(400, 'Missing end time.', 'required', 'INVALID_ARGUMENT');
    const zoneless = (t: { dateTime?: string; timeZone?: string }) => t.dateTime && !/(Z|[+-]\d{2}:\d{2})$/.test(t.dateTime) && !t.timeZone;
    if (zoneless(body.start) || zoneless(body.end)) return googleError(400, 'Missing time zone definition for start time.', 'required', 'INVALID_ARGUMENT');
    if (body.start.dateTime && body.end.dateTime && !body.start.timeZone && Date.parse(body.end.dateTime) <= Date.parse(body.start.dateTime)) {
      return googleError(400, 'The specified time range is empty.', 'timeRangeEmpty', 'INVALID_ARGUMENT');
    }
    const id = randomBytes(13).toString('hex').replace(/[w-z]/g, 'a');
    const wantsMeet = q.get('conferenceDataVersion') === '1' && body.conferenceData?.createRequest?.conferenceSolutionKey?.type === 'hangoutsMeet';
    const meet = 'https://meet.google.com/abc-defg-hij';
    const event: FakeEvent = {
      ...body,
      id,
      attendees: body.attendees?.map((a) => ({ ...a, responseStatus: 'needsAction' })),
      ...(wantsMeet
        ? {
            hangoutLink: meet,
            conferenceData: {
              createRequest: { ...body.conferenceData!.createRequest, status: { statusCode: 'success' } },
              entryPoints: [{ entryPointType: 'video', uri: meet, label: 'meet.google.com/abc-defg-hij' }],
              conferenceSolution: { key: { type: 'hangoutsMeet' }, name: 'Google Meet' },
              conferenceId: 'abc-defg-hij',
            },
          }
        : { conferenceData: undefined }),
    };
    calendar.events.push(event);
    return { json: eventResource(event, calendarId) };
  }

  if (req.method === 'DELETE' && eventId) {
    if (state.deleted.has(eventId)) return googleError(410, 'Resource has been deleted', 'deleted', 'NOT_FOUND');
    const index = calendar.events.findIndex((e) => e.id === eventId);
    if (index < 0) return googleError(404, 'Not Found', 'notFound', 'NOT_FOUND');
    calendar.events.splice(index, 1);
    state.deleted.add(eventId);
    return { status: 204, body: '' };
  }
  return googleError(405, 'Method Not Allowed', 'httpMethodNotAllowed', 'INVALID_ARGUMENT');
}

export async function startFakeGoogleCalendar(options: { tokens: string[]; owner?: string; timeZone?: string }): Promise<FakeGoogleCalendar> {
  const state = newCalendarState(options);
  const server = await startFakeServer((req) => handleCalendarRequest(state, req) ?? googleError(404, 'Not Found', 'notFound', 'NOT_FOUND'));
  return {
    ...server,
    state,
    failNext(kind, times = 1) {
      for (let i = 0; i < times; i++) state.failures.push(kind);
    },
    reset() {
      server.requests.length = 0;
      state.failures.length = 0;
    },
  };
}
