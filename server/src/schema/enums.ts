// Enums shared by several schema modules (kept apart to avoid import cycles between modules).
import { AuthMode, ConnectionStatus } from '@patchbay/db';
import { builder } from '../builder.ts';

export const AuthModeEnum = builder.enumType(AuthMode, { name: 'AuthMode' });
export const ConnectionStatusEnum = builder.enumType(ConnectionStatus, { name: 'ConnectionStatus' });
