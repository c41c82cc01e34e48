// Vendor-SDK plugins call their provider themselves, so the addresses a connection names are
// checked before any action or connection test runs.
import { describe, expect, it } from 'vitest';
import { checkConnectionTargets } from './actions.ts';
import { PrivateNetworkError } from './network-guard.ts';

const refuse = { allowPrivateNetwork: false };

describe('checkConnectionTargets', () => {
  it('refuses a private baseUrl, loginUrl or mail host', async () => {
    await expect(checkConnectionTargets(refuse, { baseUrl: 'http://127.0.0.1:8080/api' })).rejects.toBeInstanceOf(PrivateNetworkError);
    await expect(checkConnectionTargets(refuse, { loginUrl: 'https://169.254.169.254/' })).rejects.toThrow(/169\.254\.169\.254/);
    await expect(checkConnectionTargets(refuse, { smtpHost: '10.1.2.3', port: 587 })).rejects.toBeInstanceOf(PrivateNetworkError);
    await expect(checkConnectionTargets(refuse, { imapHost: 'localhost' })).rejects.toBeInstanceOf(PrivateNetworkError);
  });

  it('lets public addresses, other settings and an allowed private network through', async () => {
    await expect(checkConnectionTargets(refuse, { baseUrl: 'https://93.184.215.14/v1', channel: 'general', retries: 3 })).resolves.toBeUndefined();
    await expect(checkConnectionTargets({ allowPrivateNetwork: true }, { baseUrl: 'http://127.0.0.1:8080', smtpHost: '127.0.0.1' })).resolves.toBeUndefined();
  });
});
