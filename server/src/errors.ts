// Typed GraphQL errors: every error a client can act on has a stable `extensions.code`.
// Anything else is masked by yoga as "Unexpected error." and logged with the request id.
import { GraphQLError } from 'graphql';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'UNAVAILABLE';

export interface InputIssue {
  path: string;
  message: string;
}

export class PatchbayError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export const unauthenticated = (why: string) => new PatchbayError('UNAUTHENTICATED', why);
export const forbidden = (why: string) => new PatchbayError('FORBIDDEN', why);
export const notFound = (what: string) => new PatchbayError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string, issues: InputIssue[] = []) => new PatchbayError('BAD_USER_INPUT', message, { issues });
export const conflict = (message: string) => new PatchbayError('CONFLICT', message);
export const unavailable = (message: string) => new PatchbayError('UNAVAILABLE', message);
