// How a user connects Outlook Calendar: Microsoft identity platform OAuth 2.0 (authorization
// code + PKCE) with the delegated calendar permissions.
import { microsoftOAuth } from '@patchbay/microsoft-graph';

/** Delegated Microsoft Graph permissions: read and write the user's calendars, read others' free/busy. */
export const CALENDAR_SCOPES = ['Calendars.ReadWrite'];

export const outlookOAuth = microsoftOAuth(CALENDAR_SCOPES);
