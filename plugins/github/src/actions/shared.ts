// Input fields the GitHub actions share.
import { z } from '@patchbay/sdk';

export const owner = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be a GitHub user or organization login')
  .describe('The account that owns the repository, e.g. "octocat"');

export const repo = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a repository name (letters, digits, . _ -)')
  .describe('The repository name without the owner, e.g. "hello-world"');
