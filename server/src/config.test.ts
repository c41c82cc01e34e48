import { expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

it('applies the documented defaults', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({ PORT: 4000, TEMPORAL_NAMESPACE: 'default', LOG_LEVEL: 'info', publicUrl: 'http://localhost:4000' });
  expect(config.DATABASE_URL).toBeUndefined();
  expect(config.PGLITE_DATA_DIR).toMatch(/\.data\/pglite$/);
});

it('treats empty values as unset and trims a trailing slash from PUBLIC_URL', () => {
  const config = loadConfig({ DATABASE_URL: '', PUBLIC_URL: 'https://hub.example.com/' });
  expect(config.DATABASE_URL).toBeUndefined();
  expect(config.publicUrl).toBe('https://hub.example.com');
});

it.each([
  [{ PORT: 'abc' }, /^Invalid configuration: PORT must be a port number \(got "abc"\)$/],
  [{ PORT: '70000' }, /^Invalid configuration: PORT must be .*70000/],
  [{ DATABASE_URL: 'mysql://x/y' }, /^Invalid configuration: DATABASE_URL must be a postgresql:\/\/ URL .*\(got "<redacted>"\)$/],
  [{ TEMPORAL_ADDRESS: 'temporal' }, /^Invalid configuration: TEMPORAL_ADDRESS must be host:port/],
  [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/],
  [{ PATCHBAY_ENCRYPTION_KEYS: 'k1:short' }, /^Invalid configuration: PATCHBAY_ENCRYPTION_KEYS must be comma-separated kid:base64 entries.*<redacted>/],
  [{ PATCHBAY_BOOTSTRAP_TOKEN: 'short' }, /^Invalid configuration: PATCHBAY_BOOTSTRAP_TOKEN must be at least 16 characters \(got "<redacted>"\)$/],
  [{ PUBLIC_URL: 'ftp://x' }, /^Invalid configuration: PUBLIC_URL must be an http\(s\) URL/],
])('rejects %o with one clear line naming the variable', (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

it('accepts a valid key ring', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  expect(loadConfig({ PATCHBAY_ENCRYPTION_KEYS: `k2:${key},k1:${key}` }).PATCHBAY_ENCRYPTION_KEYS).toContain('k2:');
});
