// Google OAuth 2.0 (authorization code + PKCE, offline access so a refresh token is issued).
// The test lists one calendar: the cheapest call that proves the token and the scope.
import { oauth2, type OAuth2Credentials } from '@patchbay/sdk';
import { createCalendarClient, googleCall } from './client.ts';

export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

export const googleOAuth = oauth2({
  authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  scopes: [CALENDAR_SCOPE],
  pkce: true,
  refresh: true,
  // offline: a refresh token; consent: Google only returns one on a fresh consent.
  extraAuthorizeParams: { access_type: 'offline', prompt: 'consent', include_granted_scopes: 'true' },
  async test({ credentials, config, signal }) {
    const client = await createCalendarClient({ credentials: credentials as OAuth2Credentials, config, signal });
    const list = await googleCall(() => client.calendarList.list({ maxResults: 1 }), 'GET /calendar/v3/users/me/calendarList');
    const first = list.items?.[0];
    return { ok: true, message: first ? `Calendar access works (${first.primary ? 'primary: ' : ''}${first.id})` : 'Calendar access works (no calendars yet)' };
  },
});
