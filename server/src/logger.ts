// pino JSON logs. Anything that can carry a credential is censored by path, wherever it sits.
import pino, { type Logger } from 'pino';

export type { Logger };

const secretKeys = [
  'authorization', 'cookie', 'token', 'password', 'secret', 'credentials', 'clientSecret',
  'accessToken', 'refreshToken', 'apiKey', 'codeVerifier',
];

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'connectionParams.authorization',
  'connectionParams.Authorization',
  ...secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'patchbay' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
