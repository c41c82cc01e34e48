// POST /repos/{owner}/{repo}/issues
import { defineAction, z } from '@patchbay/sdk';
import { createGithubClient, githubCall } from '../client.ts';
import { owner, repo } from './shared.ts';

export const createIssue = defineAction({
  key: 'create_issue',
  displayName: 'Create an issue',
  description: 'Open an issue in a repository, optionally with labels and assignees.',
  input: z.object({
    owner,
    repo,
    title: z.string().trim().min(1, 'is required').max(256, 'must be at most 256 characters').describe('The issue title'),
    body: z.string().max(65_536, 'must be at most 65536 characters').optional().describe('The issue body (GitHub Markdown)'),
    labels: z.array(z.string().min(1)).max(100).optional().describe('Label names; labels that do not exist yet are created (needs push access)'),
    assignees: z.array(z.string().min(1)).max(10).optional().describe('Logins to assign (at most 10; needs push access)'),
  }),
  output: z.object({
    id: z.number().int().describe('The issue id'),
    number: z.number().int().describe('The issue number in the repository'),
    url: z.string().describe('The issue page on GitHub (html_url)'),
    apiUrl: z.string().describe('The issue in the REST API'),
    state: z.string().describe('open or closed'),
    title: z.string(),
    labels: z.array(z.string()).describe('Label names on the created issue'),
    assignees: z.array(z.string()).describe('Assignee logins on the created issue'),
    createdAt: z.string(),
  }),
  async run(ctx) {
    const { input } = ctx;
    const octokit = createGithubClient({ mode: ctx.auth.mode, credentials: ctx.auth.credentials, config: ctx.config, signal: ctx.signal });
    const { data } = await githubCall(
      () => octokit.rest.issues.create({ owner: input.owner, repo: input.repo, title: input.title, body: input.body, labels: input.labels, assignees: input.assignees }),
      `POST /repos/${input.owner}/${input.repo}/issues`,
    );
    return {
      id: data.id,
      number: data.number,
      url: data.html_url,
      apiUrl: data.url,
      state: data.state,
      title: data.title,
      labels: data.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
      assignees: (data.assignees ?? []).map((a) => a.login),
      createdAt: data.created_at,
    };
  },
});
