// Enums shared by several schema modules (kept apart to avoid import cycles between modules).
import { AuthMode, ConnectionStatus, TokenStrategy } from '@patchbay/db';
import { builder } from '../builder.ts';

export const AuthModeEnum = builder.enumType(AuthMode, { name: 'AuthMode' });
export const ConnectionStatusEnum = builder.enumType(ConnectionStatus, { name: 'ConnectionStatus' });
export const TokenStrategyEnum = builder.enumType(TokenStrategy, {
  name: 'TokenStrategy',
  description:
    "SERVICE_ACCOUNT: the connection's own credentials. PER_USER: each end user connects their own account; a run with user.id uses theirs. PASSTHROUGH: the app passes the end user's token in the run's user.metadata (never stored in clear).",
});
