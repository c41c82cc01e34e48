// POST /repos/{owner}/{repo}/issues/{issue_number}/comments (issues and pull requests alike)
import { defineAction, z } from '@patchbay/sdk';
import { createGithubClient, githubCall } from '../client.ts';
import { owner, repo } from './shared.ts';

export const createComment = defineAction({
  key: 'create_comment',
  displayName: 'Comment on an issue or pull request',
  description: 'Add a comment to an issue or a pull request (pull requests are issues to this endpoint).',
  input: z.object({
    owner,
    repo,
    issue_number: z.coerce.number().int('must be a whole number').positive('must be a positive issue number').describe('The issue or pull request number'),
    body: z.string().trim().min(1, 'is required').max(65_536, 'must be at most 65536 characters').describe('The comment (GitHub Markdown)'),
  }),
  output: z.object({
    id: z.number().int().describe('The comment id'),
    url: z.string().describe('The comment on GitHub (html_url)'),
    apiUrl: z.string().describe('The comment in the REST API'),
    issueUrl: z.string().describe('The issue the comment belongs to, in the REST API'),
    author: z.string().nullable().describe('Login of the commenter (the token owner, or <app>[bot])'),
    createdAt: z.string(),
  }),
  async run(ctx) {
    const { input } = ctx;
    const octokit = createGithubClient({ mode: ctx.auth.mode, credentials: ctx.auth.credentials, config: ctx.config, signal: ctx.signal });
    const { data } = await githubCall(
      () => octokit.rest.issues.createComment({ owner: input.owner, repo: input.repo, issue_number: input.issue_number, body: input.body }),
      `POST /repos/${input.owner}/${input.repo}/issues/${input.issue_number}/comments`,
    );
    return { id: data.id, url: data.html_url, apiUrl: data.url, issueUrl: data.issue_url, author: data.user?.login ?? null, createdAt: data.created_at };
  },
});
