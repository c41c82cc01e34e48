// @patchbay/plugin-github: open issues and comments, and receive webhook events, as a token
// or as a GitHub App installation.
import { definePlugin } from '@patchbay/sdk';
import { createComment } from './actions/create-comment.ts';
import { createIssue } from './actions/create-issue.ts';
import { appAuth, tokenAuth } from './auth.ts';
import { GITHUB_API } from './client.ts';
import { events } from './triggers/events.ts';

export const githubPlugin = definePlugin({
  key: 'github',
  displayName: 'GitHub',
  category: 'developer',
  description: 'Create issues and comments, and receive GitHub webhook events, with a token or a GitHub App.',
  baseUrl: GITHUB_API,
  auth: [tokenAuth, appAuth],
  actions: [createIssue, createComment],
  triggers: [events],
});

export default githubPlugin;
