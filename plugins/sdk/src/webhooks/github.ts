// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, checked by Octokit's
// own verifier (constant-time). GitHub signs no timestamp; replays are caught by the
// X-GitHub-Delivery dedupe key instead.
import { verify } from '@octokit/webhooks-methods';
import { rejected, requireSecret, verified, type Verifier } from './types.ts';

export const github: Verifier = {
  scheme: 'GITHUB',
  async verify(request) {
    const signature = request.headers['x-hub-signature-256'];
    if (!signature) return rejected('missing X-Hub-Signature-256 header');
    if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) return rejected('X-Hub-Signature-256 is not sha256=<64 hex digits>');
    if (request.rawBody.length === 0) return rejected('empty body');
    const ok = await verify(requireSecret(request), request.rawBody.toString('utf8'), signature);
    return ok ? verified('GITHUB') : rejected('X-Hub-Signature-256 does not match the payload');
  },
};
